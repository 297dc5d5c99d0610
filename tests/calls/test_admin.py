"""The clinic's side of calls in the admin: the switch that lets technicians call, and the
read-only list of calls."""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest

from appointments.access import Action, may
from calls.models import Call
from calls.services import call_start
from chat.services import access_chat
from tests.care_team import team_member
from tests.tenancy.test_clinics import empty_inlines

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 3, 14, 3, tzinfo=UTC)


def test_staff_let_technicians_call_in_the_clinic_admin(client_for, staff, appointment):
    technician = team_member(appointment)
    clinic = appointment.clinic

    response = client_for(staff).post(
        f"/admin/tenancy/clinic/{clinic.pk}/change/",
        {"name": clinic.name, "slug": clinic.slug, "time_zone": clinic.time_zone,
         "after_hours_reply": "Closed.", "technicians_may_call": "on", **empty_inlines()},
    )  # fmt: skip

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    chat = access_chat(user=technician, appointment_id=appointment.pk)
    assert may(technician, chat, Action.CALL)


def test_the_calls_list_is_read_only(client_for, staff, appointment, vet):
    chat = access_chat(user=vet, appointment_id=appointment.pk, action=Action.CALL)
    call = call_start(chat=chat, caller=vet, channel="c", now=T0)
    client = client_for(staff)

    listed = client.get("/admin/calls/call/")
    assert listed.status_code == HTTPStatus.OK
    assert f"/admin/calls/call/{call.pk}/change/" in listed.content.decode()

    response = client.post(f"/admin/calls/call/{call.pk}/change/", {"outcome": "completed"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get("/admin/calls/call/add/").status_code == HTTPStatus.FORBIDDEN
    assert Call.objects.get(pk=call.pk).outcome == ""
