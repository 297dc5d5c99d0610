"""Signed checkpoints of the chats' heads, kept beside the filed transcripts: a chain rewritten
whole by someone with superuser rights and the key, or cut back, no longer matches them."""

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from chat.chain import sent_body
from chat.checkpoints import checkpoint_write
from chat.integrity import GENESIS, link
from chat.models import Chat, Message
from chat.tasks import checkpoint_chats
from tests.chat.test_integrity import as_superuser, verify_fails
from tests.factories import AppointmentFactory, send_message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("transcript_root")]
NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def verify_passes() -> str:
    out = StringIO()
    call_command("verify_chat_integrity", stdout=out, stderr=StringIO())
    return out.getvalue()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def conversation(appointment, parent, vet):
    send_message(parent, appointment, "Rex is limping")
    send_message(vet, appointment, "Since when?")
    send_message(parent, appointment, "Since Sunday")
    return appointment


def test_a_checkpoint_signs_every_head_that_moved(conversation, parent, transcript_root):
    # given two chats, one of them quiet
    quiet = AppointmentFactory(pet__owner=parent)
    send_message(parent, quiet, "Hello")
    # when the first checkpoint is taken
    name = checkpoint_write(now=NOON)
    # then it holds both heads, signed with the current key
    entries = lines(transcript_root / name)
    chat = Chat.objects.get(appointment=conversation)
    assert {e["appointment"] for e in entries} == {str(conversation.pk), str(quiet.pk)}
    mine = next(e for e in entries if e["chat"] == chat.pk)
    assert mine["lastSeq"] == 3
    assert mine["links"] == 3
    assert mine["head"] == chat.last_hash
    assert mine["takenAt"] == "2026-12-03T12:00:00.000000+00:00"
    assert mine["key"] == "test"
    assert len(mine["mac"]) == 64
    # and the next one only what moved since
    assert checkpoint_write(now=NOON) is None
    send_message(parent, conversation, "He is better")
    later = checkpoint_write(now=NOON.replace(hour=13))
    assert [e["chat"] for e in lines(transcript_root / later)] == [chat.pk]
    assert "Checked against 2 checkpoints" in verify_passes()


def test_the_hourly_job_writes_a_checkpoint(conversation, transcript_root):
    name = checkpoint_chats(timestamp=int(NOON.timestamp()))
    assert (transcript_root / name).exists()
    assert Chat.objects.get().checkpointed_link == 3


def test_a_whole_chain_rewritten_with_the_key_is_caught_by_a_checkpoint(conversation):
    # given a checkpoint of the chat as it was
    checkpoint_write(now=NOON)
    # when a superuser who also holds the key rewrites a message and recomputes every link
    as_superuser("UPDATE chat_message SET content = 'Rex is fine' WHERE seq = 1")
    previous = GENESIS
    for message in Message.objects.order_by("seq"):
        previous = link(previous, sent_body(message))
        as_superuser("UPDATE chat_message SET hash = %s WHERE id = %s", [previous, message.pk])
        as_superuser(
            "UPDATE chat_chainlink SET hash = %s WHERE message_id = %s", [previous, message.pk]
        )
    as_superuser("UPDATE chat_chat SET last_hash = %s, checkpointed_link = 0", [previous])
    # then every link is valid, but the checkpoint's head is not the chain's any more
    err = verify_fails()
    assert f"Appointment {conversation.pk}: broken at link #3" in err
    assert "differs from the checkpoint of 2026-12-03 12:00 UTC" in err
    # and a checkpoint taken after the rewrite does not make it pass
    checkpoint_write(now=NOON.replace(hour=13))
    assert "differs from the checkpoint of 2026-12-03 12:00 UTC" in verify_fails()


def test_a_chain_cut_back_is_caught_by_a_checkpoint(conversation):
    checkpoint_write(now=NOON)
    # a superuser removes the last message and sets the chat's head back to the one before
    last = Message.objects.get(seq=3)
    before = Message.objects.get(seq=2)
    as_superuser("DELETE FROM chat_chainlink WHERE message_id = %s", [last.pk])
    as_superuser("DELETE FROM chat_message WHERE id = %s", [last.pk])
    as_superuser("UPDATE chat_chat SET last_seq = 2, last_link = 2, last_hash = %s", [before.hash])
    assert "the checkpoint of 2026-12-03 12:00 UTC saw 3 links; the chain now has 2" in (
        verify_fails()
    )


def test_a_chat_removed_from_the_database_is_named(conversation):
    checkpoint_write(now=NOON)
    as_superuser("DELETE FROM chat_chainlink")
    as_superuser("DELETE FROM chat_message")
    as_superuser("DELETE FROM chat_chat")
    assert f"Appointment {conversation.pk}: its chat" in verify_fails()


def test_an_altered_checkpoint_is_named(conversation, transcript_root):
    name = checkpoint_write(now=NOON)
    path = transcript_root / name
    (entry,) = lines(path)
    path.write_text(json.dumps({**entry, "links": 2}) + "\n")
    assert "its signature does not match" in verify_fails()


def test_a_checkpoint_under_an_unknown_key_is_named(conversation, transcript_root, settings):
    name = checkpoint_write(now=NOON)
    settings.VETCHAT_INTEGRITY_KEYS = "other:another-key-of-at-least-32-characters-xx"
    err = verify_fails()
    assert f"Checkpoint {Path(name).name}, line 1: signed with key 'test'" in err
