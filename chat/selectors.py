from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import Count, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from appointments.models import Appointment, Pet
from chat.models import Chat, Message, ReadState

M = TypeVar("M", bound=Model)

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


def chat_appointment_sql() -> str:
    """The appointment, its pet, both participants, its chat and both read cursors."""
    appointment, pet = Appointment._meta.db_table, Pet._meta.db_table
    user, chat, read = User._meta.db_table, Chat._meta.db_table, ReadState._meta.db_table
    return f"""
        SELECT a.id, a.status, a.starts_at, a.pet_id, a.pet_parent_id, a.veterinarian_id,
               p.name, parent.name, parent.email, vet.name, vet.email, c.id, c.last_seq,
               COALESCE((SELECT r.last_read_seq FROM {read} r
                         WHERE r.chat_id = c.id AND r.user_id = a.pet_parent_id), 0),
               COALESCE((SELECT r.last_read_seq FROM {read} r
                         WHERE r.chat_id = c.id AND r.user_id = a.veterinarian_id), 0)
        FROM {appointment} a
        JOIN {pet} p ON p.id = a.pet_id
        JOIN {user} parent ON parent.id = a.pet_parent_id
        JOIN {user} vet ON vet.id = a.veterinarian_id
        LEFT JOIN {chat} c ON c.appointment_id = a.id
        WHERE a.id = %s
    """  # noqa: S608 - table names are ours, the id is a parameter


def _loaded(model: type[M], **values: Any) -> M:
    """A model instance as if loaded from the database, with the fields not given deferred."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, fields, [values[name] for name in fields])


def chat_appointment(appointment_id: UUID) -> Appointment | None:
    """Everything a chat request needs about its appointment, in one indexed query.

    Every poll of every open chat starts here, so the query is written out once rather than
    compiled by the ORM on each request; the rows become ordinary model instances, with the
    fields not read here deferred. The chat is left unset when it does not exist yet.
    """
    with connection.cursor() as cursor:
        cursor.execute(chat_appointment_sql(), [appointment_id])
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, status, starts_at, pet_id, parent_id, vet_id, pet_name, parent_name, parent_email,
     vet_name, vet_email, chat_id, last_seq, parent_read_seq, vet_read_seq) = row  # fmt: skip
    appointment = _loaded(
        Appointment,
        id=pk,
        status=status,
        starts_at=starts_at,
        pet_id=pet_id,
        pet_parent_id=parent_id,
        veterinarian_id=vet_id,
    )
    appointment.pet = _loaded(Pet, id=pet_id, owner_id=parent_id, name=pet_name)
    appointment.pet_parent = _loaded(User, id=parent_id, name=parent_name, email=parent_email)
    appointment.veterinarian = _loaded(User, id=vet_id, name=vet_name, email=vet_email)
    if chat_id is not None:
        chat = _loaded(Chat, id=chat_id, appointment_id=pk, last_seq=last_seq)
        chat.appointment = appointment  # also caches appointment.chat
    appointment.parent_read_seq = parent_read_seq
    appointment.vet_read_seq = vet_read_seq
    return appointment


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
