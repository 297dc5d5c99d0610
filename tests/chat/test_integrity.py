"""The chat as a record: every message chained to the one before, none ever deleted."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from chat.integrity import GENESIS, link
from chat.models import Chat, Message
from chat.selectors import canonical_message
from tests.factories import AppointmentFactory, send_message

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_chat_integrity", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def conversation(appointment, parent, vet):
    send_message(parent, appointment, "Rex is limping")
    send_message(vet, appointment, "Since when?")
    send_message(vet, appointment, "", message_type="prescription", payload={"medication": "X"})
    return appointment


def test_each_message_links_to_the_one_before(conversation):
    messages = list(Message.objects.order_by("seq"))
    previous = GENESIS
    for message in messages:
        assert message.hash == link(previous, canonical_message(message))
        previous = message.hash
    assert Chat.objects.get().last_hash == messages[-1].hash


def test_an_intact_record_passes(conversation):
    out, err = verify()
    assert "1 chats checked, every chain intact." in out
    assert err == ""


def test_a_message_altered_in_the_database_is_named(conversation, appointment):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_message SET content = 'Rex is fine' WHERE seq = 1")
    with pytest.raises(CommandError, match="1 of 1 chats failed"):
        verify("--appointment", str(appointment.pk))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chat_integrity", stderr=err)
    assert f"Appointment {appointment.pk}: broken at message #1" in err.getvalue()


def test_a_message_moved_out_of_its_place_is_named(conversation):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_message SET seq = 9 WHERE seq = 2")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chat_integrity", stderr=err)
    assert "broken at message #2" in err.getvalue() and "missing" in err.getvalue()


def test_a_rewritten_head_is_caught(conversation):
    Chat.objects.update(last_hash="0" * 64)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chat_integrity", stderr=err)
    assert "head" in err.getvalue()


def test_one_chat_can_be_checked_alone(conversation, parent, vet):
    other = AppointmentFactory(pet__owner=parent, veterinarian=vet)
    send_message(parent, other, "elsewhere")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_message SET content = 'x' WHERE content = 'elsewhere'")
    out, _ = verify("--appointment", str(conversation.pk))
    assert "1 chats checked" in out
    with pytest.raises(CommandError, match="1 of 2 chats failed"):
        verify()


def test_the_database_refuses_to_delete_a_message(conversation):
    message = Message.objects.first()
    with pytest.raises(IntegrityError, match="never deleted"), transaction.atomic():
        message.delete()
    with (
        pytest.raises(IntegrityError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM chat_message")
    assert Message.objects.count() == 3
