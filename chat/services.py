"""Every change to a chat: creating it, sending into it, reading it.

Each service owns its transaction, returns what it changed and publishes what happened
(`chat.events`); callers and subscribers decide from that.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import clinic_account
from appointments.access import Action
from appointments.models import Appointment
from appointments.participants import is_clinic
from appointments.services import appointment_hand_over as team_hand_over
from attachments.selectors import attachments_unsent
from attachments.services import attachments_attach, attachments_withdraw
from attachments.shapes import attachment_json
from chat.chain import chain_append
from chat.events import (
    ChatMarkedUnread,
    ChatRead,
    MessageChanged,
    MessageCreated,
    MessageResent,
    publish,
)
from chat.models import MAX_CONTENT_LENGTH, ChainLink, Chat, Message, MessageRevision, ReadState
from chat.rules import (
    InvalidMessage,
    MessageNotFound,
    check_acknowledge,
    check_amends,
    check_change,
    check_edit,
    check_message,
)
from chat.selectors import MessageRow, chat_for
from chat.sql import ChatHeader
from tenancy.zones import clinic_time


def chat_get_or_create(*, appointment_id: UUID, clinic_id: int | None = None) -> Chat:
    """The appointment's chat, in the appointment's clinic; concurrent first calls still make
    exactly one."""
    chat = Chat.objects.filter(appointment_id=appointment_id).first()
    if chat is not None:
        return chat
    if clinic_id is None:
        clinic_id = Appointment.objects.values_list("clinic_id", flat=True).get(pk=appointment_id)
    chat, _ = Chat.objects.get_or_create(
        appointment_id=appointment_id, defaults={"clinic_id": clinic_id}
    )
    return chat


def access_chat(*, user: User, appointment_id: UUID, action: Action = Action.CHAT) -> ChatHeader:
    """Load an appointment's chat for a user who may `action` it; the chat is made on first use."""
    header = chat_for(user=user, appointment_id=appointment_id, action=action)
    if header.chat_id is None:
        header.chat_id = chat_get_or_create(
            appointment_id=appointment_id, clinic_id=header.clinic_id
        ).pk
    return header


@dataclass(frozen=True)
class Sent:
    message: MessageRow
    created: bool  # False: the sender's client_id named a message stored before


def message_send(
    *,
    chat: ChatHeader,
    sender: User,
    content: str,
    message_type: str = Message.Type.TEXT,
    payload: Any = None,
    attachments: list[UUID] | None = None,
    client_id: str | None = None,
    amends: UUID | None = None,
) -> Sent:
    """Store a message that passes every rule (`chat.rules`) and publish `MessageCreated`.

    The chat row is locked while the next seq is taken, so within a chat seq order is commit
    order and a poller asking for "after seq N" can never skip a message; under the same lock
    the message is linked into the chat's hash chain (`chat.integrity`). A `client_id` the
    sender used before returns the message already stored instead of a second copy.

    `attachments` are ids of the sender's uploads into this chat (`attachments` app); the
    message takes them in the same transaction, and stores their JSON, which its hash covers.
    """
    attachments = [UUID(str(attachment_id)) for attachment_id in attachments or []]
    if attachments and client_id:
        # A retried send: its uploads belong to the message stored the first time.
        stored = _stored(chat, sender, client_id)
        if stored is not None:
            return stored
    unsent = (
        {
            attachment.pk: attachment_json(attachment)
            for attachment in attachments_unsent(
                ids=attachments, appointment_id=chat.appointment_id, uploader_id=sender.pk
            ).values()
        }
        if attachments
        else {}
    )
    new = check_message(
        appointment=chat,
        sender=sender,
        message_type=message_type,
        content=content,
        payload=payload,
        attachments=attachments,
        unsent=unsent,
    )
    with transaction.atomic():
        locked = _lock(chat)
        amended = _message_of(chat, amends, field="amends") if amends else None
        check_amends(message_type=new.message_type, amended=amended)
        if client_id:
            stored = _stored(chat, sender, client_id)
            if stored is not None:
                return stored
        message = Message(
            sender=sender,
            message_type=new.message_type,
            content=new.content,
            payload=new.payload,
            attachments=new.attachments,
            client_id=client_id or None,
            amends=amended,
        )
        if attachments and attachments_attach(
            attachment_ids=attachments, message_id=message.pk, at=timezone.now()
        ) != len(attachments):
            raise InvalidMessage({"attachments": "An attachment was just sent in another message."})
        row = _append(locked, chat.appointment_id, message)
    chat.last_seq, chat.rev = locked.last_seq, locked.rev
    return Sent(row, created=True)


def system_entry_post(
    *, appointment_id: UUID, content: str, payload: dict[str, Any] | None = None
) -> Sent:
    """Write a clinic notice into an appointment's chat, from the clinic's own account.

    For other services (a hand-over, an after-hours reply, a video call's record), never for a
    client's input: it passes no rule of `chat.rules` but is stored, chained and published like
    any message. `payload` is what a page needs to show the notice as more than its text.
    """
    content = content.strip()
    if not content or len(content) > MAX_CONTENT_LENGTH:
        raise ValueError(f"A clinic notice needs 1-{MAX_CONTENT_LENGTH} characters.")
    chat = chat_get_or_create(appointment_id=appointment_id)
    with transaction.atomic():
        locked = _lock_chat(chat.pk)
        message = Message(
            sender=clinic_account(),
            message_type=Message.Type.SYSTEM,
            content=content,
            payload=payload,
        )
        return Sent(_append(locked, appointment_id, message), created=True)


def _stored(chat: ChatHeader, sender: User, client_id: str) -> Sent | None:
    stored = Message.objects.filter(
        chat_id=chat.chat_id, sender=sender, client_id=client_id
    ).first()
    if stored is None:
        return None
    row = MessageRow.of(stored, sender)
    publish(MessageResent(appointment_id=chat.appointment_id, message=row))
    return Sent(row, created=False)


def message_edit(*, chat: ChatHeader, user: User, message_id: UUID, content: str) -> MessageRow:
    """Correct a text message; the text it replaces stays in the record as a revision."""
    with transaction.atomic():
        locked = _lock(chat)
        message = _message_of(chat, message_id)
        now = timezone.now()
        corrected = check_edit(chat=chat, message=message, user=user, content=content, now=now)
        revision = MessageRevision.objects.create(
            message=message,
            change=MessageRevision.Change.EDITED,
            content=message.content,
            changed_by=user,
            changed_at=now,
        )
        message.content, message.edited_at = corrected, now
        return _changed(chat, locked, message, "edited", ["content", "edited_at"], revision)


def message_retract(*, chat: ChatHeader, user: User, message_id: UUID) -> MessageRow:
    """Take a message back: participants see that it was removed; the record keeps it."""
    with transaction.atomic():
        locked = _lock(chat)
        message = _message_of(chat, message_id)
        now = timezone.now()
        check_change(chat=chat, message=message, user=user, now=now)
        revision = MessageRevision.objects.create(
            message=message,
            change=MessageRevision.Change.RETRACTED,
            content=message.content,
            changed_by=user,
            changed_at=now,
        )
        message.retracted_at = now
        attachments_withdraw(message_id=message.pk, at=now)
        return _changed(chat, locked, message, "retracted", ["retracted_at"], revision)


def prescription_acknowledge(*, chat: ChatHeader, user: User, message_id: UUID) -> MessageRow:
    """Record that the pet parent has read and understood a prescription; once is enough."""
    with transaction.atomic():
        locked = _lock(chat)
        message = _message_of(chat, message_id)
        check_acknowledge(chat=chat, message=message, user=user)
        if message.acknowledged_at is not None:
            return MessageRow.of(message, message.sender)
        message.acknowledged_at, message.acknowledged_by = timezone.now(), user
        return _changed(
            chat, locked, message, "acknowledged", ["acknowledged_at", "acknowledged_by"]
        )


def _lock(chat: ChatHeader) -> Chat:
    return _lock_chat(chat.chat_id)


def _lock_chat(chat_id: int) -> Chat:
    """The chat row, locked: every change to a chat takes its turn here."""
    return (
        Chat.objects.select_for_update()
        .only("clinic_id", "last_seq", "last_hash", "last_link", "rev")
        .get(pk=chat_id)
    )


def _append(locked: Chat, appointment_id: UUID, message: Message) -> MessageRow:
    """Give a new message the locked chat's next seq and rev, chain it, store it, publish it."""
    locked.last_seq += 1
    locked.rev += 1
    message.chat_id, message.clinic_id = locked.pk, locked.clinic_id
    message.seq, message.rev = locked.last_seq, locked.rev
    message.created_at = timezone.now()
    message.hash = chain_append(locked=locked, change=ChainLink.Change.SENT, message=message).hash
    message.save(force_insert=True)
    locked.save(update_fields=["last_seq", "last_hash", "last_link", "rev"])
    row = MessageRow.of(message, message.sender)
    publish(MessageCreated(appointment_id, locked.pk, row, locked.clinic_id))
    return row


def _message_of(chat: ChatHeader, message_id: UUID, field: str = "messageId") -> Message:
    message = (
        Message.objects.select_related("sender", "amends", "acknowledged_by")
        .filter(pk=message_id, chat_id=chat.chat_id)
        .first()
    )
    if message is None:
        raise MessageNotFound(field)
    return message


def _changed(
    chat: ChatHeader,
    locked: Chat,
    message: Message,
    change: str,
    fields: list[str],
    revision: MessageRevision | None = None,
) -> MessageRow:
    """Store a change to a message, linked into the chat's chain, and publish it."""
    chain_append(locked=locked, change=change, message=message, revision=revision)
    locked.rev += 1
    locked.save(update_fields=["rev", "last_hash", "last_link"])
    message.rev = locked.rev
    message.save(update_fields=[*fields, "rev", "updated_at"])
    row = MessageRow.of(message, message.sender)
    publish(MessageChanged(chat.appointment_id, chat.chat_id, row, change))
    chat.rev = locked.rev
    return row


def chat_mark_read(*, chat: ChatHeader, user: User, up_to_seq: int) -> bool:
    """Move the user's read cursor forward to `up_to_seq`; returns whether it moved.

    One statement, never backwards: a reader of old history leaves the cursor where it was.
    Reading also clears the user's "unread from here" mark, in the same statement. It needs no
    transaction of its own, so a poll that reads pays for that statement alone, and a poll
    that reads nothing new of a chat without a mark pays nothing.
    """
    if chat.chat_id is None:
        return False
    before = chat.read_seqs.get(user.pk, 0)
    marked = user.pk in chat.unread_from
    if up_to_seq <= before and not marked:
        return False
    table = connection.ops.quote_name(ReadState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (chat_id, user_id, last_read_seq, updated_at)
            VALUES (%s, %s, %s, now())
            ON CONFLICT (chat_id, user_id) DO UPDATE
            SET last_read_seq = GREATEST({table}.last_read_seq, EXCLUDED.last_read_seq),
                unread_from_seq = NULL, updated_at = EXCLUDED.updated_at
            WHERE {table}.last_read_seq < EXCLUDED.last_read_seq
               OR {table}.unread_from_seq IS NOT NULL
            RETURNING last_read_seq
            """,  # noqa: S608  # nosec B608  # the table name is ours, values are parameters
            [chat.chat_id, user.pk, up_to_seq],
        )
        row = cursor.fetchone()
    chat.unread_from.pop(user.pk, None)
    moved = row is not None and row[0] > before
    if moved:
        chat.read_seqs[user.pk] = row[0]
        publish(
            ChatRead(
                chat.appointment_id,
                chat.chat_id,
                user.pk,
                row[0],
                user_name=user.display_name,
                clinic=is_clinic(user.role),
            )
        )
    elif row is not None and marked:
        publish(ChatMarkedUnread(chat.appointment_id, chat.chat_id, user.pk, 0))
    return moved


def chat_mark_unread(*, chat: ChatHeader, user: User, from_message_id: UUID) -> int:
    """Show the chat's messages from this one on as unread in the user's own lists.

    The read cursor stays: receipts the other side already saw stay "Read". Returns the seq
    the mark starts at; reading the chat again (`chat_mark_read`) clears it.
    """
    message = _message_of(chat, from_message_id, field="fromMessageId")
    ReadState.objects.update_or_create(
        chat_id=chat.chat_id, user=user, defaults={"unread_from_seq": message.seq}
    )
    chat.unread_from[user.pk] = message.seq
    publish(ChatMarkedUnread(chat.appointment_id, chat.chat_id, user.pk, message.seq))
    return message.seq


def appointment_hand_over(
    *, appointment_id: UUID, by: User, to_id: UUID | str, keep_on_team: bool = False
) -> Appointment:
    """Hand the appointment's chat to another vet and record it in the chat, in one
    transaction: "Dr. Foster handed this conversation to Dr. Patel, 19:04"."""
    with transaction.atomic():
        appointment, previous = team_hand_over(
            appointment_id=appointment_id, by=by, to_id=to_id, keep_on_team=keep_on_team
        )
        hand_over_notice_post(appointment=appointment, by=by, previous=previous)
    return appointment


def hand_over_notice_post(*, appointment: Appointment, by: User, previous: User) -> None:
    """The chat's entry for a hand-over, made here or by staff in the admin."""
    at = clinic_time(timezone.now(), appointment.clinic_id)
    to = appointment.veterinarian.display_name
    if by.pk == previous.pk:
        content = f"{previous.display_name} handed this conversation to {to}, {at:%H:%M}"
    else:
        content = (
            f"{by.display_name} handed this conversation from {previous.display_name} "
            f"to {to}, {at:%H:%M}"
        )
    system_entry_post(appointment_id=appointment.pk, content=content)
