"""Every rule about what a message may be, whoever sends it and through whichever door.

The API, the plain form and any later door hand the sender's input here (through
`message_send`); serializers only parse types. Field lists are defined once, here, and shipped
to the page for the composer and the renderer.
"""

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.utils import dateformat, timezone

from accounts.models import User
from appointments.access import Action, Participants, may
from appointments.models import Appointment
from chat.models import MAX_CONTENT_LENGTH, Chat, Message
from tenancy.zones import clinic_time
from vetchat.errors import Conflict, InvalidInput, NotFound, NotPermitted

MAX_ATTACHMENTS = 10
ATTACHMENT_TYPES = frozenset({Message.Type.IMAGE, Message.Type.VIDEO, Message.Type.FILE})
VET_ONLY_TYPES = frozenset({Message.Type.ASSESSMENT, Message.Type.PRESCRIPTION})
# What people may send; clinic notices come only from `chat.services.system_entry_post`.
SENDABLE_TYPES = tuple(kind.value for kind in Message.Type if kind != Message.Type.SYSTEM)
# Sent by the pet's owners alone: the intake opens a topic (`triage`).
FAMILY_ONLY_TYPES = frozenset({Message.Type.INTAKE})


@dataclass(frozen=True)
class PayloadField:
    """One structured field of a type's payload. A payload is optional for every type (the
    seed's clients send none: their prescription is free text); `required` says what a
    payload must hold once it is sent."""

    name: str
    label: str
    max_length: int
    required: bool = False


PAYLOAD_FIELDS: dict[str, tuple[PayloadField, ...]] = {
    Message.Type.ASSESSMENT: (
        PayloadField("findings", "Findings", 4000),
        PayloadField("diagnosis", "Diagnosis", 1000),
        PayloadField("plan", "Plan", 4000),
    ),
    Message.Type.PRESCRIPTION: (
        PayloadField("medication", "Medication", 200, required=True),
        PayloadField("dose", "Dose", 200),
        PayloadField("frequency", "Frequency", 200),
        PayloadField("duration", "Duration", 200),
        PayloadField("notes", "Notes", 2000),
    ),
}
# Fields that make the text of a structured message sent without any.
SUMMARY_FIELDS = {
    Message.Type.ASSESSMENT: ("diagnosis",),
    Message.Type.PRESCRIPTION: ("medication", "dose", "frequency", "duration"),
}


class InvalidMessage(InvalidInput):
    def __init__(self, fields: dict[str, str]) -> None:
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields are invalid."
        super().__init__(message, fields=fields)


class ChatReadOnly(Conflict):
    code = "chat_read_only"


class MessageNotChangeable(Conflict):
    code = "message_not_changeable"


class MessageNotFound(NotFound):
    def __init__(self, field: str = "messageId") -> None:
        super().__init__("No such message in this chat.", fields={field: "No such message."})


class NotTheSender(NotPermitted):
    code = "not_the_sender"

    def __init__(self) -> None:
        super().__init__("Only the person who sent a message can change it.")


class NotForYou(NotPermitted):
    code = "not_for_you"


class MessageTypeNotAllowed(NotPermitted):
    code = "message_type_not_allowed"

    def __init__(self, message_type: str) -> None:
        text = (
            f"Only the pet's owners can send an {message_type}."
            if message_type in FAMILY_ONLY_TYPES
            else f"Only a veterinarian can send a {message_type}."
        )
        super().__init__(text, fields={"messageType": "Not allowed for you."})


@dataclass(frozen=True)
class CheckedPayload:
    """A payload a registered check accepted: as it is stored, and its words for the text."""

    payload: dict[str, Any]
    text: str


class PayloadCheck(Protocol):
    """The fields of a type another app defines (the intake's questions are the clinic's,
    `triage`), registered by that app in `payload_checks`."""

    def check(self, appointment: "ChatSubject", payload: Any) -> CheckedPayload:
        """The payload as stored and its words, or `InvalidMessage` naming the field."""
        ...

    def own_words(self, content: str, payload: dict[str, Any]) -> str:
        """The sender's own words of a stored message: its text before the payload's words."""
        ...

    def words(self, payload: dict[str, Any]) -> str:
        """The payload's words, as the message's text carries them after the sender's."""
        ...

    def speaks(self, payload: dict[str, Any]) -> bool:
        """Whether the stored payload says something without any words (an intake's chosen
        category): the message may then go without content."""
        ...

    # The payload as sent, as an OpenAPI 3.0 schema (`chat.openapi`), and what of it stands
    # for empty content (its words become the text).
    schema: dict[str, Any]
    fills_content: dict[str, Any]


payload_checks: dict[str, PayloadCheck] = {}


@dataclass(frozen=True)
class NewMessage:
    """A message that has passed every rule, ready to store."""

    message_type: str
    content: str
    payload: dict[str, str] | None
    attachments: list[dict[str, Any]]


class ChatSubject(Participants, Protocol):
    """What the rules read of a chat's appointment: participants, status, when it ended, and
    its clinic (whose calendar its dates are told in)."""

    clinic_id: int
    status: str
    ends_at: datetime
    reopened_until: datetime | None


def follow_up_closes_at(chat: ChatSubject) -> datetime | None:
    """When a completed appointment's chat stops taking follow-up questions."""
    if chat.status != Appointment.Status.COMPLETED:
        return None
    closes = chat.ends_at + settings.VETCHAT_FOLLOW_UP
    if chat.reopened_until is not None and chat.reopened_until > closes:
        return chat.reopened_until
    return closes


def read_only_reason(chat: ChatSubject, now: datetime | None = None) -> str:
    """Why nobody may write in this chat any more, or "" while it is open."""
    if chat.status == Appointment.Status.CANCELLED:
        return "This appointment was cancelled, so its chat is read-only."
    closes = follow_up_closes_at(chat)
    if closes is not None and (now or timezone.now()) >= closes:
        day = dateformat.format(clinic_time(closes, chat.clinic_id), "j F Y")
        return (
            f"The follow-up window of this appointment closed on {day}, so its chat is read-only."
        )
    return ""


def refuse_files_when_read_only(user: User, appointment: Appointment) -> None:
    """An upload into a chat nobody may write in any more is refused before it is kept."""
    reopened_until = (
        Chat.objects.filter(appointment=appointment)
        .values_list("reopened_until", flat=True)
        .first()
    )
    chat = SimpleNamespace(
        clinic_id=appointment.clinic_id,
        status=appointment.status,
        ends_at=appointment.ends_at,
        reopened_until=reopened_until,
    )
    reason = read_only_reason(chat)
    if reason:
        raise ChatReadOnly(reason)


def check_message(
    *,
    appointment: ChatSubject,
    sender: User,
    message_type: str,
    content: str,
    payload: Any = None,
    attachments: list[UUID] | None = None,
    unsent: dict[UUID, dict[str, Any]] | None = None,
) -> NewMessage:
    """The message as it will be stored, or the first reason it may not be sent.

    `attachments` are the ids the sender named; `unsent` the sender's uploads into this chat
    among them that no message holds yet, as their JSON (`attachments.shapes`), which is what
    the message stores."""
    reason = read_only_reason(appointment)
    if reason:
        raise ChatReadOnly(reason)
    if message_type not in SENDABLE_TYPES:
        raise InvalidMessage({"messageType": f"Use one of {', '.join(SENDABLE_TYPES)}."})
    if message_type in VET_ONLY_TYPES and not may(sender, appointment, Action.PRESCRIBE):
        raise MessageTypeNotAllowed(message_type)
    if message_type in FAMILY_ONLY_TYPES and not may(sender, appointment, Action.START_TOPIC):
        raise MessageTypeNotAllowed(message_type)

    errors: dict[str, str] = {}
    content_error = _content_error(content)
    if content_error:
        errors["content"] = content_error
    content = content.strip()

    if message_type in payload_checks:
        payload, payload_error, added = _registered_payload(message_type, appointment, payload)
        # The answers in words after the sender's own, for readers of text: the red-flag
        # matcher, search, transcripts and clients that show only text.
        content = "\n\n".join(filter(None, (content.strip(), added)))
        if not content_error and len(content) > MAX_CONTENT_LENGTH:
            errors["content"] = (
                f"With the answers, the message is over {MAX_CONTENT_LENGTH} characters: "
                "shorten it."
            )
    else:
        payload, payload_error = _checked_payload(message_type, payload)
    if payload_error:
        errors["payload"] = payload_error

    requested = attachments or []
    unsent = unsent or {}
    attachments_error = _attachments_error(message_type, requested, unsent)
    if attachments_error:
        errors["attachments"] = attachments_error

    if not content and not errors and message_type not in ATTACHMENT_TYPES:
        content = _summary(message_type, payload)
        registered = payload_checks.get(message_type)
        if not content and not (registered and payload and registered.speaks(payload)):
            errors["content"] = "Write a message before sending."
    if errors:
        raise InvalidMessage(errors)
    stored = [unsent[attachment_id] for attachment_id in requested]
    return NewMessage(message_type, content, payload, stored)


def _content_error(content: str) -> str:
    """Lengths count what was sent, so that a client can check them before sending."""
    if len(content) > MAX_CONTENT_LENGTH:
        return f"Messages can be at most {MAX_CONTENT_LENGTH} characters."
    if "\x00" in content:
        return "The message contains a NUL character."
    return ""


def check_amends(*, message_type: str, amended: Message | None) -> None:
    """An assessment or prescription may correct an earlier one of the same type."""
    if amended is None:
        return
    if message_type not in VET_ONLY_TYPES or amended.message_type != message_type:
        raise InvalidMessage(
            {"amends": f"Only a {amended.message_type} can amend a {amended.message_type}."}
        )
    if amended.retracted_at is not None:
        raise InvalidMessage({"amends": "That message was removed."})


def check_change(*, chat: ChatSubject, message: Message, user: User, now: datetime) -> None:
    """A sender may correct or retract a message for a short while after sending it."""
    if message.sender_id != user.pk:
        raise NotTheSender
    reason = read_only_reason(chat, now)
    if reason:
        raise ChatReadOnly(reason)
    if message.retracted_at is not None:
        raise MessageNotChangeable("This message was already removed.")
    window = settings.VETCHAT_EDIT_WINDOW
    if now - message.created_at > window:
        minutes = int(window.total_seconds() // 60)
        raise MessageNotChangeable(
            f"A message can be changed only in the {minutes} minutes after it was sent."
        )


def check_edit(
    *, chat: ChatSubject, message: Message, user: User, content: str, now: datetime
) -> str:
    """The corrected text, if this message may be corrected so."""
    check_change(chat=chat, message=message, user=user, now=now)
    registered = payload_checks.get(message.message_type)
    if message.message_type != Message.Type.TEXT and registered is None:
        raise MessageNotChangeable(
            f"Only text messages can be edited; send an amended {message.message_type} instead."
            if message.message_type in VET_ONLY_TYPES
            else "Only text messages can be edited."
        )
    error = _content_error(content) or ("" if content.strip() else "Write the corrected message.")
    if error:
        raise InvalidMessage({"content": error})
    if registered is None:
        return content.strip()
    # The sender corrects their own words; the payload's words (an intake's answers) stay.
    corrected = "\n\n".join(
        filter(None, (content.strip(), registered.words(message.payload or {})))
    )
    if len(corrected) > MAX_CONTENT_LENGTH:
        raise InvalidMessage(
            {"content": f"With the answers, the message is over {MAX_CONTENT_LENGTH} characters."}
        )
    return corrected


def check_acknowledge(*, chat: ChatSubject, message: Message, user: User) -> None:
    """The pet's owner or a co-owner confirms they have read and understood a prescription."""
    if not may(user, chat, Action.ACKNOWLEDGE):
        raise NotForYou("Only the pet parent acknowledges a prescription.")
    if message.message_type != Message.Type.PRESCRIPTION:
        raise MessageNotChangeable("Only prescriptions are acknowledged.")
    if message.retracted_at is not None:
        raise MessageNotChangeable("This prescription was removed.")


def _checked_payload(message_type: str, payload: Any) -> tuple[dict[str, str] | None, str]:
    if payload is None:
        return None, ""
    fields = PAYLOAD_FIELDS.get(message_type)
    if fields is None:
        return None, f"A {message_type} message carries no payload."
    if not isinstance(payload, dict):
        return None, "Send an object of named fields."
    known = {field.name: field for field in fields}
    problems = [f"{name}: Unknown field." for name in sorted(set(payload) - set(known))]
    clean: dict[str, str] = {}
    for field in fields:
        value = payload.get(field.name, "")
        if not isinstance(value, str):
            problems.append(f"{field.name}: Use text.")
            continue
        if len(value) > field.max_length:
            problems.append(f"{field.name}: At most {field.max_length} characters.")
        elif "\x00" in value:
            problems.append(f"{field.name}: Contains a NUL character.")
        elif field.required and not value.strip():
            problems.append(f"{field.name}: This field is required.")
        elif value.strip():
            clean[field.name] = value.strip()
    return (None, "; ".join(problems)) if problems else (clean or None, "")


def _registered_payload(
    message_type: str, appointment: ChatSubject, payload: Any
) -> tuple[dict[str, Any] | None, str, str]:
    """A payload checked by the check its app registered: (payload, error, its text)."""
    try:
        checked = payload_checks[message_type].check(appointment, payload)
    except InvalidMessage as error:
        return None, "; ".join(error.fields.values()), ""
    return checked.payload, "", checked.text


def _attachments_error(
    message_type: str, requested: list[UUID], unsent: dict[UUID, dict[str, Any]]
) -> str:
    """The attachments a message names must be this sender's unsent uploads into this chat,
    each named once, of the message's kind (any kind for a file message)."""
    if message_type not in ATTACHMENT_TYPES:
        return "Only image, video and file messages carry attachments." if requested else ""
    if not requested:
        return f"A {message_type} message needs at least one attachment."
    if len(requested) > MAX_ATTACHMENTS:
        return f"At most {MAX_ATTACHMENTS} attachments."
    if len(set(requested)) != len(requested):
        return "Each attachment can be named only once."
    for attachment_id in requested:
        attachment = unsent.get(attachment_id)
        if attachment is None:
            return (
                f"No upload {attachment_id} of yours is waiting to be sent in this chat: "
                "upload the file again."
            )
        if message_type != Message.Type.FILE and not attachment["contentType"].startswith(
            f"{message_type}/"
        ):
            return f"Not {message_type} content: {attachment['name']}."
    return ""


def _summary(message_type: str, payload: dict[str, str] | None) -> str:
    """Readable text for a structured message sent without any, for clients that show only text."""
    values = (payload or {}).get
    return ", ".join(filter(None, (values(name) for name in SUMMARY_FIELDS.get(message_type, ()))))
