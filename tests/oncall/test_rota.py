"""Staff keep the rota in the admin: a shift ends after it starts, its clinician works at the
clinic, its pager phone is a mobile number (kept in E.164); the emergency list likewise."""

from http import HTTPStatus

import pytest

from oncall.models import EmergencyContact, OnCallShift
from tests.factories import ClinicFactory, VetFactory, first_clinic

pytestmark = pytest.mark.django_db

ADD = "/admin/oncall/oncallshift/add/"


def shift_form(clinician, **changes) -> dict[str, str]:
    form = {
        "clinic": str(first_clinic().pk),
        "clinician": str(clinician.pk),
        "level": "1",
        "starts_at_0": "2026-03-09",
        "starts_at_1": "20:00",
        "ends_at_0": "2026-03-10",
        "ends_at_1": "08:00",
        "pager_phone": "",
    }
    return form | changes


def test_staff_add_a_shift_with_a_pager_phone_kept_in_e164(client_for, staff, vet):
    response = client_for(staff).post(ADD, shift_form(vet, pager_phone="+1 202 555 0188"))
    assert response.status_code == HTTPStatus.FOUND, response.text[:3000]
    shift = OnCallShift.objects.get()
    assert (shift.clinician, shift.level, shift.pager_phone) == (vet, 1, "+12025550188")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"ends_at_0": "2026-03-09", "ends_at_1": "19:00"}, "The shift must end after it starts."),
        ({"pager_phone": "12"}, "too few or too many digits"),
        ({"level": "0"}, "greater than or equal to 1"),
    ],
)
def test_a_shift_that_breaks_a_rule_is_refused_with_the_reason(
    client_for, staff, vet, changes, words
):
    response = client_for(staff).post(ADD, shift_form(vet, **changes))
    assert response.status_code == HTTPStatus.OK
    assert words in response.text
    assert not OnCallShift.objects.exists()


def test_a_clinician_of_another_clinic_cannot_be_on_call_here(client_for, staff):
    elsewhere = VetFactory(clinics=[ClinicFactory()])
    response = client_for(staff).post(ADD, shift_form(elsewhere))
    assert "Choose a vet or technician who works at this clinic." in response.text
    assert not OnCallShift.objects.exists()


def test_the_emergency_list_takes_only_the_clinics_people(client_for, staff, vet):
    client = client_for(staff)
    elsewhere = VetFactory(clinics=[ClinicFactory()])
    url = "/admin/oncall/emergencycontact/add/"
    form = {"clinic": str(first_clinic().pk), "position": "0"}
    refused = client.post(url, form | {"clinician": str(elsewhere.pk)})
    assert "Choose a vet or technician who works at this clinic." in refused.text
    assert client.post(url, form | {"clinician": str(vet.pk)}).status_code == HTTPStatus.FOUND
    assert [c.clinician for c in EmergencyContact.objects.all()] == [vet]


@pytest.mark.parametrize(
    "url", ["/admin/oncall/oncallshift/", "/admin/oncall/emergencycontact/", "/admin/oncall/page/"]
)
def test_the_on_call_admin_lists_work(client_for, staff, url):
    assert client_for(staff).get(url).status_code == HTTPStatus.OK
