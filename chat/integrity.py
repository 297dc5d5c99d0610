"""The chat as a hash chain: each message's hash covers the one before it and the message as
sent, so any later change to a stored message, or a message removed or slipped in, shows.

`hash = sha256(previous hash ‖ canonical message)`, taken at send under the chat's row lock
that also assigns seq, so the chain follows seq order exactly.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

GENESIS = ""  # the "previous hash" of a chat's first message


def canonical(
    *,
    seq: int,
    sender_id: UUID,
    message_type: str,
    content: str,
    payload: dict[str, Any] | None,
    attachments: list[dict[str, Any]],
    created_at: datetime,
) -> bytes:
    """One stable byte string per message as sent: sorted keys, no spaces, UTC microseconds."""
    fields = {
        "seq": seq,
        "sender": str(sender_id),
        "type": message_type,
        "content": content,
        "payload": payload,
        "attachments": attachments,
        "createdAt": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: str, message: bytes) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + message).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    message_id: UUID | None
    reason: str


def first_broken_link(
    messages: Iterable[tuple[UUID, int, str, bytes]], head: str, last_seq: int
) -> BrokenLink | None:
    """Walk (id, seq, stored hash, canonical bytes) in seq order; the first link that fails."""
    previous, expected_seq = GENESIS, 1
    for message_id, seq, stored, body in messages:
        if seq != expected_seq:
            return BrokenLink(expected_seq, None, f"message #{expected_seq} is missing")
        if link(previous, body) != stored:
            return BrokenLink(seq, message_id, "its content or its place in the chat changed")
        previous, expected_seq = stored, seq + 1
    if expected_seq - 1 != last_seq:
        return BrokenLink(expected_seq, None, f"the chat says it holds {last_seq} messages")
    if previous != head:
        return BrokenLink(last_seq, None, "the chat's recorded head does not match its last link")
    return None
