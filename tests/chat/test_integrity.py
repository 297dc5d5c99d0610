"""The chat as a record: every change to it a link of a keyed chain, none ever deleted, and a
silent change to any of them named by `verify_chat_integrity`."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from chat.chain import sent_body
from chat.integrity import GENESIS, link
from chat.models import ChainLink, Chat, Message
from chat.selectors import canonical_message
from chat.services import (
    access_chat,
    message_edit,
    message_retract,
    prescription_acknowledge,
)
from tests.factories import AppointmentFactory, send_message

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_chat_integrity", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_fails(*args: str) -> str:
    """What verify_chat_integrity says about the chats that fail it."""
    err = StringIO()
    with pytest.raises(CommandError, match="failed the integrity check"):
        call_command("verify_chat_integrity", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def as_superuser(sql: str, params: list | None = None) -> None:
    """A statement run with the tables' triggers off, as only a superuser can."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params or [])
        finally:
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def conversation(appointment, parent, vet):
    send_message(parent, appointment, "Rex is limping")
    send_message(vet, appointment, "Since when?")
    send_message(vet, appointment, "", message_type="prescription", payload={"medication": "X"})
    return appointment


@pytest.fixture
def every_change(appointment, parent, vet):
    """A chat with a message of each kind and each change: edited, retracted, acknowledged,
    amended. Returns its messages by name."""
    as_parent = access_chat(user=parent, appointment_id=appointment.pk)
    typo = send_message(parent, appointment, "Rex ate a grpae")
    message_edit(chat=as_parent, user=parent, message_id=typo.id, content="Rex ate a grape")
    message_edit(chat=as_parent, user=parent, message_id=typo.id, content="Rex ate two grapes")
    gone = send_message(parent, appointment, "Our door code is 4512")
    message_retract(chat=as_parent, user=parent, message_id=gone.id)
    first = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Carprofen"}
    )
    amended = send_message(
        vet,
        appointment,
        "Half a tablet.",
        message_type="prescription",
        payload={"medication": "Carprofen", "dose": "25 mg"},
        amends=first.id,
    )
    prescription_acknowledge(chat=as_parent, user=parent, message_id=amended.id)
    waiting = send_message(
        vet, appointment, "", message_type="prescription", payload={"medication": "Cone"}
    )
    return {
        "edited": typo.id,
        "retracted": gone.id,
        "amended": first.id,
        "amending": amended.id,
        "acknowledged": amended.id,
        "unacknowledged": waiting.id,
    }


def test_each_message_links_to_the_one_before(conversation):
    messages = list(Message.objects.order_by("seq"))
    previous = GENESIS
    for message in messages:
        assert message.hash == link(previous, canonical_message(message))
        previous = message.hash
    assert Chat.objects.get().last_hash == messages[-1].hash


def test_every_change_is_a_link_of_the_chain(every_change):
    changes = list(ChainLink.objects.order_by("position").values_list("change", flat=True))
    assert changes == [
        "sent",
        "edited",
        "edited",
        "sent",
        "retracted",
        "sent",
        "sent",
        "acknowledged",
        "sent",
    ]
    chat = Chat.objects.get()
    head = ChainLink.objects.order_by("position").last()
    assert (chat.last_link, chat.last_hash) == (9, head.hash)
    out, err = verify()
    assert "1 chats checked, every chain intact." in out
    assert err == ""


def test_links_are_keyed(conversation):
    # given the first message's link, recomputed without the key (plain SHA-256)
    message = Message.objects.get(seq=1)
    unkeyed = hashlib.sha256(b"\n" + sent_body(message)).hexdigest()
    # then the stored link is not what anyone without the key could compute
    assert message.hash != unkeyed
    assert ChainLink.objects.get(position=1).key_id == "test"


def test_an_intact_record_passes(conversation):
    out, err = verify()
    assert "1 chats checked, every chain intact." in out
    assert err == ""


def test_a_message_altered_in_the_database_is_named(conversation, appointment):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_message SET content = 'Rex is fine' WHERE seq = 1")
    with pytest.raises(CommandError, match="1 of 1 chats failed"):
        verify("--appointment", str(appointment.pk))
    assert f"Appointment {appointment.pk}: broken at message #1" in verify_fails()


# Each change a silent UPDATE could make to the record, as (message, statement).
SILENT_CHANGES = {
    "edited text": ("edited", "UPDATE chat_message SET content = 'Rex ate nothing' WHERE id = %s"),
    "edit time": (
        "edited",
        "UPDATE chat_message SET edited_at = edited_at - interval '1 hour' WHERE id = %s",
    ),
    "retraction undone": ("retracted", "UPDATE chat_message SET retracted_at = NULL WHERE id = %s"),
    "retraction time": (
        "retracted",
        "UPDATE chat_message SET retracted_at = retracted_at + interval '1 day' WHERE id = %s",
    ),
    "acknowledgement undone": (
        "acknowledged",
        "UPDATE chat_message SET acknowledged_at = NULL, acknowledged_by_id = NULL WHERE id = %s",
    ),
    "acknowledgement time": (
        "acknowledged",
        "UPDATE chat_message SET acknowledged_at = acknowledged_at - interval '2 days' "
        "WHERE id = %s",
    ),
    "acknowledged by another": (
        "acknowledged",
        "UPDATE chat_message SET acknowledged_by_id = sender_id WHERE id = %s",
    ),
    "acknowledgement forged": (
        "unacknowledged",
        "UPDATE chat_message SET acknowledged_at = now(), "
        "acknowledged_by_id = (SELECT sender_id FROM chat_message WHERE seq = 1) WHERE id = %s",
    ),
    "amendment unlinked": ("amending", "UPDATE chat_message SET amends_id = NULL WHERE id = %s"),
    "amended text": ("amended", "UPDATE chat_message SET payload = '{}' WHERE id = %s"),
}


@pytest.mark.parametrize("change", SILENT_CHANGES)
def test_a_silent_change_to_any_change_is_named(every_change, appointment, change):
    # given a chat whose every kind of change verifies
    name, statement = SILENT_CHANGES[change]
    message = Message.objects.get(pk=every_change[name])
    verify()
    # when one of them is changed in the database, past the app
    with connection.cursor() as cursor:
        cursor.execute(statement, [message.pk])
    # then the check names the message
    err = verify_fails()
    assert f"Appointment {appointment.pk}: broken at message #{message.seq}" in err


def test_a_kept_version_altered_by_a_superuser_is_named(every_change, appointment):
    message = Message.objects.get(pk=every_change["edited"])
    as_superuser(
        "UPDATE chat_messagerevision SET content = 'Rex ate nothing' WHERE message_id = %s",
        [message.pk],
    )
    assert f"broken at message #{message.seq}" in verify_fails()


def test_a_version_slipped_in_is_named(every_change, parent):
    message = Message.objects.get(pk=every_change["unacknowledged"])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chat_messagerevision (message_id, change, content, changed_by_id, "
            "changed_at) VALUES (%s, 'edited', 'earlier', %s, now())",
            [message.pk, parent.pk],
        )
    assert f"broken at message #{message.seq}" in verify_fails()


def test_a_message_moved_out_of_its_place_is_named(conversation):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_message SET seq = 9 WHERE seq = 2")
    err = verify_fails()
    assert "broken at message #2" in err and "missing" in err


def test_a_rewritten_head_is_caught(conversation):
    Chat.objects.update(last_hash="0" * 64)
    assert "head" in verify_fails()


def test_a_chain_recomputed_without_the_key_is_caught(conversation, appointment):
    # given a superuser who rewrites a message and recomputes every link, with no key
    as_superuser("UPDATE chat_message SET content = 'Rex is fine' WHERE seq = 1")
    previous = GENESIS
    for message in Message.objects.order_by("seq"):
        previous = hashlib.sha256(previous.encode() + b"\n" + sent_body(message)).hexdigest()
        as_superuser("UPDATE chat_message SET hash = %s WHERE id = %s", [previous, message.pk])
        as_superuser(
            "UPDATE chat_chainlink SET hash = %s WHERE message_id = %s", [previous, message.pk]
        )
    as_superuser("UPDATE chat_chat SET last_hash = %s", [previous])
    # then the first link is named, checkpoint or none
    assert f"Appointment {appointment.pk}: broken at message #1" in verify_fails()


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
    with pytest.raises(ProtectedError), transaction.atomic():
        message.delete()
    with (
        pytest.raises(IntegrityError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM chat_message")
    assert Message.objects.count() == 3


@pytest.mark.parametrize(
    "statement", ["UPDATE chat_chainlink SET hash = ''", "DELETE FROM chat_chainlink"]
)
def test_the_database_refuses_to_change_a_link(conversation, statement):
    with (
        pytest.raises(IntegrityError, match="never changes"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


@pytest.mark.parametrize(
    "table", ["chat_chat", "chat_message", "chat_messagerevision", "chat_chainlink"]
)
def test_the_database_refuses_to_truncate_the_record(conversation, table):
    # the test database's sessions may empty tables between tests; this one may not
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL vetchat.allow_truncate = 'off'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts, checked now
        with pytest.raises(IntegrityError, match="never truncated"), transaction.atomic():
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Message.objects.count() == 3
