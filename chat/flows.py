"""What the chat page and the chat API share: loading a chat for a participant, reading a page
of it, and the JSON shape of a message. One code path, so page and API cannot drift apart."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from accounts.models import User
from appointments.access import get_participant_appointment
from appointments.api import appointment_summary
from appointments.models import Appointment
from chat.models import Chat, Message
from chat.selectors import chat_appointment, message_page
from chat.services import chat_get_or_create, chat_mark_read


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_row(message: Message) -> dict[str, Any]:
    """A stored message in the same shape as the rows of `message_page`."""
    sender = message.sender
    return {
        "id": message.pk,
        "seq": message.seq,
        "sender_id": sender.pk,
        "sender__name": sender.name,
        "sender__email": sender.email,
        "sender__image_url": sender.image_url,
        "message_type": message.message_type,
        "content": message.content,
        "payload": message.payload,
        "attachments": message.attachments,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
    }


class ReadCursors:
    """Who has read how far, to derive each message's isRead."""

    def __init__(self, appointment: Appointment) -> None:
        self.parent_id = appointment.pet_parent_id
        self.by_user = {
            appointment.pet_parent_id: appointment.parent_read_seq,
            appointment.veterinarian_id: appointment.vet_read_seq,
        }
        self.vet_id = appointment.veterinarian_id

    def reader_of(self, sender_id: UUID) -> UUID:
        return self.vet_id if sender_id == self.parent_id else self.parent_id

    def is_read(self, row: dict[str, Any]) -> bool:
        return self.by_user[self.reader_of(row["sender_id"])] >= row["seq"]


def message_json(row: dict[str, Any], cursors: ReadCursors) -> dict[str, Any]:
    message = {
        "_id": str(row["id"]),
        "seq": row["seq"],
        "senderId": str(row["sender_id"]),
        "senderName": row["sender__name"] or row["sender__email"].split("@", 1)[0],
        "senderImage": row["sender__image_url"] or None,
        "content": row["content"],
        "messageType": row["message_type"],
        "isRead": cursors.is_read(row),
        "isDelivered": True,  # the server has stored it
        "createdAt": iso_utc(row["created_at"]),
        "updatedAt": iso_utc(row["updated_at"]),
    }
    if row["payload"]:
        message["payload"] = row["payload"]
    if row["attachments"]:
        message["attachments"] = row["attachments"]
    return message


def load_chat(user: User, appointment_id: UUID) -> tuple[Appointment, Chat]:
    """The appointment (checked for this participant) and its chat, created on first access."""
    appointment = get_participant_appointment(
        user=user, appointment_id=appointment_id, load=chat_appointment
    )
    try:
        chat = appointment.chat
    except Chat.DoesNotExist:
        chat = chat_get_or_create(appointment=appointment)
    return appointment, chat


@dataclass(frozen=True)
class ChatView:
    """A page of a chat as one participant sees it, and its validator for conditional GETs.

    When the caller's validator still matches, `not_modified` is set and `body` is left empty.
    """

    body: dict[str, Any]
    etag: str
    not_modified: bool = False


def chat_view(
    *,
    user: User,
    appointment: Appointment,
    chat: Chat,
    limit: int = 50,
    after: int | None = None,
    before: int | None = None,
    mark_read: bool = True,
    if_none_match: str = "",
) -> ChatView:
    """Read a page of the chat; the other participant's messages in it become read."""
    cursors = ReadCursors(appointment)
    if after is not None and after >= chat.last_seq:
        rows, has_more = [], False  # nothing newer exists: no need to ask
    else:
        page = message_page(chat_id=chat.pk, limit=limit, after=after, before=before)
        rows, has_more = page.rows, page.has_more

    if mark_read and rows and rows[-1]["seq"] > cursors.by_user[user.pk]:
        chat_mark_read(chat=chat, user=user, up_to_seq=rows[-1]["seq"])
        cursors.by_user[user.pk] = rows[-1]["seq"]

    # Changes whenever the answer to this same request would.
    state = (chat.last_seq, *cursors.by_user.values(), after, before, limit)
    etag = '"' + ".".join("-" if part is None else str(part) for part in state) + '"'
    if etag in if_none_match:
        return ChatView(body={}, etag=etag, not_modified=True)
    body = {
        "messages": [message_json(row, cursors) for row in rows],
        "appointment": appointment_summary(appointment),
        "lastSeq": chat.last_seq,
        "hasMore": has_more,
        "otherLastReadSeq": cursors.by_user[cursors.reader_of(user.pk)],
    }
    return ChatView(body=body, etag=etag)
