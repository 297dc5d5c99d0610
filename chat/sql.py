"""The chat's hand-written SQL, kept to the one query where the ORM cost as much as the work.

Every poll of every open chat loads its appointment, participants, chat and read cursors; the
ORM took as long to compile that query as PostgreSQL took to run it (docs/benchmarks.md).
Identifiers come from the models and are quoted; rows come back as a small dataclass, never as
half-loaded model instances. tests/chat/test_sql.py compares each answer with the ORM's.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from uuid import UUID

from django.apps import apps
from django.db import connection

from accounts.models import User, display_name
from appointments.models import Appointment, Pet
from appointments.participants import care_team_ids_sql, co_owner_ids_sql, is_clinic
from chat.models import Chat, ReadState
from vetchat.prepared import PreparedQuery
from vetchat.sql_names import column as _column
from vetchat.sql_names import table as _table


@dataclass(frozen=True, slots=True)
class Reader:
    """Someone with a read cursor in the chat: whose side they are on and what they are called."""

    name: str
    clinic: bool


@dataclass(slots=True)
class ChatHeader:
    """An appointment's chat as every chat request needs it.

    `chat_id` is None until the chat exists; `read_seqs` holds how far each participant has
    read (0 when they have not yet), `readers` who each of them is, `unread_from` where a user
    marked the chat unread from. The care team and the pet's co-owners are `Participants` for
    the access module. `running_call_id` names the chat's call while one rings or runs.
    """

    appointment_id: UUID
    clinic_id: int
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
    running_call_id: UUID | None = None
    read_seqs: dict[UUID, int] = field(default_factory=dict)
    readers: dict[UUID, Reader] = field(default_factory=dict)
    unread_from: dict[UUID, int] = field(default_factory=dict)
    team_vet_ids: tuple[UUID, ...] = ()
    technician_ids: tuple[UUID, ...] = ()
    co_owner_ids: tuple[UUID, ...] = ()

    def is_clinic(self, user_id: UUID) -> bool:
        """Whether this participant is on the clinic's side of the chat."""
        if user_id in self.readers:
            return self.readers[user_id].clinic
        return (
            user_id == self.veterinarian_id
            or user_id in self.team_vet_ids
            or user_id in self.technician_ids
        )

    def last_read_by_other_side(self, *, clinic: bool) -> tuple[int, str]:
        """How far the side facing `clinic` has read, and who read that far first named.

        "Read" means read by someone on the other side: the furthest cursor of any of them.
        """
        best, name = 0, ""
        for user_id, seq in self.read_seqs.items():
            reader = self.readers.get(user_id)
            if reader is not None and reader.clinic != clinic and seq > best:
                best, name = seq, reader.name
        return best, name

    def read_by(self, *, seq: int, sender_clinic: bool) -> str | None:
        """The name of someone on the other side who has read a message, or None."""
        for user_id, read in self.read_seqs.items():
            reader = self.readers.get(user_id)
            if reader is not None and reader.clinic != sender_clinic and read >= seq:
                return reader.name
        return None

    def is_read(self, *, seq: int, sender_clinic: bool) -> bool:
        return self.read_by(seq=seq, sender_clinic=sender_clinic) is not None


@cache
def _chat_header_sql() -> str:
    a, p, u, c, r = Appointment, Pet, User, Chat, ReadState
    k = apps.get_model("calls", "Call")  # calls builds on chat, so it is not imported here
    running_call = f"""(
        SELECT k.{_column(k, "id")} FROM {_table(k)} k
        WHERE k.{_column(k, "chat")} = c.{_column(c, "id")}
          AND k.{_column(k, "outcome")} = '{k.Outcome.RUNNING}')"""  # noqa: S608  # nosec B608
    readers = f"""(
        SELECT json_agg(json_build_array(
                   r.{_column(r, "user")}, r.{_column(r, "last_read_seq")},
                   r.{_column(r, "unread_from_seq")}, ru.{_column(u, "role")},
                   ru.{_column(u, "name")}, ru.{_column(u, "email")})
                   ORDER BY r.{_column(r, "user")})
        FROM {_table(r)} r JOIN {_table(u)} ru ON ru.{_column(u, "id")} = r.{_column(r, "user")}
        WHERE r.{_column(r, "chat")} = c.{_column(c, "id")})"""  # noqa: S608  # nosec B608

    appointment_id, pet_id = f"a.{_column(a, 'id')}", f"a.{_column(a, 'pet')}"
    team_vets = care_team_ids_sql(appointment_id, User.Role.VETERINARIAN)
    technicians = care_team_ids_sql(appointment_id, User.Role.TECHNICIAN)
    co_owners = co_owner_ids_sql(pet_id)

    return f"""
        SELECT a.{_column(a, "id")}, a.{_column(a, "clinic")}, a.{_column(a, "status")},
               a.{_column(a, "starts_at")},
               a.{_column(a, "starts_at")} + a.{_column(a, "duration")},
               pet.{_column(p, "name")},
               a.{_column(a, "pet_parent")}, parent.{_column(u, "name")},
               parent.{_column(u, "email")},
               a.{_column(a, "veterinarian")}, vet.{_column(u, "name")},
               vet.{_column(u, "email")},
               c.{_column(c, "id")}, c.{_column(c, "last_seq")}, c.{_column(c, "rev")},
               c.{_column(c, "reopened_until")}, {running_call},
               {readers}, {team_vets}, {technicians}, {co_owners}
        FROM {_table(a)} a
        JOIN {_table(p)} pet ON pet.{_column(p, "id")} = a.{_column(a, "pet")}
        JOIN {_table(u)} parent ON parent.{_column(u, "id")} = a.{_column(a, "pet_parent")}
        JOIN {_table(u)} vet ON vet.{_column(u, "id")} = a.{_column(a, "veterinarian")}
        LEFT JOIN {_table(c)} c ON c.{_column(c, "appointment")} = a.{_column(a, "id")}
        WHERE a.{_column(a, "id")} = %(appointment)s
    """  # noqa: S608  # nosec B608  # identifiers from our models, quoted; the id is a parameter


# Planning its joins and subqueries took three times as long as running it (0.49 ms against
# 0.15 ms), on every poll of every open chat.
_CHAT_HEADER = PreparedQuery("vetchat_chat_header", _chat_header_sql, {"appointment": "uuid"})


def chat_header(appointment_id: UUID) -> ChatHeader | None:
    """The appointment, its participants, its chat and every read cursor, in one indexed query."""
    with connection.cursor() as cursor:
        _CHAT_HEADER.execute(cursor, {"appointment": appointment_id})
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, clinic_id, status, starts_at, ends_at, pet_name, parent_id, parent_name, parent_email,
     vet_id, vet_name, vet_email, chat_id, last_seq, rev, reopened_until, running_call_id,
     read_states, team_vet_ids, technician_ids, co_owner_ids) = row  # fmt: skip
    parent = display_name(parent_name, parent_email)
    vet = display_name(vet_name, vet_email)
    read_seqs = {parent_id: 0, vet_id: 0}
    readers = {parent_id: Reader(parent, clinic=False), vet_id: Reader(vet, clinic=True)}
    unread_from = {}
    if isinstance(read_states, str):  # json, when the driver leaves it as text
        read_states = json.loads(read_states)
    for user_id, seq, marked, role, name, email in read_states or ():
        user_id = UUID(user_id)
        read_seqs[user_id] = seq
        readers[user_id] = Reader(display_name(name, email), clinic=is_clinic(role))
        if marked is not None:
            unread_from[user_id] = marked
    return ChatHeader(
        appointment_id=pk,
        clinic_id=clinic_id,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        pet_name=pet_name,
        pet_parent_id=parent_id,
        pet_parent_name=parent,
        veterinarian_id=vet_id,
        veterinarian_name=vet,
        chat_id=chat_id,
        last_seq=last_seq or 0,
        rev=rev or 0,
        reopened_until=reopened_until,
        running_call_id=running_call_id,
        read_seqs=read_seqs,
        readers=readers,
        unread_from=unread_from,
        # Sorted here: a sort node per list cost PostgreSQL more than Python's sort of a few ids.
        team_vet_ids=tuple(sorted(team_vet_ids)),
        technician_ids=tuple(sorted(technician_ids)),
        co_owner_ids=tuple(sorted(co_owner_ids)),
    )
