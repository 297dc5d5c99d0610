"""Clinic notices: entries the clinic itself writes into a chat (hand-overs, after-hours
replies), stored, chained and published like messages, and never sendable by a client."""

from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.services import CLINIC_ACCOUNT_EMAIL, clinic_account
from chat.events import MessageCreated
from chat.models import Message
from chat.services import system_entry_post
from tests.chat.conftest import URL, post
from tests.factories import send_message

pytestmark = pytest.mark.django_db


def test_a_notice_takes_the_next_seq_and_is_published(
    appointment, parent, heard, django_capture_on_commit_callbacks
):
    send_message(parent, appointment, "Rex ate a sock")
    with django_capture_on_commit_callbacks(execute=True):
        sent = system_entry_post(appointment_id=appointment.pk, content="  The clinic is closed.  ")

    assert sent.created and sent.message.seq == 2
    stored = Message.objects.get(pk=sent.message.id)
    assert stored.message_type == Message.Type.SYSTEM
    assert stored.content == "The clinic is closed."
    assert stored.sender.email == CLINIC_ACCOUNT_EMAIL
    assert [type(e) for e in heard] == [MessageCreated]
    assert heard[0].message.id == stored.pk


def test_notices_are_part_of_the_hash_chain(appointment, parent):
    send_message(parent, appointment, "Hello")
    system_entry_post(appointment_id=appointment.pk, content="Dr. A handed this to Dr. B")
    send_message(parent, appointment, "Thanks")
    out = StringIO()
    call_command("verify_chat_integrity", "--appointment", str(appointment.pk), stdout=out)
    assert "1 chats checked, every chain intact." in out.getvalue()


def test_participants_read_a_notice_as_the_clinic(client_for, appointment, parent):
    system_entry_post(appointment_id=appointment.pk, content="Replies from Monday 08:00.")
    response = client_for(parent).get(URL, {"appointmentId": str(appointment.pk)})
    assert response.status_code == HTTPStatus.OK
    (message,) = response.json()["messages"]
    assert message["messageType"] == "system"
    assert message["content"] == "Replies from Monday 08:00."
    assert message["senderName"] == clinic_account().name

    page = client_for(parent).get(f"/appointments/{appointment.pk}/")
    assert 'class="message message-system theirs"' in page.text
    assert "Replies from Monday 08:00." in page.text


def test_no_client_can_send_a_notice(client_for, appointment, parent, vet):
    for user in (parent, vet):
        body = {"appointmentId": str(appointment.pk), "content": "hi", "messageType": "system"}
        response = post(client_for(user), body)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "messageType" in response.json()["error"]["fields"]
    assert not Message.objects.exists()


def test_the_clinic_account_cannot_sign_in(appointment):
    account = clinic_account()
    assert clinic_account().pk == account.pk  # one account, however often asked
    assert not account.is_active and not account.has_usable_password()
    client = Client()
    assert not client.login(email=CLINIC_ACCOUNT_EMAIL, password="")


def test_a_notice_needs_text(appointment):
    with pytest.raises(ValueError, match="clinic notice"):
        system_entry_post(appointment_id=appointment.pk, content="   ")
    assert not Message.objects.exists()
