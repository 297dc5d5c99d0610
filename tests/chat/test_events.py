"""The event seam: what the services publish, when, and what a failing subscriber cannot break."""

from http import HTTPStatus

import pytest
from django.db import transaction

from chat import events
from chat.events import ChatRead, MessageCreated, MessageResent
from chat.models import Message
from chat.services import access_chat, chat_mark_read, message_send
from tests.chat.conftest import post

pytestmark = pytest.mark.django_db


def test_a_send_is_published_only_after_commit(
    client_for, appointment, parent, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client_for(parent), {"appointmentId": str(appointment.pk), "content": "hi"})
        assert heard == []  # not before the commit
    assert response.status_code == HTTPStatus.CREATED
    # One per subscriber: this test's, the live push's and the clinic's after-hours check.
    assert len(callbacks) == 3
    (event,) = heard
    assert isinstance(event, MessageCreated)
    assert event.appointment_id == appointment.pk
    assert event.message.content == "hi"
    assert str(event.message.id) == response.json()["message"]["_id"]


def test_a_rolled_back_send_publishes_nothing(appointment, parent, heard):
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(chat=chat, sender=parent, content="never stored")
        raise RuntimeError
    assert heard == []
    assert not Message.objects.exists()


def test_a_repeated_client_id_creates_nothing_and_names_the_stored_message_again(
    appointment, parent, heard, django_capture_on_commit_callbacks
):
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        first = message_send(chat=chat, sender=parent, content="once", client_id="c-1")
        again = message_send(chat=chat, sender=parent, content="once", client_id="c-1")
    assert (first.created, again.created) == (True, False)
    # no second MessageCreated (no second notification, red flag or record entry); only the
    # push subscriber acts on MessageResent
    assert [type(event) for event in heard] == [MessageCreated, MessageResent]
    assert heard[1].message.id == first.message.id


def test_reading_publishes_only_when_the_cursor_moves(
    appointment, parent, vet, send, heard, django_capture_on_commit_callbacks
):
    send(vet, "one")
    send(vet, "two")
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        chat = access_chat(user=parent, appointment_id=appointment.pk)
        assert chat_mark_read(chat=chat, user=parent, up_to_seq=2) is True
        assert chat_mark_read(chat=chat, user=parent, up_to_seq=1) is False
        fresh = access_chat(user=parent, appointment_id=appointment.pk)
        assert chat_mark_read(chat=fresh, user=parent, up_to_seq=2) is False
    assert heard == [ChatRead(appointment.pk, chat.chat_id, parent.pk, 2, parent.display_name)]


def test_an_in_transaction_subscriber_shares_the_send_transaction(appointment, parent):
    def refuse(event):
        raise RuntimeError("the subscriber's own write failed")

    events.subscribe(refuse, in_transaction=True)
    try:
        chat = access_chat(user=parent, appointment_id=appointment.pk)
        with pytest.raises(RuntimeError):
            message_send(chat=chat, sender=parent, content="rolled back with it")
    finally:
        events.unsubscribe(refuse)
    assert not Message.objects.exists()


def test_a_failing_subscriber_never_fails_the_send_nor_the_others(
    client_for, appointment, parent, heard, django_capture_on_commit_callbacks, caplog
):
    def broken(event):
        raise ConnectionError("push is down")

    events.subscribe(broken)
    events.unsubscribe(heard.append)
    events.subscribe(heard.append)  # registered after the broken one
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post(
                client_for(parent), {"appointmentId": str(appointment.pk), "content": "hi"}
            )
    finally:
        events.unsubscribe(broken)
    assert response.status_code == HTTPStatus.CREATED
    assert [type(event) for event in heard] == [MessageCreated]
    assert "push is down" in caplog.text
