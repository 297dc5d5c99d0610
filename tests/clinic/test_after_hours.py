"""A pet parent who writes while the clinic is closed gets one automatic reply per chat and
closed period; vets never trigger it."""

import threading
from datetime import datetime, time

import pytest
from django.db import connection
from django.utils import timezone

from chat.models import Message
from chat.services import chat_get_or_create
from clinic.models import AfterHoursReply
from clinic.services import after_hours_reply_send
from tests.clinic.conftest import closed_now, open_now, set_hours
from tests.factories import send_message

pytestmark = pytest.mark.django_db


def replies(appointment) -> list[Message]:
    return list(
        Message.objects.filter(chat__appointment=appointment, message_type="system").order_by("seq")
    )


def test_two_sends_while_closed_get_one_reply_with_the_clinics_text_and_numbers(
    clinic, appointment, parent, django_capture_on_commit_callbacks
):
    closed_now()
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "Is Rex due his booster?")
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "Also, he is limping a little.")

    [reply] = replies(appointment)
    assert reply.content.startswith("We are closed; the team answers when we open.")
    assert "City Animal Emergency Hospital: 01632 960 999" in reply.content
    assert reply.seq == 2  # right after the message that raised it
    assert AfterHoursReply.objects.filter(chat__appointment=appointment).count() == 1


def test_a_vets_message_while_closed_gets_no_reply(
    clinic, appointment, vet, django_capture_on_commit_callbacks
):
    closed_now()
    with django_capture_on_commit_callbacks(execute=True):
        send_message(vet, appointment, "Results are back, all normal.")
    assert replies(appointment) == []


def test_no_reply_while_open(clinic, appointment, parent, django_capture_on_commit_callbacks):
    open_now()
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "Hello")
    assert replies(appointment) == []


def test_no_reply_until_hours_are_set(
    clinic, appointment, parent, django_capture_on_commit_callbacks
):
    set_hours({})
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "Hello")
    assert replies(appointment) == []


def test_each_chat_gets_its_own_reply(
    clinic, appointment, parent, django_capture_on_commit_callbacks
):
    from tests.factories import AppointmentFactory

    closed_now()
    other = AppointmentFactory(pet__owner=parent)
    with django_capture_on_commit_callbacks(execute=True):
        send_message(parent, appointment, "First pet")
        send_message(parent, other, "Second pet")
    assert len(replies(appointment)) == 1
    assert len(replies(other)) == 1


def test_the_next_closed_period_gets_a_new_reply(clinic, appointment):
    set_hours({day: [(time(8), time(18))] for day in range(5)})
    chat = chat_get_or_create(appointment_id=appointment.pk)

    def send_at(text: str) -> bool:
        moment = timezone.make_aware(datetime.fromisoformat(text))  # the clinic's wall clock
        return after_hours_reply_send(
            clinic_id=appointment.clinic_id,
            appointment_id=appointment.pk,
            chat_id=chat.pk,
            at=moment,
        )

    # 2026-12-07 is a Monday.
    assert send_at("2026-12-07T19:00:00") is True
    assert send_at("2026-12-08T06:00:00") is False  # the same night
    assert send_at("2026-12-08T10:00:00") is False  # open: no reply at all
    assert send_at("2026-12-08T19:00:00") is True  # Tuesday night: a new period
    assert send_at("2026-12-12T10:00:00") is True  # the weekend, until Monday
    assert send_at("2026-12-13T10:00:00") is False
    assert len(replies(appointment)) == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_while_closed_make_one_reply(clinic, appointment, parent, settings):
    # (transactional: `clinic` puts back the settings row a previous test's flush removed)
    settings.VETCHAT_RATE_LIMITS = {}
    closed_now()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def send(number: int) -> None:
        try:
            start.wait(5)
            send_message(parent, appointment, f"message {number}")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert Message.objects.filter(chat__appointment=appointment, message_type="text").count() == 4
    assert len(replies(appointment)) == 1
