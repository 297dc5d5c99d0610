"""The chat as a keyed hash chain: every change to a chat (a message sent, edited, retracted or
acknowledged) is one link, whose HMAC covers the link before it and the change itself, so any
later change to a stored message or version, or a link removed, reordered or slipped in, shows.

`hash = HMAC-SHA256(key, previous hash ‖ "\\n" ‖ canonical change)`, taken under the chat's row
lock, so the chain follows the order the changes were made in. The keys live outside the
database (`VETCHAT_INTEGRITY_KEYS` or `VETCHAT_INTEGRITY_KEY_FILE`): whoever can write the tables
but holds no key cannot forge a link. Each link names the key that made it, so keys can rotate.
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS = ""  # the "previous hash" of a chat's first link
# Used only with DJANGO_DEBUG on and no key configured, so a development server needs no setup.
DEVELOPMENT_KEY_ID = "dev"
DEVELOPMENT_KEY = b"development-only-chat-integrity-key-never-used-in-production"
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,16}")
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Keyring:
    """The key that signs new links, and every key that older links may name."""

    current: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


def parse_keys(text: str, *, source: str) -> dict[str, bytes]:
    """`id:secret` entries, separated by commas or line breaks; blank lines and `#` comments
    are skipped. Ids are short (they are stored in every link); secrets long."""
    keys: dict[str, bytes] = {}
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, colon, secret = entry.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not colon or not KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{source}: each entry is id:secret, the id 1-16 letters, digits, '.', '_' or '-'."
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ImproperlyConfigured(
                f"{source}: the secret of key {key_id!r} is shorter than {MIN_SECRET_LENGTH} "
                'characters (python -c "import secrets; print(secrets.token_urlsafe(32))").'
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{source}: key {key_id!r} is listed twice.")
        keys[key_id] = secret.encode()
    return keys


def keyring() -> Keyring:
    """The configured keys; the file is read once per process (restart to rotate)."""
    return _keyring(
        settings.VETCHAT_INTEGRITY_KEYS,
        settings.VETCHAT_INTEGRITY_KEY_FILE,
        settings.VETCHAT_INTEGRITY_KEY_ID,
        settings.DEBUG,
    )


@cache
def _keyring(inline: str, file: str, current: str, debug: bool) -> Keyring:
    if inline and file:
        raise ImproperlyConfigured(
            "Set VETCHAT_INTEGRITY_KEYS or VETCHAT_INTEGRITY_KEY_FILE, not both."
        )
    if file:
        try:
            text = Path(file).read_text()
        except OSError as error:
            raise ImproperlyConfigured(
                f"VETCHAT_INTEGRITY_KEY_FILE {file} cannot be read: {error.strerror}."
            ) from error
        keys = parse_keys(text, source="VETCHAT_INTEGRITY_KEY_FILE")
    else:
        keys = parse_keys(inline, source="VETCHAT_INTEGRITY_KEYS")
    if not keys:
        if not debug:
            raise ImproperlyConfigured(
                "No chat integrity key: set VETCHAT_INTEGRITY_KEYS=id:secret (or "
                "VETCHAT_INTEGRITY_KEY_FILE), kept out of the database."
            )
        keys = {DEVELOPMENT_KEY_ID: DEVELOPMENT_KEY}
    current = current or next(iter(keys))
    if current not in keys:
        raise ImproperlyConfigured(
            f"VETCHAT_INTEGRITY_KEY_ID {current!r} is not among the configured keys."
        )
    return Keyring(current, keys)


def _stamp(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat(timespec="microseconds")


def _dumps(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical(
    *,
    seq: int,
    sender_id: UUID,
    message_type: str,
    content: str,
    payload: dict[str, Any] | None,
    attachments: list[dict[str, Any]],
    created_at: datetime,
    amends_id: UUID | None = None,
) -> bytes:
    """One stable byte string per message as sent: sorted keys, no spaces, UTC microseconds."""
    return _dumps(
        {
            "seq": seq,
            "sender": str(sender_id),
            "type": message_type,
            "content": content,
            "payload": payload,
            "attachments": attachments,
            "createdAt": _stamp(created_at),
            "amends": None if amends_id is None else str(amends_id),
        }
    )


def canonical_change(
    *,
    message_id: UUID,
    change: str,
    at: datetime | None,
    by: UUID | None,
    content: str | None,
) -> bytes:
    """One change to a sent message: what changed, when, by whom, and the text it left."""
    return _dumps(
        {
            "message": str(message_id),
            "change": change,
            "at": _stamp(at),
            "by": None if by is None else str(by),
            "content": content,
        }
    )


def link(previous: str, body: bytes, key: bytes | None = None) -> str:
    """The link after `previous` for `body`, with `key` (the current key when None)."""
    if key is None:
        ring = keyring()
        key = ring.keys[ring.current]
    return hmac.new(key, previous.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def link_matches(previous: str, body: bytes, key: bytes, stored: str) -> bool:
    return hmac.compare_digest(link(previous, body, key), stored)


def sign(fields: dict[str, Any], key: bytes) -> str:
    """The HMAC of a record kept outside the database (a checkpoint)."""
    return hmac.new(key, _dumps(fields), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    at: str  # "message #3", "link #7", "the chat's head"
    message_id: UUID | None
    reason: str
