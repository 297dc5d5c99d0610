"""Every change to a chat: creating it, sending into it, reading it."""

from http import HTTPStatus
from typing import Any

from django.db import connection, transaction

from accounts.models import User
from appointments.models import Appointment
from chat.models import Chat, Message, ReadState
from vetchat.api import ApplicationError

VET_ONLY_TYPES = frozenset({Message.Type.ASSESSMENT, Message.Type.PRESCRIPTION})


class ChatReadOnly(ApplicationError):
    status = HTTPStatus.CONFLICT
    code = "chat_read_only"


class MessageTypeNotAllowed(ApplicationError):
    status = HTTPStatus.FORBIDDEN
    code = "message_type_not_allowed"


def chat_get_or_create(*, appointment: Appointment) -> Chat:
    """The appointment's chat; concurrent first calls still make exactly one."""
    chat, _ = Chat.objects.get_or_create(appointment=appointment)
    return chat


def message_send(
    *,
    chat: Chat,
    sender: User,
    content: str,
    message_type: str = Message.Type.TEXT,
    payload: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    client_id: str | None = None,
) -> tuple[Message, bool]:
    """Store a message; returns it and whether it is new.

    The chat row is locked while the next seq is taken, so within a chat seq order is commit
    order and a poller asking for "after seq N" can never skip a message. A `client_id` the
    sender used before returns the message already stored instead of a second copy.
    """
    appointment = chat.appointment
    if appointment.status == Appointment.Status.CANCELLED:
        raise ChatReadOnly("This appointment was cancelled, so its chat is read-only.")
    if message_type in VET_ONLY_TYPES and sender.pk != appointment.veterinarian_id:
        raise MessageTypeNotAllowed(
            f"Only the appointment's veterinarian can send a {message_type}.",
            fields={"messageType": "Not allowed for you."},
        )

    with transaction.atomic():
        locked = Chat.objects.select_for_update().only("last_seq").get(pk=chat.pk)
        if client_id:
            stored = Message.objects.filter(chat=chat, sender=sender, client_id=client_id).first()
            if stored is not None:
                return stored, False
        locked.last_seq += 1
        message = Message.objects.create(
            chat=chat,
            seq=locked.last_seq,
            sender=sender,
            message_type=message_type,
            content=content,
            payload=payload,
            attachments=attachments or [],
            client_id=client_id or None,
        )
        locked.save(update_fields=["last_seq"])
    chat.last_seq = locked.last_seq
    return message, True


def chat_mark_read(*, chat: Chat, user: User, up_to_seq: int) -> None:
    """Move the user's read cursor to `up_to_seq`, never backwards, in one statement."""
    table = ReadState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (chat_id, user_id, last_read_seq, updated_at)
            VALUES (%s, %s, %s, now())
            ON CONFLICT (chat_id, user_id) DO UPDATE
            SET last_read_seq = EXCLUDED.last_read_seq, updated_at = EXCLUDED.updated_at
            WHERE {table}.last_read_seq < EXCLUDED.last_read_seq
            """,  # noqa: S608 - the table name is ours, values are parameters
            [chat.pk, user.pk, up_to_seq],
        )
