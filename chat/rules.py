"""Every rule about what a message may be, whoever sends it and through whichever door.

The API, the plain form and any later door hand the sender's input here (through
`message_send`); serializers only parse types. Field lists are defined once, here, and shipped
to the page for the composer and the renderer.
"""

import re
from dataclasses import dataclass
from typing import Any, Protocol

from accounts.models import User
from appointments.access import Action, Participants, may
from appointments.models import Appointment
from chat.models import MAX_CONTENT_LENGTH, Message
from vetchat.errors import Conflict, InvalidInput, NotPermitted

MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_SIZE = 100 * 1024 * 1024
ATTACHMENT_TYPES = frozenset({Message.Type.IMAGE, Message.Type.VIDEO, Message.Type.FILE})
VET_ONLY_TYPES = frozenset({Message.Type.ASSESSMENT, Message.Type.PRESCRIPTION})
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*", re.I)
# A same-site path: one leading slash, then no slash or backslash that browsers would read as
# another host (`//evil`, `/\evil`).
SITE_PATH = re.compile(r"/(?![/\\])[^\\\s]*")


@dataclass(frozen=True)
class PayloadField:
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

    def __init__(self) -> None:
        super().__init__("This appointment was cancelled, so its chat is read-only.")


class MessageTypeNotAllowed(NotPermitted):
    code = "message_type_not_allowed"

    def __init__(self, message_type: str) -> None:
        super().__init__(
            f"Only the appointment's veterinarian can send a {message_type}.",
            fields={"messageType": "Not allowed for you."},
        )


@dataclass(frozen=True)
class NewMessage:
    """A message that has passed every rule, ready to store."""

    message_type: str
    content: str
    payload: dict[str, str] | None
    attachments: list[dict[str, Any]]


class ChatSubject(Participants, Protocol):
    """What the rules read of an appointment: its participants and its status."""

    status: str


def chat_is_read_only(status: str) -> bool:
    return status == Appointment.Status.CANCELLED


def check_message(
    *,
    appointment: ChatSubject,
    sender: User,
    message_type: str,
    content: str,
    payload: Any = None,
    attachments: list[dict[str, Any]] | None = None,
) -> NewMessage:
    """The message as it will be stored, or the first reason it may not be sent."""
    if chat_is_read_only(appointment.status):
        raise ChatReadOnly
    if message_type not in Message.Type.values:
        raise InvalidMessage({"messageType": f"Use one of {', '.join(Message.Type.values)}."})
    if message_type in VET_ONLY_TYPES and not may(sender, appointment, Action.PRESCRIBE):
        raise MessageTypeNotAllowed(message_type)

    errors: dict[str, str] = {}
    content = content.strip()
    if len(content) > MAX_CONTENT_LENGTH:
        errors["content"] = f"Messages can be at most {MAX_CONTENT_LENGTH} characters."
    elif "\x00" in content:
        errors["content"] = "The message contains a NUL character."

    payload, payload_error = _checked_payload(message_type, payload)
    if payload_error:
        errors["payload"] = payload_error

    attachments = attachments or []
    attachments_error = _attachments_error(message_type, attachments)
    if attachments_error:
        errors["attachments"] = attachments_error

    if not content and not errors and message_type not in ATTACHMENT_TYPES:
        content = _summary(message_type, payload)
        if not content:
            errors["content"] = "Write a message before sending."
    if errors:
        raise InvalidMessage(errors)
    return NewMessage(message_type, content, payload, attachments)


def _checked_payload(message_type: str, payload: Any) -> tuple[dict[str, str] | None, str]:
    if payload is None:
        if any(f.required for f in PAYLOAD_FIELDS.get(message_type, ())):
            return None, "Fill in the required fields."
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
        value = value.strip()
        if field.required and not value:
            problems.append(f"{field.name}: This field is required.")
        elif len(value) > field.max_length:
            problems.append(f"{field.name}: At most {field.max_length} characters.")
        elif "\x00" in value:
            problems.append(f"{field.name}: Contains a NUL character.")
        elif value:
            clean[field.name] = value
    return (None, "; ".join(problems)) if problems else (clean or None, "")


def _attachments_error(message_type: str, attachments: list[dict[str, Any]]) -> str:
    if message_type not in ATTACHMENT_TYPES:
        return "Only image, video and file messages carry attachments." if attachments else ""
    if not attachments:
        return f"A {message_type} message needs at least one attachment."
    if len(attachments) > MAX_ATTACHMENTS:
        return f"At most {MAX_ATTACHMENTS} attachments."
    for attachment in attachments:
        url, media_type = attachment["url"], attachment["contentType"]
        if not (url.startswith("https://") or SITE_PATH.fullmatch(url)):
            return "Use an https:// URL or a path on this site."
        if not MEDIA_TYPE.fullmatch(media_type):
            return f"Not a media type such as image/png: {media_type}."
        if not 0 <= attachment["size"] <= MAX_ATTACHMENT_SIZE:
            return f"Attachments can be at most {MAX_ATTACHMENT_SIZE // 1024 // 1024} MB."
        if message_type != Message.Type.FILE and not media_type.lower().startswith(
            f"{message_type}/"
        ):
            return f"Not {message_type} content: {attachment['name']}."
    return ""


def _summary(message_type: str, payload: dict[str, str] | None) -> str:
    """Readable text for a structured message sent without any, for clients that show only text."""
    values = (payload or {}).get
    return ", ".join(filter(None, (values(name) for name in SUMMARY_FIELDS.get(message_type, ()))))
