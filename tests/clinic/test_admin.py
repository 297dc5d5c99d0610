"""Staff keep the clinic's settings in the admin; an edit reaches the saving process at once."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from clinic.models import CannedAnswer, RedFlagSign
from clinic.selectors import clinic_snapshot
from tests.factories import ClinicFactory, StaffFactory, first_clinic, send_message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/clinic/",
        "/admin/tenancy/clinic/",
        "/admin/tenancy/clinic/{clinic}/change/",
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
    response = client_for(staff).get(url.format(clinic=appointment.clinic_id))
    assert response.status_code == HTTPStatus.OK


def test_staff_see_and_change_only_the_clinics_they_work_at(client_for):
    other = ClinicFactory(name="Hillside Animal Hospital")
    member = StaffFactory()
    member.user_permissions.set(
        Permission.objects.filter(codename__in=["view_clinic", "change_clinic", "add_clinic"])
    )
    client = client_for(member)
    listed = client.get("/admin/tenancy/clinic/").content.decode()
    assert first_clinic().name in listed and "Hillside" not in listed
    assert client.get(f"/admin/tenancy/clinic/{other.pk}/change/").status_code != HTTPStatus.OK
    assert client.get("/admin/tenancy/clinic/add/").status_code == HTTPStatus.FORBIDDEN


def test_a_sign_added_in_the_admin_matches_at_once(client_for, staff):
    clinic = first_clinic()
    assert clinic_snapshot(clinic.pk).matcher.find("he swallowed a sock") == []
    response = client_for(staff).post(
        "/admin/clinic/redflagsign/add/",
        {"clinic": clinic.pk, "name": "Swallowed an object", "phrases": "swallow* ... sock*",
         "species": "", "enabled": "on", "position": "20", "safe_wait_minutes": "15"},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert RedFlagSign.objects.filter(name="Swallowed an object").exists()
    [match] = clinic_snapshot(clinic.pk).matcher.find("he swallowed a sock")
    assert match.sign.name == "Swallowed an object"


def test_shared_answers_in_the_admin_have_no_owner_and_hide_personal_ones(client_for, staff, vet):
    CannedAnswer.objects.create(owner=vet, title="Personal", body="mine")
    client = client_for(staff)
    response = client.post(
        "/admin/clinic/cannedanswer/add/",
        {"clinic": first_clinic().pk, "title": "Hours", "body": "8-6"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert CannedAnswer.objects.get(title="Hours").owner is None
    assert "Personal" not in client.get("/admin/clinic/cannedanswer/").content.decode()
