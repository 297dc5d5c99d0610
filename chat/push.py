"""Pushes to open sockets through the channel layer (Redis): a doorbell, never the record.

Every push is sent after the change has committed, and a push that fails is logged and dropped:
PostgreSQL's `(chat, seq)` is the log, so a client that missed a push catches up with
`after=<lastSeq>`. Nothing here ever fails or rolls back the change that caused it.
"""

import hashlib
import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from appointments.models import Appointment
from chat.events import ChatRead, Event, MessageCreated
from chat.shapes import message_json

logger = logging.getLogger(__name__)


def chat_group(appointment_id: UUID) -> str:
    """Every socket open on one appointment's chat, on any app server."""
    return f"chat.{appointment_id.hex}"


def user_group(user_id: UUID) -> str:
    """Every socket of one user: closed together when the user is deactivated."""
    return f"user.{user_id.hex}"


def session_group(session_key: str) -> str:
    """Every socket opened with one session: closed together when it signs out."""
    # The key itself is a credential; the group name is visible to anyone who can read Redis.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def group_send(group: str, event: dict[str, Any]) -> bool:
    """Send from synchronous code (a request's on_commit); False when the layer failed."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("Push to %s failed; clients catch up by seq", group)
        return False
    return True


def push_message(*, appointment_id: UUID, message: dict[str, Any]) -> bool:
    return group_send(chat_group(appointment_id), {"type": "chat.message", "message": message})


def push_read(*, appointment_id: UUID, user_id: UUID, last_read_seq: int) -> bool:
    return group_send(
        chat_group(appointment_id),
        {"type": "chat.read", "userId": str(user_id), "lastReadSeq": last_read_seq},
    )


def push_chat_status(*, appointment_id: UUID, status: str) -> bool:
    return group_send(chat_group(appointment_id), {"type": "chat.status", "status": status})


def close_sockets_of_user(user_id: UUID) -> bool:
    return group_send(user_group(user_id), {"type": "socket.revoke"})


def close_sockets_of_session(session_key: str) -> bool:
    return group_send(session_group(session_key), {"type": "socket.revoke"})


def push_unread(*, user_id: UUID, appointment_id: UUID) -> bool:
    return group_send(
        user_group(user_id), {"type": "user.unread", "appointmentId": str(appointment_id)}
    )


def push_chat_event(event: Event) -> None:
    """The chat events' subscriber (registered in `ChatConfig.ready`); runs after commit."""
    if isinstance(event, MessageCreated):
        # Nobody has read a message that was just stored.
        push_message(
            appointment_id=event.appointment_id, message=message_json(event.message, is_read=False)
        )
        recipient = _other_participant(event.appointment_id, event.message.sender_id)
        if recipient is not None:
            push_unread(user_id=recipient, appointment_id=event.appointment_id)
    elif isinstance(event, ChatRead):
        push_read(
            appointment_id=event.appointment_id,
            user_id=event.user_id,
            last_read_seq=event.last_read_seq,
        )
        # The reader's other tabs: their lists show one unread count fewer.
        push_unread(user_id=event.user_id, appointment_id=event.appointment_id)


def _other_participant(appointment_id: UUID, sender_id: UUID) -> UUID | None:
    """Whose unread badge a message changes. One primary-key lookup, after the send committed."""
    pair = (
        Appointment.objects.filter(pk=appointment_id)
        .values_list("pet_parent_id", "veterinarian_id")
        .first()
    )
    if pair is None:
        return None
    parent_id, vet_id = pair
    return vet_id if sender_id == parent_id else parent_id
