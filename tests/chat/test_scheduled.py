"""Messages the care team schedules: written now, sent by the job worker when due, through the
same service and rules as a message sent at once, and never seen by the family before."""

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import team_member_remove
from chat.models import Message, ScheduledMessage
from chat.scheduled import scheduled_due_send
from tests.care_team import team_member
from tests.factories import first_clinic

pytestmark = pytest.mark.django_db

Status = ScheduledMessage.Status


def url(appointment, scheduled_id=None, action=""):
    base = f"/api/appointments/{appointment.pk}/scheduled/"
    return f"{base}{scheduled_id}/{action}" if scheduled_id else base


def schedule(client, appointment, content="Remember Rex's tablets", *, at=None):
    at = at or timezone.now() + timedelta(hours=2)
    return client.post(
        url(appointment), {"content": content, "sendAt": at.isoformat()}, "application/json"
    )


def messages_of(appointment):
    return list(Message.objects.filter(chat__appointment=appointment).order_by("seq"))


# Writing and sending ---------------------------------------------------------------------------


def test_a_vet_schedules_a_message_that_the_worker_sends_when_due(client_for, appointment, vet):
    # given
    at = timezone.now() + timedelta(hours=2)
    answer = schedule(client_for(vet), appointment, at=at)
    assert answer.status_code == HTTPStatus.CREATED
    body = answer.json()["scheduled"]
    assert body["status"] == "pending"
    assert body["kind"] == "scheduled"
    assert body["mine"] is True
    assert datetime.fromisoformat(body["sendAt"]) == at
    # when: the worker looks before the time, then after it
    assert scheduled_due_send(now=at - timedelta(seconds=1)) == 0
    assert messages_of(appointment) == []
    assert scheduled_due_send(now=at) == 1
    # then
    [message] = messages_of(appointment)
    assert (message.sender_id, message.content) == (vet.pk, "Remember Rex's tablets")
    row = ScheduledMessage.objects.get()
    assert (row.status, row.message_id) == (Status.SENT, message.pk)
    assert scheduled_due_send(now=at + timedelta(minutes=5)) == 0  # sent once


def test_a_technician_on_the_care_team_may_schedule(client_for, appointment):
    nurse = team_member(appointment)
    assert schedule(client_for(nurse), appointment).status_code == HTTPStatus.CREATED


def test_the_family_can_neither_schedule_nor_see_scheduled_messages(
    client_for, appointment, parent, vet
):
    schedule(client_for(vet), appointment)
    client = client_for(parent)
    assert schedule(client, appointment).status_code == HTTPStatus.FORBIDDEN
    listed = client.get(url(appointment))
    assert listed.status_code == HTTPStatus.FORBIDDEN
    assert listed.json()["error"]["code"] == "forbidden"
    chat = client.get(f"/api/appointment-chat/messages?appointmentId={appointment.pk}").json()
    assert chat["messages"] == []
    assert "tablets" not in client.get(f"/appointments/{appointment.pk}/").content.decode()


def test_an_outsider_is_told_the_appointment_does_not_exist(client_for, appointment, other_vet):
    answer = client_for(other_vet).get(url(appointment))
    assert answer.status_code == HTTPStatus.NOT_FOUND


def test_colleagues_see_pending_messages_but_only_the_writer_changes_them(
    client_for, appointment, vet
):
    nurse = team_member(appointment)
    row_id = schedule(client_for(vet), appointment).json()["scheduled"]["_id"]
    nurse_client = client_for(nurse)
    [listed] = nurse_client.get(url(appointment)).json()["scheduled"]
    assert (listed["_id"], listed["mine"], listed["writer"]["name"]) == (row_id, False, vet.name)
    change = nurse_client.patch(url(appointment, row_id), {"content": "x"}, "application/json")
    assert change.status_code == HTTPStatus.FORBIDDEN
    assert nurse_client.delete(url(appointment, row_id)).status_code == HTTPStatus.FORBIDDEN


def test_the_writer_edits_the_text_and_time_until_it_goes(client_for, appointment, vet):
    client = client_for(vet)
    row_id = schedule(client, appointment).json()["scheduled"]["_id"]
    later = timezone.now() + timedelta(days=1)
    answer = client.patch(
        url(appointment, row_id),
        {"content": "New text", "sendAt": later.isoformat()},
        "application/json",
    )
    assert answer.status_code == HTTPStatus.OK
    assert answer.json()["scheduled"]["content"] == "New text"
    assert scheduled_due_send(now=later - timedelta(hours=1)) == 0
    scheduled_due_send(now=later)
    assert [m.content for m in messages_of(appointment)] == ["New text"]
    # then it has gone: no more changes
    again = client.patch(url(appointment, row_id), {"content": "Too late"}, "application/json")
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["error"]["message"] == "This message was already sent."


def test_a_cancelled_message_is_never_sent(client_for, appointment, vet):
    client = client_for(vet)
    at = timezone.now() + timedelta(hours=1)
    row_id = schedule(client, appointment, at=at).json()["scheduled"]["_id"]
    answer = client.delete(url(appointment, row_id))
    assert answer.status_code == HTTPStatus.OK
    assert answer.json()["scheduled"]["status"] == "cancelled"
    assert scheduled_due_send(now=at + timedelta(hours=1)) == 0
    assert messages_of(appointment) == []
    assert client.get(url(appointment)).json()["scheduled"] == []


def test_send_now_sends_at_once(client_for, appointment, vet):
    client = client_for(vet)
    row_id = schedule(client, appointment).json()["scheduled"]["_id"]
    answer = client.post(url(appointment, row_id, "send/"))
    assert answer.status_code == HTTPStatus.OK
    assert answer.json()["scheduled"]["status"] == "sent"
    assert [m.content for m in messages_of(appointment)] == ["Remember Rex's tablets"]


# The rules at sending time ---------------------------------------------------------------------


def test_a_writer_taken_off_the_team_is_told_it_was_not_sent(client_for, appointment, vet):
    nurse = team_member(appointment)
    at = timezone.now() + timedelta(hours=1)
    schedule(client_for(nurse), appointment, at=at)
    team_member_remove(appointment_id=appointment.pk, by=vet, user_id=nurse.pk)
    scheduled_due_send(now=at)
    assert messages_of(appointment) == []
    row = ScheduledMessage.objects.get()
    assert row.status == Status.FAILED
    assert row.failure == "You no longer take part in this chat, so it was not sent."
    dashboard = client_for(nurse).get("/dashboard/").content.decode()
    assert "Scheduled messages not sent" in dashboard
    assert "You no longer take part in this chat, so it was not sent." in dashboard


def test_a_chat_closed_meanwhile_leaves_it_unsent_with_the_reason(client_for, appointment, vet):
    client = client_for(vet)
    at = timezone.now() + timedelta(hours=1)
    schedule(client, appointment, at=at)
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    scheduled_due_send(now=at)
    assert messages_of(appointment) == []
    [listed] = client.get(url(appointment)).json()["scheduled"]
    assert listed["status"] == "failed"
    assert listed["failure"] == (
        "Not sent: This appointment was cancelled, so its chat is read-only."
    )
    # the writer puts it away
    assert client.delete(url(appointment, listed["_id"])).status_code == HTTPStatus.OK
    assert client.get(url(appointment)).json()["scheduled"] == []


# Bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"content": "hi", "sendAt": "2020-01-01T08:00"}, "sendAt", "Choose a time in the future."),
        ({"content": "hi", "sendAt": "next monday"}, "sendAt", "Use a date and time such as"),
        ({"content": "hi", "sendAt": 1700000000}, "sendAt", "Not a valid string."),
        ({"content": "hi", "sendAt": "2999-01-01T08:00"}, "sendAt", "at most 90 days ahead"),
        ({"content": "   ", "sendAt": "2999-01-01T08:00"}, "content", "Write a message"),
        ({"sendAt": "2999-01-01T08:00"}, "content", "This field is required."),
        ({"content": "hi", "sendAt": "2999-01-01T08:00", "to": "x"}, "to", "Unknown field."),
    ],
)
def test_bad_input_is_a_clear_error(client_for, appointment, vet, body, field, message):
    answer = client_for(vet).post(url(appointment), body, "application/json")
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    error = answer.json()["error"]
    assert message in error["fields"][field]
    assert ScheduledMessage.objects.count() == 0


def test_a_time_without_an_offset_is_read_on_the_clinics_clock(client_for, appointment, vet):
    clinic = first_clinic()
    clinic.time_zone = "America/New_York"
    clinic.save()
    from clinic.selectors import forget_clinic_snapshot

    forget_clinic_snapshot()
    day = (timezone.now() + timedelta(days=3)).date()
    answer = client_for(vet).post(
        url(appointment), {"content": "hi", "sendAt": f"{day}T08:00"}, "application/json"
    )
    assert answer.status_code == HTTPStatus.CREATED
    sent_at = ScheduledMessage.objects.get().send_at
    assert sent_at.astimezone(ZoneInfo("America/New_York")).hour == 8


def test_an_unknown_scheduled_message_is_not_found(client_for, appointment, vet):
    answer = client_for(vet).delete(url(appointment, "00000000-0000-0000-0000-000000000000"))
    assert answer.status_code == HTTPStatus.NOT_FOUND
    assert answer.json()["error"]["code"] == "not_found"


# Queries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_costs_the_same_queries_however_many_wait(
    client_for, appointment, vet, count, django_assert_num_queries
):
    client = client_for(vet)
    for n in range(count):
        schedule(client, appointment, f"Message {n}")
    with django_assert_num_queries(QUERIES_OF_LIST):
        answer = client.get(url(appointment))
    assert len(answer.json()["scheduled"]) == count


QUERIES_OF_LIST = 3  # the session, the chat with its participants, the list
