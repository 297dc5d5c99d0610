"""An appointment's chat as staff read it in the admin: the whole record, every version kept.

Participants see a retracted message as removed and an edited one as its latest text; staff
see what was sent, each change with who made it and when, and what the message says now.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from appointments.models import Appointment
from appointments.participants import PART_LABELS, part_of
from chat.models import Message
from chat.rules import PAYLOAD_FIELDS
from chat.selectors import record_messages


@dataclass(frozen=True)
class Version:
    at: datetime
    what: str  # "Sent", "Edited", "Retracted"
    by: str
    content: str  # the text from this moment on


@dataclass
class Entry:
    message: Message
    sender_role: str
    details: list[tuple[str, str]]
    history: list[Version]
    amended_by: list[int] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return self.message.get_message_type_display()


def conversation(appointment: Appointment) -> list[Entry]:
    """Every message of the appointment's chat, oldest first, ready to read."""
    messages = record_messages(appointment_id=appointment.pk)
    entries = [
        Entry(
            message=message,
            sender_role=PART_LABELS[
                part_of(
                    user_id=message.sender_id, role=message.sender.role, appointment=appointment
                )
            ],
            details=_details(message.message_type, message.payload),
            history=_history(message),
        )
        for message in messages
    ]
    by_id = {entry.message.pk: entry for entry in entries}
    for entry in entries:
        if entry.message.amends_id in by_id:
            by_id[entry.message.amends_id].amended_by.append(entry.message.seq)
    return entries


def _details(kind: str, payload: dict[str, Any] | None) -> list[tuple[str, str]]:
    values = payload or {}
    return [(f.label, values[f.name]) for f in PAYLOAD_FIELDS.get(kind, ()) if values.get(f.name)]


def _history(message: Message) -> list[Version]:
    """Each version of the message with when it began; empty when it never changed.

    A revision keeps the text as it stood before its change, so the first revision holds the
    text as sent, and each later version's text is the next revision's (or today's).
    """
    revisions = list(message.revisions.all())
    if not revisions:
        return []
    texts = [revision.content for revision in revisions[1:]] + [message.content]
    sender = message.sender.display_name
    versions = [Version(message.created_at, "Sent", sender, revisions[0].content)]
    for revision, text in zip(revisions, texts, strict=True):
        versions.append(
            Version(
                revision.changed_at,
                revision.get_change_display(),
                revision.changed_by.display_name,
                text,
            )
        )
    return versions
