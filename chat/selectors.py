from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from appointments.models import Appointment
from chat.models import Chat, Message, ReadState

# Only what a message in the API needs, sender included, read in one query.
MESSAGE_COLUMNS = (
    "id",
    "seq",
    "sender_id",
    "sender__name",
    "sender__email",
    "sender__image_url",
    "message_type",
    "content",
    "payload",
    "attachments",
    "created_at",
    "updated_at",
)


def _read_cursor(participant: str) -> Coalesce:
    return Coalesce(
        Subquery(
            ReadState.objects.filter(
                chat_id=OuterRef("chat__id"), user_id=OuterRef(participant)
            ).values("last_read_seq")[:1]
        ),
        0,
    )


def chat_appointments() -> QuerySet[Appointment]:
    """Appointments with pet, participants, chat and both read cursors: one query per row."""
    return (
        Appointment.objects.select_related("pet", "pet_parent", "veterinarian", "chat")
        # Only what the chat needs: no password hashes, no free text, less work per poll.
        .only(
            "starts_at",
            "status",
            "pet_parent_id",
            "veterinarian_id",
            "pet__name",
            "pet_parent__name",
            "pet_parent__email",
            "veterinarian__name",
            "veterinarian__email",
            "chat__last_seq",
            "chat__appointment_id",
        )
        .annotate(
            parent_read_seq=_read_cursor("pet_parent_id"),
            vet_read_seq=_read_cursor("veterinarian_id"),
        )
    )


@dataclass(frozen=True)
class MessagePage:
    rows: list[dict[str, Any]]
    has_more: bool


def message_page(
    *, chat_id: int, limit: int, after: int | None = None, before: int | None = None
) -> MessagePage:
    """Up to `limit` messages, oldest first.

    after: the oldest ones newer than that seq (has_more: newer ones remain).
    before: the newest ones older than that seq (has_more: older ones remain).
    neither: the latest ones (has_more: older ones remain).
    """
    messages = Message.objects.filter(chat_id=chat_id).values(*MESSAGE_COLUMNS)
    if after is not None:
        rows = list(messages.filter(seq__gt=after).order_by("seq")[: limit + 1])
        return MessagePage(rows=rows[:limit], has_more=len(rows) > limit)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    rows = list(messages.order_by("-seq")[: limit + 1])
    return MessagePage(rows=rows[:limit][::-1], has_more=len(rows) > limit)


def unread_counts(*, user: User, appointment_ids: Iterable[UUID]) -> dict[UUID, int]:
    """Messages from others this user has not read yet, per appointment, in one query.

    Each chat counts only its messages past the user's cursor, a range on the (chat, seq) index.
    """
    my_cursor = ReadState.objects.filter(chat_id=OuterRef("pk"), user_id=user.pk)
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
        .alias(my_cursor=Coalesce(Subquery(my_cursor.values("last_read_seq")[:1]), 0))
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .filter(unread__gt=0)
        .values_list("appointment_id", "unread")
    )
    return dict(rows)
