"""Reads of the chat that more than one caller needs."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.models import User, display_name
from appointments.access import Action, check_access
from chat.chain import sent_body
from chat.models import Chat, Message, MessageRevision, ReadState
from chat.rules import VET_ONLY_TYPES
from chat.sql import ChatHeader, chat_header


def chat_for(*, user: User, appointment_id: UUID, action: Action = Action.CHAT) -> ChatHeader:
    """An appointment's chat for a user who may `action` it; `chat_id` is None until it exists."""
    return check_access(user=user, appointment=chat_header(appointment_id), action=action)


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A stored message with what is shown of its sender."""

    id: UUID
    seq: int
    sender_id: UUID
    sender_name: str
    sender_image_url: str
    sender_role: str
    sender_job_title: str
    message_type: str
    content: str
    payload: dict[str, Any] | None
    attachments: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    rev: int
    edited_at: datetime | None
    retracted_at: datetime | None
    amends_id: UUID | None
    amends_seq: int | None
    acknowledged_at: datetime | None
    acknowledged_by_name: str | None

    @classmethod
    def of(cls, message: Message, sender: User) -> "MessageRow":
        """A message just changed by a service, which holds its sender already."""
        acknowledger = message.acknowledged_by if message.acknowledged_by_id else None
        return cls(
            id=message.pk,
            seq=message.seq,
            sender_id=sender.pk,
            sender_name=sender.display_name,
            sender_image_url=sender.image_url,
            sender_role=sender.role,
            sender_job_title=sender.job_title,
            message_type=message.message_type,
            content=message.content,
            payload=message.payload,
            attachments=message.attachments,
            created_at=message.created_at,
            updated_at=message.updated_at,
            rev=message.rev,
            edited_at=message.edited_at,
            retracted_at=message.retracted_at,
            amends_id=message.amends_id,
            amends_seq=message.amends.seq if message.amends_id else None,
            acknowledged_at=message.acknowledged_at,
            acknowledged_by_name=acknowledger.display_name if acknowledger else None,
        )


_COLUMNS = (
    "id",
    "seq",
    "sender_id",
    "sender__name",
    "sender__email",
    "sender__image_url",
    "sender__role",
    "sender__job_title",
    "message_type",
    "content",
    "payload",
    "attachments",
    "created_at",
    "updated_at",
    "rev",
    "edited_at",
    "retracted_at",
    "amends_id",
    "amends__seq",
    "acknowledged_at",
    "acknowledged_by__name",
    "acknowledged_by__email",
)


def _row(values: tuple) -> MessageRow:
    (pk, seq, sender_id, name, email, *rest, ack_name, ack_email) = values
    acknowledger = display_name(ack_name, ack_email) if ack_email else None
    return MessageRow(pk, seq, sender_id, display_name(name, email), *rest, acknowledger)


@dataclass(frozen=True)
class MessagePage:
    rows: list[MessageRow]
    has_more: bool


def message_page(
    *, chat_id: int, limit: int, after: int | None = None, before: int | None = None
) -> MessagePage:
    """Up to `limit` messages, oldest first, read along the (chat, seq) index.

    after: the oldest ones newer than that seq (has_more: newer ones remain).
    before: the newest ones older than that seq (has_more: older ones remain).
    neither: the latest ones (has_more: older ones remain).
    """
    messages = Message.objects.filter(chat_id=chat_id).values_list(*_COLUMNS)
    if after is not None:
        rows = [_row(r) for r in messages.filter(seq__gt=after).order_by("seq")[: limit + 1]]
        return MessagePage(rows=rows[:limit], has_more=len(rows) > limit)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    rows = [_row(r) for r in messages.order_by("-seq")[: limit + 1]]
    return MessagePage(rows=rows[:limit][::-1], has_more=len(rows) > limit)


def chat_messages(
    chat: ChatHeader, *, limit: int, after: int | None = None, before: int | None = None
) -> MessagePage:
    """A page of the chat (see `message_page`); asks nothing when nothing newer can exist."""
    if chat.chat_id is None or (after is not None and after >= chat.last_seq):
        return MessagePage(rows=[], has_more=False)
    return message_page(chat_id=chat.chat_id, limit=limit, after=after, before=before)


@dataclass(frozen=True)
class MessageWindow:
    """The messages around one message, oldest first, and whether more lie on either side."""

    rows: list[MessageRow]
    has_older: bool
    has_newer: bool


def message_window(
    chat: ChatHeader, *, message_id: UUID, before: int, after: int
) -> MessageWindow | None:
    """Up to `before` messages older than this one, it, and up to `after` newer ones; None when
    the chat holds no such message."""
    if chat.chat_id is None:
        return None
    seq = (
        Message.objects.filter(chat_id=chat.chat_id, pk=message_id)
        .values_list("seq", flat=True)
        .first()
    )
    if seq is None:
        return None
    older = message_page(chat_id=chat.chat_id, limit=before + 1, before=seq + 1)
    newer = chat_messages(chat, limit=after, after=seq)
    return MessageWindow(
        rows=older.rows + newer.rows, has_older=older.has_more, has_newer=newer.has_more
    )


def canonical_message(message: Message, content: str | None = None) -> bytes:
    """The message as its chain link covers it, as it was sent (`chat.chain.sent_body`)."""
    return sent_body(message, content)


def message_changes(*, chat: ChatHeader, up_to_seq: int, since_rev: int) -> list[MessageRow]:
    """Messages up to `up_to_seq` changed after `since_rev`, along the (chat, rev) index."""
    if chat.chat_id is None or since_rev >= chat.rev:
        return []
    changed = Message.objects.filter(chat_id=chat.chat_id, rev__gt=since_rev, seq__lte=up_to_seq)
    return [_row(r) for r in changed.order_by("seq").values_list(*_COLUMNS)]


def appointment_of_message(message_id: UUID) -> UUID | None:
    """The appointment whose chat holds this message, so access can be checked through it."""
    return (
        Message.objects.filter(pk=message_id).values_list("chat__appointment_id", flat=True).first()
    )


def unread_after() -> Least:
    """Per read state: the seq after which the user's lists count messages as unread (the read
    cursor, or just before where they marked the chat unread; LEAST skips a NULL mark)."""
    return Least("last_read_seq", F("unread_from_seq") - 1)


def unread_counts(*, user: User, appointment_ids: Iterable[UUID]) -> dict[UUID, int]:
    """Messages from others this user has not read yet, per appointment, in one query.

    Each chat counts only its messages past the user's cursor (or from where they marked it
    unread), a range on the (chat, seq) index.
    """
    my_cursor = ReadState.objects.filter(chat_id=OuterRef("pk"), user_id=user.pk).values(
        unread_after=unread_after()
    )
    unread = (
        Message.objects.filter(chat_id=OuterRef("pk"), seq__gt=OuterRef("my_cursor"))
        .exclude(sender_id=user.pk)
        .order_by()
        .values("chat_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    rows = (
        Chat.objects.filter(appointment_id__in=list(appointment_ids))
        .alias(my_cursor=Coalesce(Subquery(my_cursor[:1]), 0))
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .filter(unread__gt=0)
        .values_list("appointment_id", "unread")
    )
    return dict(rows)


def amendments_of(chat_id: int | None, message_ids: list[str]) -> dict[str, list[int]]:
    """The seqs of the standing (not removed) messages that amend each of these, in order."""
    found: dict[str, list[int]] = {}
    if not message_ids:
        return found
    rows = (
        Message.objects.filter(
            chat_id=chat_id, amends_id__in=message_ids, retracted_at__isnull=True
        )
        .order_by("seq")
        .values_list("amends_id", "seq")
    )
    for amended_id, seq in rows:
        found.setdefault(str(amended_id), []).append(seq)
    return found


def amendable(chat_id: int | None, message_id: UUID) -> dict[str, Any] | None:
    """An assessment or prescription of this chat that may still be amended, as the composer
    takes it: its type, text, structured fields and id; None for any other message."""
    message = (
        Message.objects.filter(
            pk=message_id,
            chat_id=chat_id,
            message_type__in=VET_ONLY_TYPES,
            retracted_at__isnull=True,
        )
        .values("id", "seq", "message_type", "content", "payload")
        .first()
    )
    if message is None:
        return None
    return {
        "messageType": message["message_type"],
        "content": message["content"],
        "payload": message["payload"] or {},
        "amends": str(message["id"]),
        "amends_seq": message["seq"],
    }


def record_messages(*, appointment_id: UUID) -> list[Message]:
    """Every message of an appointment's chat in seq order, with senders, what each amends,
    who acknowledged it and every earlier version: three queries however long the chat."""
    revisions = MessageRevision.objects.select_related("changed_by").order_by("changed_at", "pk")
    return list(
        Message.objects.filter(chat__appointment_id=appointment_id)
        .select_related("sender", "amends", "acknowledged_by")
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .order_by("seq")
    )


@dataclass(frozen=True)
class AwaitingAcknowledgement:
    """A prescription the pet parent has not confirmed reading, long after it was sent."""

    appointment_id: UUID
    message_id: UUID
    seq: int
    medication: str  # its medication, or the start of a free-text prescription's text
    pet_name: str
    pet_parent_name: str
    sent_at: datetime


def prescriptions_awaiting_acknowledgement(
    *, vet: User, now: datetime | None = None
) -> list[AwaitingAcknowledgement]:
    """The vet's prescriptions still unacknowledged `VETCHAT_ACKNOWLEDGEMENT_WAIT` after they
    were sent, oldest first, in one query.

    A retracted prescription cannot be acknowledged, and one amended by a later prescription
    waits for that amendment's acknowledgement instead, so neither is listed.
    """
    cutoff = (now or timezone.now()) - settings.VETCHAT_ACKNOWLEDGEMENT_WAIT
    amended = Message.objects.filter(amends_id=OuterRef("pk"), retracted_at__isnull=True)
    rows = (
        Message.objects.filter(
            chat__appointment__veterinarian=vet,
            clinic__in=vet.clinic_ids,  # not a clinic the vet has left
            message_type=Message.Type.PRESCRIPTION,
            acknowledged_at__isnull=True,
            retracted_at__isnull=True,
            created_at__lte=cutoff,
        )
        .exclude(Exists(amended))
        .order_by("created_at", "seq")
        .values_list(
            "chat__appointment_id",
            "id",
            "seq",
            "payload",
            "content",
            "chat__appointment__pet__name",
            "chat__appointment__pet_parent__name",
            "chat__appointment__pet_parent__email",
            "created_at",
        )
    )
    return [
        AwaitingAcknowledgement(
            appointment_id,
            message_id,
            seq,
            (payload or {}).get("medication") or _first_words(content),
            pet,
            display_name(name, email),
            sent_at,
        )
        for appointment_id, message_id, seq, payload, content, pet, name, email, sent_at in rows
    ]


def _first_words(text: str, limit: int = 80) -> str:
    """A free-text prescription's first line, short enough for one row of a list."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
