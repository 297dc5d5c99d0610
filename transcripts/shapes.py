"""The transcript's JSON (`GET /appointments/<id>/transcript.json`), documented in the README.

The shape is stable: fields are added, never renamed or removed, and `version` changes if
that promise ever has to be broken. Times are ISO 8601 in the clinic's time zone.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from transcripts.selectors import Entry, TranscriptDocument

VERSION = 1


def local_iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment, zone).isoformat(timespec="seconds")


def verification_text(document: TranscriptDocument) -> str:
    """How to check that the chat behind this transcript is the one the clinic still holds."""
    if not document.last_seq:
        return "This chat holds no messages, so it has no chain to verify."
    return (
        f"Each message and each change to one (edit, retraction, acknowledgement) is a link: "
        f"HMAC-SHA256, with the clinic's key, of the previous link and the change; the head is "
        f"the newest link, up to message #{document.last_seq}. Run `python manage.py "
        f"verify_chat_integrity --appointment {document.appointment_id}`: it recomputes every "
        f"link from the stored messages and their earlier versions and fails unless they lead "
        f"to the chat's recorded head, which must equal the head printed here."
    )


def entry_json(entry: Entry, *, full_history: bool, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "_id": str(entry.id),
        "seq": entry.seq,
        "sentAt": local_iso(entry.created_at, zone),
        "senderId": str(entry.sender_id),
        "senderName": entry.sender_name,
        "senderRole": entry.sender_part,
        "senderSide": entry.sender_side,
        "messageType": entry.message_type,
        "content": entry.content,
        "fields": [{"name": f.name, "label": f.label, "value": f.value} for f in entry.fields],
        "attachments": [
            {"name": a.name, "contentType": a.content_type, "size": a.size, "url": a.url}
            for a in entry.attachments
        ],
        "editedAt": local_iso(entry.edited_at, zone),
        "removedAt": local_iso(entry.retracted_at, zone),
        "removed": entry.hidden,
        "amends": entry.amends_seq,
        "amendedBy": list(entry.amended_by),
        "acknowledgement": (
            {"by": entry.acknowledged_by, "at": local_iso(entry.acknowledged_at, zone)}
            if entry.acknowledged_at
            else None
        ),
        "history": [
            {
                "change": v.change,
                "content": v.content,
                "changedBy": v.changed_by,
                "changedAt": local_iso(v.changed_at, zone),
            }
            for v in entry.history
        ]
        if full_history
        else [],
    }


def transcript_json(document: TranscriptDocument) -> dict[str, Any]:
    zone = ZoneInfo(document.time_zone)
    return {
        "version": VERSION,
        "clinic": document.clinic,
        "audience": document.audience,
        "timeZone": document.time_zone,
        "generatedAt": local_iso(document.generated_at, zone),
        "appointment": {
            "id": str(document.appointment_id),
            "petName": document.pet_name,
            "petSpecies": document.pet_species,
            "petBreed": document.pet_breed,
            "petParentName": document.pet_parent,
            "veterinarianName": document.veterinarian,
            "startsAt": local_iso(document.starts_at, zone),
            "endsAt": local_iso(document.ends_at, zone),
            "reason": document.reason,
            "status": document.status,
        },
        "integrity": {
            "lastSeq": document.last_seq,
            "chainHead": document.chain_head,
            "verify": verification_text(document),
        },
        "messages": [
            entry_json(entry, full_history=document.full_history, zone=zone)
            for entry in document.entries
        ],
    }
