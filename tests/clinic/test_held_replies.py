"""A clinic may hold its team's replies written while it is closed until it opens: the writer
sees the reply held with "Send now"; a reply in an urgent chat is never held."""

from datetime import datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat.models import Message, ScheduledMessage
from chat.scheduled import held_until, scheduled_due_send
from chat.services import access_chat
from clinic.models import ReplyHold
from tests.clinic.conftest import closed_now, open_now, set_hours
from tests.factories import send_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def holding():
    clinic = closed_now()
    ReplyHold.objects.create(clinic=clinic, hold_while_closed=True)
    return clinic


def send_page(client, appointment, content):
    return client.post(f"/appointments/{appointment.pk}/messages/", {"content": content})


def send_api(client, appointment, content, **more):
    return client.post(
        "/api/appointment-chat/messages",
        {"appointmentId": str(appointment.pk), "content": content, **more},
        "application/json",
    )


def messages_from(user, appointment):
    return list(
        Message.objects.filter(chat__appointment=appointment, sender=user).values_list(
            "content", flat=True
        )
    )


def test_a_reply_written_while_closed_waits_for_the_opening(
    holding, client_for, appointment, vet, parent
):
    client = client_for(vet)
    # when
    answer = send_page(client, appointment, "Rex can have his dinner.")
    # then
    assert answer.status_code == HTTPStatus.FOUND
    assert answer["Location"].endswith("#scheduled")
    assert messages_from(vet, appointment) == []
    held = ScheduledMessage.objects.get()
    assert held.kind == ScheduledMessage.Kind.HELD
    assert held.send_at.astimezone(holding.zone).time() == time(8)
    assert held.send_at > timezone.now()
    page = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Held until the clinic opens" in page
    assert "Send now" in page
    assert "Rex can have his dinner." not in (
        client_for(parent).get(f"/appointments/{appointment.pk}/").content.decode()
    )
    # and the worker sends it when the clinic opens
    scheduled_due_send(now=held.send_at)
    assert messages_from(vet, appointment) == ["Rex can have his dinner."]


def test_the_api_answers_a_held_reply_with_accepted(holding, client_for, appointment, vet):
    answer = send_api(client_for(vet), appointment, "Rex can have his dinner.")
    assert answer.status_code == HTTPStatus.ACCEPTED
    held = answer.json()["held"]
    assert (held["kind"], held["status"]) == ("held", "pending")
    assert messages_from(vet, appointment) == []


def test_a_held_reply_sent_again_with_its_client_id_is_held_once(
    holding, client_for, appointment, vet
):
    client = client_for(vet)
    # when the client sends, hears nothing back, and sends the same again
    first = send_api(client, appointment, "Rex can have his dinner.", clientId="c-1")
    again = send_api(client, appointment, "Rex can have his dinner.", clientId="c-1")
    # then both answers name the one held reply
    assert first.status_code == again.status_code == HTTPStatus.ACCEPTED
    assert first.json()["held"]["_id"] == again.json()["held"]["_id"]
    assert ScheduledMessage.objects.count() == 1
    # and another send is another reply
    send_api(client, appointment, "And water.", clientId="c-2")
    assert ScheduledMessage.objects.count() == 2


def test_the_writer_may_send_a_held_reply_at_once(holding, client_for, appointment, vet):
    client = client_for(vet)
    send_page(client, appointment, "Call us if it gets worse.")
    held = ScheduledMessage.objects.get()
    answer = client.post(f"/appointments/{appointment.pk}/scheduled/{held.pk}/send/")
    assert answer.status_code == HTTPStatus.FOUND
    assert messages_from(vet, appointment) == ["Call us if it gets worse."]


def test_a_reply_in_an_urgent_chat_is_never_held(holding, client_for, appointment, vet, parent):
    send_message(parent, appointment, "She's been fitting for five minutes")
    answer = send_api(client_for(vet), appointment, "Bring her in to the emergency hospital now.")
    assert answer.status_code == HTTPStatus.CREATED
    assert messages_from(vet, appointment) == ["Bring her in to the emergency hospital now."]
    assert not ScheduledMessage.objects.exists()


def test_a_parents_message_is_never_held(holding, client_for, appointment, parent):
    assert send_api(client_for(parent), appointment, "Thanks!").status_code == HTTPStatus.CREATED
    assert messages_from(parent, appointment) == ["Thanks!"]


def test_nothing_is_held_while_the_clinic_is_open(client_for, appointment, vet):
    ReplyHold.objects.create(clinic=open_now(), hold_while_closed=True)
    assert send_api(client_for(vet), appointment, "Hello").status_code == HTTPStatus.CREATED


def test_nothing_is_held_by_a_clinic_that_did_not_ask(client_for, appointment, vet):
    closed_now()
    assert send_api(client_for(vet), appointment, "Hello").status_code == HTTPStatus.CREATED
    assert messages_from(vet, appointment) == ["Hello"]


def test_a_prescription_goes_at_once_even_while_closed(holding, client_for, appointment, vet):
    answer = client_for(vet).post(
        "/api/appointment-chat/messages",
        {
            "appointmentId": str(appointment.pk),
            "messageType": "prescription",
            "payload": {"medication": "Carprofen 50 mg"},
        },
        "application/json",
    )
    assert answer.status_code == HTTPStatus.CREATED


def test_the_hold_lasts_until_the_next_opening_on_the_clinics_clock(appointment, vet):
    # given: Monday to Friday 08:00-18:00 in New York, a reply on Friday at 20:00 there
    clinic = set_hours({day: [(time(8), time(18))] for day in range(5)})
    clinic.time_zone = "America/New_York"
    clinic.save()
    ReplyHold.objects.create(clinic=clinic, hold_while_closed=True)
    from clinic.selectors import forget_clinic_snapshot

    forget_clinic_snapshot()
    zone = ZoneInfo("America/New_York")
    friday_evening = datetime(2026, 3, 6, 20, 0, tzinfo=zone)
    chat = access_chat(user=vet, appointment_id=appointment.pk)
    # then: Monday 08:00 there
    assert held_until(chat=chat, sender=vet, now=friday_evening) == datetime(
        2026, 3, 9, 8, 0, tzinfo=zone
    )
    assert held_until(chat=chat, sender=vet, now=friday_evening - timedelta(hours=3)) is None
