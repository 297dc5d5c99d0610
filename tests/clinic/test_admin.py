"""Staff keep the clinic's settings in the admin; an edit reaches the saving process at once."""

from http import HTTPStatus

import pytest

from clinic.models import CannedAnswer, ClinicSettings, RedFlagSign
from clinic.selectors import clinic_snapshot
from tests.factories import send_message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clinic/",
        "/admin/clinic/clinicsettings/1/change/",
        "/admin/clinic/redflagsign/",
        "/admin/clinic/redflagsign/add/",
        "/admin/clinic/cannedanswer/",
        "/admin/clinic/cannedanswer/add/",
        "/admin/clinic/urgentchat/",
        "/admin/clinic/afterhoursreply/",
    ],
)
def test_clinic_admin_pages_work_for_staff(client_for, staff, appointment, url):
    send_message(appointment.pet_parent, appointment, "He collapsed")
    response = client_for(staff).get(url)
    assert response.status_code == HTTPStatus.OK


def test_the_settings_list_is_the_one_settings_page(client_for, staff):
    response = client_for(staff).get("/admin/clinic/clinicsettings/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/admin/clinic/clinicsettings/1/change/"
    assert ClinicSettings.objects.count() == 1


def test_a_sign_added_in_the_admin_matches_at_once(client_for, staff):
    assert clinic_snapshot().matcher.find("he swallowed a sock") == []
    response = client_for(staff).post(
        "/admin/clinic/redflagsign/add/",
        {"name": "Swallowed an object", "phrases": "swallow* ... sock*", "species": "",
         "enabled": "on", "position": "20"},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert RedFlagSign.objects.filter(name="Swallowed an object").exists()
    [match] = clinic_snapshot().matcher.find("he swallowed a sock")
    assert match.sign.name == "Swallowed an object"


def test_shared_answers_in_the_admin_have_no_owner_and_hide_personal_ones(client_for, staff, vet):
    CannedAnswer.objects.create(owner=vet, title="Personal", body="mine")
    client = client_for(staff)
    response = client.post("/admin/clinic/cannedanswer/add/", {"title": "Hours", "body": "8-6"})
    assert response.status_code == HTTPStatus.FOUND
    assert CannedAnswer.objects.get(title="Hours").owner is None
    assert "Personal" not in client.get("/admin/clinic/cannedanswer/").content.decode()
