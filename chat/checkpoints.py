"""Signed checkpoints of the chats' heads, kept outside PostgreSQL beside the filed transcripts
(`STORAGES["transcripts"]`, folder `checkpoints/`).

The keyed chain (`chat.chain`) stops anyone who can write the tables but holds no key. A
checkpoint also catches whoever holds both, a superuser who rewrites a whole chain with valid
links or cuts its newest links off: the head a checkpoint saw must still be the link at its
position. Each hour the worker writes one file with a line for every chat whose head moved since
(`Chat.checkpointed_link`); a line is the chat, its last seq, its link count, its head, the time
and the key, signed with that key. Files are only ever added.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection
from django.db.models import F

from chat.chain import CheckpointedHead
from chat.integrity import keyring, sign
from chat.models import Chat

FOLDER = "checkpoints"
_FIELDS = ("chat", "appointment", "lastSeq", "links", "head", "takenAt", "key")


def _storage() -> Storage:
    return storages["transcripts"]


def checkpoint_write(*, now: datetime) -> str | None:
    """Write the heads that moved since the last checkpoint; the file's name, or None when no
    head moved. A chat is marked checkpointed only once its line is stored."""
    heads = list(
        Chat.objects.filter(last_link__gt=F("checkpointed_link"))
        .order_by("pk")
        .values_list("pk", "appointment_id", "last_seq", "last_link", "last_hash")
    )
    if not heads:
        return None
    ring = keyring()
    key = ring.keys[ring.current]
    taken_at = now.astimezone(UTC)
    lines = []
    for chat_id, appointment_id, last_seq, links, head in heads:
        entry: dict[str, Any] = {
            "chat": chat_id,
            "appointment": str(appointment_id),
            "lastSeq": last_seq,
            "links": links,
            "head": head,
            "takenAt": taken_at.isoformat(timespec="microseconds"),
            "key": ring.current,
        }
        lines.append(json.dumps({**entry, "mac": sign(entry, key)}, sort_keys=True))
    name = _storage().save(
        f"{FOLDER}/chat-heads-{taken_at:%Y%m%dT%H%M%S%fZ}.jsonl",
        ContentFile(("\n".join(lines) + "\n").encode()),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE chat_chat AS chat SET checkpointed_link = heads.links
            FROM unnest(%s::bigint[], %s::integer[]) AS heads(id, links)
            WHERE chat.id = heads.id AND chat.checkpointed_link < heads.links
            """,
            [[h[0] for h in heads], [h[3] for h in heads]],
        )
    return name


@dataclass
class Checkpoints:
    """Every checkpoint line that verified, by chat, and what was wrong with the others."""

    files: int = 0
    latest: datetime | None = None
    heads: dict[int, list[CheckpointedHead]] = field(default_factory=lambda: defaultdict(list))
    appointments: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def of(self, chat_id: int) -> list[CheckpointedHead]:
        return self.heads.get(chat_id, [])


def checkpoints_read() -> Checkpoints:
    """Read and check the signature of every checkpoint line."""
    storage = _storage()
    found = Checkpoints()
    try:
        _, names = storage.listdir(FOLDER)
    except FileNotFoundError:
        return found
    ring = keyring()
    for name in sorted(n for n in names if n.endswith(".jsonl")):
        found.files += 1
        with storage.open(f"{FOLDER}/{name}", "rb") as file:
            text = file.read().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"Checkpoint {name}, line {number}"
            try:
                entry = json.loads(line)
                signed = {part: entry[part] for part in _FIELDS}
                key = ring.key(signed["key"])
                if key is None:
                    found.problems.append(
                        f"{where}: signed with key {signed['key']!r}, which is not configured."
                    )
                    continue
                if sign(signed, key) != entry["mac"]:
                    found.problems.append(f"{where}: its signature does not match; it was altered.")
                    continue
                head = CheckpointedHead(
                    links=int(signed["links"]),
                    head=str(signed["head"]),
                    taken_at=datetime.fromisoformat(signed["takenAt"]),
                )
                chat_id = int(signed["chat"])
            except (ValueError, KeyError, TypeError):
                found.problems.append(f"{where}: not a checkpoint line.")
                continue
            found.heads[chat_id].append(head)
            found.appointments[chat_id] = str(signed["appointment"])
            found.latest = max(found.latest or head.taken_at, head.taken_at)
    return found
