import hashlib
import json
import os
from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models

from chat.integrity import GENESIS, canonical, canonical_change, keyring, link

APPEND_ONLY = """
CREATE FUNCTION chat_chainlink_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chat''s chain is part of the medical record and never changes'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER chat_chainlink_append_only BEFORE UPDATE OR DELETE ON chat_chainlink
    FOR EACH ROW EXECUTE FUNCTION chat_chainlink_append_only();

-- A second guard beside the app's role having no TRUNCATE right: not even the tables' owner
-- empties the record by accident. Django's test runner empties tables between tests, so a
-- session may allow it (SET vetchat.allow_truncate = 'on'); only a role with the TRUNCATE
-- right can then use it.
CREATE FUNCTION chat_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('vetchat.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is part of the medical record and is never truncated', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER chat_chat_no_truncate BEFORE TRUNCATE ON chat_chat
    FOR EACH STATEMENT EXECUTE FUNCTION chat_refuse_truncate();
CREATE TRIGGER chat_message_no_truncate BEFORE TRUNCATE ON chat_message
    FOR EACH STATEMENT EXECUTE FUNCTION chat_refuse_truncate();
CREATE TRIGGER chat_messagerevision_no_truncate BEFORE TRUNCATE ON chat_messagerevision
    FOR EACH STATEMENT EXECUTE FUNCTION chat_refuse_truncate();
CREATE TRIGGER chat_chainlink_no_truncate BEFORE TRUNCATE ON chat_chainlink
    FOR EACH STATEMENT EXECUTE FUNCTION chat_refuse_truncate();
"""
NOT_APPEND_ONLY = """
DROP TRIGGER chat_chainlink_no_truncate ON chat_chainlink;
DROP TRIGGER chat_messagerevision_no_truncate ON chat_messagerevision;
DROP TRIGGER chat_message_no_truncate ON chat_message;
DROP TRIGGER chat_chat_no_truncate ON chat_chat;
DROP FUNCTION chat_refuse_truncate();
DROP TRIGGER chat_chainlink_append_only ON chat_chainlink;
DROP FUNCTION chat_chainlink_append_only();
"""


def _unkeyed_sent_form(message, content):
    """The form the unkeyed chain (0002) covered: the message as sent, without `amends`."""
    fields = {
        "seq": message.seq,
        "sender": str(message.sender_id),
        "type": message.message_type,
        "content": content,
        "payload": message.payload,
        "attachments": message.attachments,
        "createdAt": message.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _unkeyed_chain_intact(chat, messages, sent_content):
    previous = GENESIS
    for expected, message in enumerate(messages, start=1):
        body = _unkeyed_sent_form(message, sent_content[message.pk])
        digest = hashlib.sha256(previous.encode() + b"\n" + body).hexdigest()
        if message.seq != expected or digest != message.hash:
            return False
        previous = digest
    return len(messages) == chat.last_seq and previous == chat.last_hash


def _changes_in_order(messages, revisions, acknowledged):
    """Every change of a chat as (kind, message, revision): sends in seq order, the changes
    between them by time, each after its own message's send."""
    sends = [("sent", m.created_at, m, None) for m in messages]
    changes = sorted(
        [(r.change, r.changed_at, r.message, r) for r in revisions]
        + [("acknowledged", m.acknowledged_at, m, None) for m in acknowledged],
        key=lambda change: (change[1], change[3].pk if change[3] else 0),
    )
    ordered, sent_ids = [], set()
    for send in sends:
        while changes and changes[0][1] < send[1] and changes[0][2].pk in sent_ids:
            ordered.append(changes.pop(0))
        ordered.append(send)
        sent_ids.add(send[2].pk)
    return ordered + changes


def link_every_change(apps, schema_editor):
    """Rebuild each chat's chain with the keyed links, after checking the unkeyed one it
    replaces: a chat that fails it was changed in the database, and relinking would hide that."""
    Chat = apps.get_model("chat", "Chat")
    Message = apps.get_model("chat", "Message")
    MessageRevision = apps.get_model("chat", "MessageRevision")
    ChainLink = apps.get_model("chat", "ChainLink")
    ring = keyring()
    key = ring.keys[ring.current]
    broken = []
    for chat in Chat.objects.filter(last_seq__gt=0).order_by("pk").iterator():
        messages = list(Message.objects.filter(chat=chat).order_by("seq"))
        by_id = {m.pk: m for m in messages}
        revisions = list(MessageRevision.objects.filter(message__chat=chat).order_by("pk"))
        kept = {}
        for revision in revisions:
            revision.message = by_id[revision.message_id]
            kept.setdefault(revision.message_id, []).append(revision)
        sent_content = {
            m.pk: kept[m.pk][0].content if m.pk in kept else m.content for m in messages
        }
        if not _unkeyed_chain_intact(chat, messages, sent_content):
            broken.append(str(chat.appointment_id))
            continue
        previous, links = GENESIS, []
        acknowledged = [m for m in messages if m.acknowledged_at is not None]
        for change, at, message, revision in _changes_in_order(messages, revisions, acknowledged):
            if change == "sent":
                body = canonical(
                    seq=message.seq,
                    sender_id=message.sender_id,
                    message_type=message.message_type,
                    content=sent_content[message.pk],
                    payload=message.payload,
                    attachments=message.attachments,
                    created_at=message.created_at,
                    amends_id=message.amends_id,
                )
            elif change == "acknowledged":
                body = canonical_change(
                    message_id=message.pk,
                    change=change,
                    at=at,
                    by=message.acknowledged_by_id,
                    content=None,
                )
            else:
                versions = kept[message.pk]
                later = versions.index(revision) + 1
                after = versions[later].content if later < len(versions) else message.content
                body = canonical_change(
                    message_id=message.pk,
                    change=change,
                    at=at,
                    by=revision.changed_by_id,
                    content=after,
                )
            previous = link(previous, body, key)
            if change == "sent":
                message.hash = previous
            links.append(
                ChainLink(
                    chat=chat,
                    position=len(links) + 1,
                    change=change,
                    message=message,
                    revision=revision,
                    key_id=ring.current,
                    hash=previous,
                )
            )
        ChainLink.objects.bulk_create(links, batch_size=2000)
        Message.objects.bulk_update(messages, ["hash"], batch_size=2000)
        Chat.objects.filter(pk=chat.pk).update(last_hash=previous, last_link=len(links))
    if broken and os.environ.get("VETCHAT_INTEGRITY_RELINK_BROKEN") != "1":
        raise RuntimeError(
            "These appointments' chats fail their hash chain, so they were changed in the "
            f"database: {', '.join(broken)}. Investigate before migrating (a relinked chain "
            "would hide it); VETCHAT_INTEGRITY_RELINK_BROKEN=1 migrates anyway and leaves "
            "them unlinked, so verify_chat_integrity keeps naming them."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0006_read_state_unread_from"),
    ]

    operations = [
        migrations.AddField(
            model_name="chat",
            name="last_link",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="chat",
            name="checkpointed_link",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.CreateModel(
            name="ChainLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField()),
                (
                    "change",
                    models.CharField(
                        choices=[
                            ("sent", "Sent"),
                            ("edited", "Edited"),
                            ("retracted", "Retracted"),
                            ("acknowledged", "Acknowledged"),
                        ],
                        max_length=20,
                    ),
                ),
                ("key_id", models.CharField(max_length=16)),
                ("hash", models.CharField(max_length=64)),
                (
                    "chat",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links",
                        to="chat.chat",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="chat.message",
                    ),
                ),
                (
                    "revision",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="chat.messagerevision",
                    ),
                ),
            ],
            options={
                "ordering": ["chat", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("chat", "position"), name="chat_chainlink_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(link_every_change, migrations.RunPython.noop),
        migrations.RunSQL(APPEND_ONLY, NOT_APPEND_ONLY),
    ]
