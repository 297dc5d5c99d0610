"""The chat's hash chain in the database: appending a link under the chat's row lock, and
reading a chat back, link by link, to check it. The forms and the keys are `chat.integrity`'s.

A link stores no copy of what changed: its body is rebuilt from the message and its kept
versions (`MessageRevision`), the text after each change being the next version's (or the
message's own for the last). So a silent UPDATE of a message, a version or an acknowledgement
breaks the link that covers it, and a version or acknowledgement with no link shows as well.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chat.integrity import (
    GENESIS,
    BrokenLink,
    canonical,
    canonical_change,
    keyring,
    link,
    link_matches,
)
from chat.models import ChainLink, Chat, Message, MessageRevision

Change = ChainLink.Change


def sent_body(message: Message, content: str | None = None) -> bytes:
    """A message as its "sent" link covers it; `content` is the text as sent when edited since."""
    return canonical(
        seq=message.seq,
        sender_id=message.sender_id,
        message_type=message.message_type,
        content=message.content if content is None else content,
        payload=message.payload,
        attachments=message.attachments,
        created_at=message.created_at,
        amends_id=message.amends_id,
    )


def _change_body(message: Message, change: str, revision: MessageRevision | None) -> bytes:
    if change == Change.ACKNOWLEDGED:
        return canonical_change(
            message_id=message.pk,
            change=change,
            at=message.acknowledged_at,
            by=message.acknowledged_by_id,
            content=None,
        )
    if revision is None:
        raise ValueError(f"An {change} link covers the version the change kept.")
    return canonical_change(
        message_id=message.pk,
        change=change,
        at=revision.changed_at,
        by=revision.changed_by_id,
        content=message.content,
    )


def chain_append(
    *, locked: Chat, change: str, message: Message, revision: MessageRevision | None = None
) -> ChainLink:
    """Link one change into the locked chat's chain; the caller saves `locked`'s head
    (`last_hash`, `last_link`). A "sent" link may be stored before its message: the foreign
    key is checked at commit."""
    body = sent_body(message) if change == Change.SENT else _change_body(message, change, revision)
    ring = keyring()
    locked.last_hash = link(locked.last_hash, body, ring.keys[ring.current])
    locked.last_link += 1
    return ChainLink.objects.create(
        chat_id=locked.pk,
        position=locked.last_link,
        change=change,
        message=message,
        revision=revision,
        key_id=ring.current,
        hash=locked.last_hash,
    )


@dataclass(frozen=True)
class CheckpointedHead:
    """What a checkpoint written outside the database says a chat's chain held."""

    links: int
    head: str
    taken_at: datetime


@dataclass
class _Versions:
    """A message's kept versions in order, and the text each change left."""

    revisions: list[MessageRevision]

    def sent_content(self, message: Message) -> str:
        return self.revisions[0].content if self.revisions else message.content

    def content_after(self, message: Message, revision: MessageRevision) -> str:
        later = self.revisions.index(revision) + 1
        return self.revisions[later].content if later < len(self.revisions) else message.content


_LINK_COLUMNS = ("position", "change", "message_id", "revision_id", "key_id", "hash")


def chain_check(chat: Chat, checkpoints: Iterable[CheckpointedHead] = ()) -> BrokenLink | None:
    """The first fault of a chat's chain, or None: every link recomputed with the key it names,
    every message, version and acknowledgement covered by exactly one link, the messages' state
    what their last links say, the chat's head its last link, and every checkpoint's head still
    in the chain. Three queries, whatever the chat's length."""
    messages = {m.pk: m for m in Message.objects.filter(chat_id=chat.pk).order_by("seq")}
    versions: dict[UUID, _Versions] = defaultdict(lambda: _Versions([]))
    revisions: dict[int, MessageRevision] = {}
    for revision in MessageRevision.objects.filter(message__chat_id=chat.pk).order_by("pk"):
        versions[revision.message_id].revisions.append(revision)
        revisions[revision.pk] = revision
    links = ChainLink.objects.filter(chat_id=chat.pk).order_by("position")
    ring = keyring()
    previous, expected_seq, hashes = GENESIS, 1, [GENESIS]
    sent: dict[UUID, str] = {}
    linked_revisions: set[int] = set()
    acknowledged: set[UUID] = set()
    for position, change, message_id, revision_id, key_id, stored in links.values_list(
        *_LINK_COLUMNS
    ).iterator(chunk_size=2000):
        message = messages.get(message_id)
        where = f"message #{message.seq}" if message else f"link #{position}"
        if position != len(hashes):
            return BrokenLink(f"link #{len(hashes)}", None, "that link is missing")
        if message is None:
            return BrokenLink(where, message_id, "it names a message of another chat")
        if change == Change.SENT:
            if message.seq != expected_seq:
                where = f"message #{expected_seq}"
                return BrokenLink(where, None, f"{where} is missing or out of its place")
            body = sent_body(message, versions[message.pk].sent_content(message))
            sent[message.pk] = stored
            expected_seq += 1
        elif change == Change.ACKNOWLEDGED:
            body = _change_body(message, change, None)
            acknowledged.add(message.pk)
        else:
            revision = revisions.get(revision_id)
            if revision is None or revision.message_id != message.pk or revision.change != change:
                return BrokenLink(where, message.pk, f"the version its {change} link names changed")
            body = canonical_change(
                message_id=message.pk,
                change=change,
                at=revision.changed_at,
                by=revision.changed_by_id,
                content=versions[message.pk].content_after(message, revision),
            )
            linked_revisions.add(revision.pk)
        key = ring.key(key_id)
        if key is None:
            return BrokenLink(where, message.pk, f"its link names key {key_id!r}, not configured")
        if not link_matches(previous, body, key, stored):
            reason = (
                "its content or its place in the chat changed"
                if change == Change.SENT
                else f"it or its {change} link changed"
            )
            return BrokenLink(where, message.pk, reason)
        previous = stored
        hashes.append(stored)
    return (
        _uncovered(messages, versions, sent, linked_revisions, acknowledged)
        or _head(chat, previous, len(hashes) - 1, expected_seq - 1, len(messages))
        or _against_checkpoints(hashes, checkpoints)
    )


def _uncovered(
    messages: dict[UUID, Message],
    versions: dict[UUID, _Versions],
    sent: dict[UUID, str],
    linked_revisions: set[int],
    acknowledged: set[UUID],
) -> BrokenLink | None:
    """A message, version or acknowledgement no link covers, or a message whose state is not
    what its links say (edited, retracted, its own copy of its hash)."""
    for message in messages.values():
        where = f"message #{message.seq}"
        if message.pk not in sent:
            return BrokenLink(where, message.pk, "no link covers it")
        kept = versions[message.pk].revisions
        if any(revision.pk not in linked_revisions for revision in kept):
            return BrokenLink(where, message.pk, "a kept version of it is in no link")
        if message.acknowledged_at is not None and message.pk not in acknowledged:
            return BrokenLink(where, message.pk, "its acknowledgement is in no link")
        edits = [r.changed_at for r in kept if r.change == MessageRevision.Change.EDITED]
        retractions = [r.changed_at for r in kept if r.change == MessageRevision.Change.RETRACTED]
        if message.edited_at != (edits[-1] if edits else None):
            return BrokenLink(where, message.pk, "its edit time is not its last edit's")
        if message.retracted_at != (retractions[-1] if retractions else None):
            return BrokenLink(where, message.pk, "its retraction is not the one its link covers")
        if message.hash != sent[message.pk]:
            return BrokenLink(where, message.pk, "its stored hash is not its link's")
    return None


def _head(
    chat: Chat, head: str, last_link: int, last_seq: int, message_count: int
) -> BrokenLink | None:
    if last_seq != chat.last_seq or message_count != chat.last_seq:
        return BrokenLink(
            f"message #{last_seq + 1}", None, f"the chat says it holds {chat.last_seq} messages"
        )
    if last_link != chat.last_link or head != chat.last_hash:
        return BrokenLink("the chat's head", None, "the chat's recorded head is not its last link")
    return None


def _against_checkpoints(
    hashes: list[str], checkpoints: Iterable[CheckpointedHead]
) -> BrokenLink | None:
    """Each checkpoint's head must still be the link at its position: a chain rewritten or cut
    back since, even with valid links, differs there."""
    for checkpoint in checkpoints:
        taken = f"{checkpoint.taken_at:%Y-%m-%d %H:%M} UTC"
        if checkpoint.links >= len(hashes):
            return BrokenLink(
                f"link #{len(hashes)}",
                None,
                f"the checkpoint of {taken} saw {checkpoint.links} links; "
                f"the chain now has {len(hashes) - 1}",
            )
        if hashes[checkpoint.links] != checkpoint.head:
            return BrokenLink(
                f"link #{checkpoint.links}",
                None,
                f"the chain differs from the checkpoint of {taken}: it was rewritten since",
            )
    return None
