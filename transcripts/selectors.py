"""The transcript of an appointment's chat as one plain document, read in a fixed number of
queries, that the JSON and the PDF both render."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import UUID

from django.utils import timezone

from accounts.models import User, display_name
from appointments.access import Standing, standing
from appointments.models import Appointment
from appointments.participants import FAMILY_PARTS, PART_LABELS, Part, Side, part_of
from attachments.models import Attachment
from attachments.storage import attachment_storage, is_local
from chat.models import Chat, Message, MessageRevision
from chat.rules import PAYLOAD_FIELDS
from chat.selectors import MessageRow, message_page
from transcripts.models import Transcript
from vetchat.routers import reading_from_replica


@dataclass(frozen=True, slots=True)
class Version:
    """What a message said before one change to it (staff transcripts only)."""

    change: str  # "edited" or "retracted"
    content: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class AttachmentEntry:
    name: str
    content_type: str
    size: int
    url: str
    # A local file:// URL of a small picture to embed in the PDF, or None (see `thumbnail_of`).
    thumbnail: str | None = None


@dataclass(frozen=True, slots=True)
class FieldEntry:
    name: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One message as this transcript's reader may see it."""

    id: UUID
    seq: int
    sender_id: UUID
    sender_name: str
    sender_part: Part  # what the sender is to the appointment
    message_type: str
    type_label: str
    content: str
    fields: tuple[FieldEntry, ...]
    attachments: tuple[AttachmentEntry, ...]
    created_at: datetime
    edited_at: datetime | None
    retracted_at: datetime | None
    # True when the reader sees only that the message was removed (participants).
    hidden: bool
    amends_seq: int | None
    amended_by: tuple[int, ...]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    history: tuple[Version, ...] = ()

    @property
    def sender_side(self) -> Side:
        return Side.FAMILY if self.sender_part in FAMILY_PARTS else Side.CLINIC

    @property
    def sender_role_label(self) -> str:
        return PART_LABELS[self.sender_part]


@dataclass(frozen=True)
class TranscriptDocument:
    clinic: str
    appointment_id: UUID
    pet_name: str
    pet_species: str
    pet_breed: str
    pet_parent: str
    veterinarian: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    status: str
    status_label: str
    audience: str
    chain_head: str
    last_seq: int
    chat_rev: int
    appointment_updated_at: datetime
    generated_at: datetime
    time_zone: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def full_history(self) -> bool:
        return self.audience == Transcript.Audience.STAFF


def audience_of(user: User, appointment: Appointment) -> str:
    """Staff read the record in full; the participants see edits and removals only marked."""
    if standing(user, appointment) == Standing.STAFF:
        return Transcript.Audience.STAFF
    return Transcript.Audience.PARTICIPANTS


def thumbnails_of(rows: list[MessageRow]) -> dict[str, str]:
    """The file:// URL of each attachment's stored thumbnail, by attachment id, in one query:
    the one place that decides which picture of an attachment the PDF embeds. Only a thumbnail
    on this machine's disk is embedded; the PDF never fetches a URL, so with object storage a
    transcript lists the files without their pictures."""
    ids = {str(a["id"]) for row in rows for a in row.attachments or [] if a.get("thumbnailUrl")}
    storage = attachment_storage()
    if not ids or not is_local(storage):
        return {}
    keys = Attachment.objects.filter(pk__in=ids).exclude(thumbnail_key="")
    return {
        str(pk): Path(storage.path(key)).as_uri()
        for pk, key in keys.values_list("pk", "thumbnail_key")
    }


def _attachments(row: MessageRow, thumbnails: dict[str, str]) -> tuple[AttachmentEntry, ...]:
    return tuple(
        AttachmentEntry(
            name=str(a.get("name", "")),
            content_type=str(a.get("contentType", "")),
            size=int(a.get("size") or 0),
            url=str(a.get("url", "")),
            thumbnail=thumbnails.get(str(a.get("id"))),
        )
        for a in row.attachments or []
    )


def _fields(row: MessageRow) -> tuple[FieldEntry, ...]:
    payload = row.payload or {}
    return tuple(
        FieldEntry(f.name, f.label, payload[f.name])
        for f in PAYLOAD_FIELDS.get(row.message_type, ())
        if payload.get(f.name)
    )


def _histories(chat_id: int) -> dict[UUID, list[Version]]:
    """Every kept version of the chat's messages, in one query."""
    rows = (
        MessageRevision.objects.filter(message__chat_id=chat_id)
        .order_by("message_id", "changed_at", "pk")
        .values_list(
            "message_id", "change", "content", "changed_by__name", "changed_by__email", "changed_at"
        )
    )
    histories: dict[UUID, list[Version]] = defaultdict(list)
    for message_id, change, content, name, email, changed_at in rows:
        histories[message_id].append(
            Version(change, content, display_name(name, email), changed_at)
        )
    return histories


@reading_from_replica()  # may end a moment before the chat does: it records how far it reads
def transcript_document(*, appointment: Appointment, audience: str) -> TranscriptDocument:
    """The whole chat as `audience` may read it: four queries at most, whatever its length.

    `appointment` comes from `access_appointment` (pet and participants loaded). Its dates and
    times are told in its clinic's time zone (`time_zone`).
    """
    chat = (
        Chat.objects.filter(appointment_id=appointment.pk)
        .values("pk", "last_seq", "last_hash", "rev")
        .first()
    )
    full = audience == Transcript.Audience.STAFF
    rows: list[MessageRow] = []
    histories: dict[UUID, list[Version]] = {}
    if chat is not None and chat["last_seq"]:
        rows = message_page(chat_id=chat["pk"], limit=chat["last_seq"], after=0).rows
        if full:
            histories = _histories(chat["pk"])
    amended_by: dict[UUID, list[int]] = defaultdict(list)
    for row in rows:
        if row.amends_id:
            amended_by[row.amends_id].append(row.seq)
    labels = dict(Message.Type.choices)
    thumbnails = thumbnails_of(rows)

    entries = []
    for row in rows:
        hidden = row.retracted_at is not None and not full
        entries.append(
            Entry(
                id=row.id,
                seq=row.seq,
                sender_id=row.sender_id,
                sender_name=row.sender_name,
                sender_part=part_of(
                    user_id=row.sender_id, role=row.sender_role, appointment=appointment
                ),
                message_type=row.message_type,
                type_label=labels.get(row.message_type, row.message_type),
                content="" if hidden else row.content,
                fields=() if hidden else _fields(row),
                attachments=() if hidden else _attachments(row, thumbnails),
                created_at=row.created_at,
                edited_at=row.edited_at,
                retracted_at=row.retracted_at,
                hidden=hidden,
                amends_seq=row.amends_seq,
                amended_by=tuple(amended_by.get(row.id, ())),
                acknowledged_at=row.acknowledged_at,
                acknowledged_by=row.acknowledged_by_name,
                history=tuple(histories.get(row.id, ())),
            )
        )
    pet = appointment.pet
    clinic = appointment.clinic
    return TranscriptDocument(
        clinic=clinic.name,
        appointment_id=appointment.pk,
        pet_name=pet.name,
        pet_species=pet.get_species_display(),
        pet_breed=pet.breed,
        pet_parent=appointment.pet_parent.display_name,
        veterinarian=appointment.veterinarian.display_name,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        reason=appointment.reason,
        status=appointment.status,
        status_label=appointment.get_status_display(),
        audience=audience,
        chain_head=chat["last_hash"] if chat else "",
        last_seq=chat["last_seq"] if chat else 0,
        chat_rev=chat["rev"] if chat else 0,
        appointment_updated_at=appointment.updated_at,
        generated_at=timezone.now(),
        time_zone=clinic.time_zone,
        entries=entries,
    )


def chat_size(appointment_id: UUID) -> tuple[int, int]:
    """(messages, rev) of an appointment's chat, (0, 0) before it has one."""
    row = Chat.objects.filter(appointment_id=appointment_id).values_list("last_seq", "rev").first()
    return row or (0, 0)


def current_transcript(
    *, appointment: Appointment, audience: str, chat_rev: int
) -> Transcript | None:
    """The newest background transcript for this audience that still shows the chat as it is
    (ready or being prepared), if any."""
    return (
        Transcript.objects.filter(
            appointment_id=appointment.pk,
            audience=audience,
            chat_rev=chat_rev,
            appointment_updated_at=appointment.updated_at,
        )
        .exclude(status=Transcript.Status.FAILED)
        .order_by("-created_at")
        .first()
    )


def filed_transcripts(appointment_id: UUID) -> list[Transcript]:
    return list(
        Transcript.objects.filter(
            appointment_id=appointment_id, filed=True, status=Transcript.Status.READY
        )
    )
