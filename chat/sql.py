"""The chat's hand-written SQL, kept to the one query where the ORM cost as much as the work.

Every poll of every open chat loads its appointment, participants, chat and read cursors; the
ORM took as long to compile that query as PostgreSQL took to run it (docs/benchmarks.md).
Identifiers come from the models and are quoted; rows come back as a small dataclass, never as
half-loaded model instances. tests/chat/test_sql.py compares each answer with the ORM's.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from uuid import UUID

from django.db import connection
from django.db.models import Model

from accounts.models import User, display_name
from appointments.models import Appointment, Pet
from chat.models import Chat, ReadState


@dataclass(slots=True)
class ChatHeader:
    """An appointment's chat as every chat request needs it.

    `chat_id` is None until the chat exists; `read_seqs` holds how far each participant has
    read (0 when they have not yet).
    """

    appointment_id: UUID
    status: str
    starts_at: datetime
    ends_at: datetime
    pet_name: str
    pet_parent_id: UUID
    pet_parent_name: str
    veterinarian_id: UUID
    veterinarian_name: str
    chat_id: int | None
    last_seq: int
    rev: int
    reopened_until: datetime | None
    read_seqs: dict[UUID, int] = field(default_factory=dict)

    def reader_of(self, sender_id: UUID) -> UUID:
        """Whose cursor says a message from this sender has been read."""
        return self.veterinarian_id if sender_id == self.pet_parent_id else self.pet_parent_id

    def is_read(self, *, seq: int, sender_id: UUID) -> bool:
        return self.read_seqs.get(self.reader_of(sender_id), 0) >= seq


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


@cache
def _chat_header_sql() -> str:
    a, p, u, c, r = Appointment, Pet, User, Chat, ReadState

    def cursor_of(participant: str) -> str:
        seq, table = _column(r, "last_read_seq"), _table(r)
        chat, user = _column(r, "chat"), _column(r, "user")
        mine = f"c.{_column(c, 'id')} AND r.{user} = a.{_column(a, participant)}"
        return f"COALESCE((SELECT r.{seq} FROM {table} r WHERE r.{chat} = {mine}), 0)"  # noqa: S608  # nosec B608

    return f"""
        SELECT a.{_column(a, "id")}, a.{_column(a, "status")}, a.{_column(a, "starts_at")},
               a.{_column(a, "starts_at")} + a.{_column(a, "duration")},
               pet.{_column(p, "name")},
               a.{_column(a, "pet_parent")}, parent.{_column(u, "name")},
               parent.{_column(u, "email")},
               a.{_column(a, "veterinarian")}, vet.{_column(u, "name")},
               vet.{_column(u, "email")},
               c.{_column(c, "id")}, c.{_column(c, "last_seq")}, c.{_column(c, "rev")},
               c.{_column(c, "reopened_until")},
               {cursor_of("pet_parent")}, {cursor_of("veterinarian")}
        FROM {_table(a)} a
        JOIN {_table(p)} pet ON pet.{_column(p, "id")} = a.{_column(a, "pet")}
        JOIN {_table(u)} parent ON parent.{_column(u, "id")} = a.{_column(a, "pet_parent")}
        JOIN {_table(u)} vet ON vet.{_column(u, "id")} = a.{_column(a, "veterinarian")}
        LEFT JOIN {_table(c)} c ON c.{_column(c, "appointment")} = a.{_column(a, "id")}
        WHERE a.{_column(a, "id")} = %s
    """  # noqa: S608  # nosec B608  # identifiers from our models, quoted; the id is a parameter


def chat_header(appointment_id: UUID) -> ChatHeader | None:
    """The appointment, its participants, its chat and both read cursors, in one indexed query."""
    with connection.cursor() as cursor:
        cursor.execute(_chat_header_sql(), [appointment_id])
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, status, starts_at, ends_at, pet_name, parent_id, parent_name, parent_email, vet_id,
     vet_name, vet_email, chat_id, last_seq, rev, reopened_until, parent_read,
     vet_read) = row  # fmt: skip
    return ChatHeader(
        appointment_id=pk,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        pet_name=pet_name,
        pet_parent_id=parent_id,
        pet_parent_name=display_name(parent_name, parent_email),
        veterinarian_id=vet_id,
        veterinarian_name=display_name(vet_name, vet_email),
        chat_id=chat_id,
        last_seq=last_seq or 0,
        rev=rev or 0,
        reopened_until=reopened_until,
        read_seqs={parent_id: parent_read, vet_id: vet_read},
    )
