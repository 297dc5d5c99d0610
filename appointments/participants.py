"""Who takes part in an appointment's chat, and on which side: the one answer every part asks
(access, read receipts, notification recipients, transcripts, the admin's conversation, SQL).

The family's side is the pet's owner (the appointment's pet parent) and the pet's co-owners. The
clinic's side is the appointment's veterinarian, its care team, vets who handed it over and
clinic staff. The side follows from the account's role alone: a pet parent's account is the
family's in every chat, a vet's the clinic's, so a message keeps its side and its sender's name
whoever takes part later (a vet who handed over still wrote their earlier messages for the
clinic). What each may do is the access module's (`appointments.access`).
"""

from enum import StrEnum
from typing import Protocol
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts.models import User
from appointments.models import AppointmentMember, CoOwnership
from vetchat.sql_names import column, table


class Side(StrEnum):
    FAMILY = "family"
    CLINIC = "clinic"


class Part(StrEnum):
    """What someone is to one appointment, as its record names them."""

    PET_PARENT = "pet_parent"  # the pet's owner, who booked it
    CO_OWNER = "co_owner"  # invited by the owner (now or once)
    VETERINARIAN = "veterinarian"  # its vet, a vet on its care team, or one who handed it over
    TECHNICIAN = "technician"  # a nurse, technician or receptionist on its care team
    STAFF = "staff"


PART_LABELS = {
    Part.PET_PARENT: "Pet parent",
    Part.CO_OWNER: "Co-owner",
    Part.VETERINARIAN: "Veterinarian",
    Part.TECHNICIAN: "Technician",
    Part.STAFF: "Clinic staff",
}

FAMILY_ROLES = frozenset({User.Role.PET_PARENT})
FAMILY_PARTS = frozenset({Part.PET_PARENT, Part.CO_OWNER})


class Booked(Protocol):
    pet_parent_id: UUID


def side_of(role: str) -> Side:
    return Side.FAMILY if role in FAMILY_ROLES else Side.CLINIC


def is_clinic(role: str) -> bool:
    return side_of(role) is Side.CLINIC


def family_sql(role_column: str) -> str:
    """`side_of` in SQL, for a query that reads the role column itself."""
    roles = ", ".join(f"'{role}'" for role in sorted(FAMILY_ROLES))
    return f"{role_column} IN ({roles})"


def part_of(*, user_id: UUID, role: str, appointment: Booked) -> Part:
    if role in FAMILY_ROLES:
        return Part.PET_PARENT if user_id == appointment.pet_parent_id else Part.CO_OWNER
    return Part(role)


# Who is in: the care team and the co-owners, for the ORM and for SQL written by hand ----------


def care_team(role: str | None = None) -> QuerySet[AppointmentMember]:
    """The care team rows (vets and technicians added to appointments), of one role or all."""
    members = AppointmentMember.objects.all()
    return members if role is None else members.filter(user__role=role)


def co_ownerships() -> QuerySet[CoOwnership]:
    """Co-ownerships in force: accepted and not revoked."""
    return CoOwnership.objects.filter(Q(user__isnull=False) & Q(revoked_at__isnull=True))


def care_team_ids_sql(appointment_id: str, role: str | None = None) -> str:
    """`care_team` in SQL: an array of the user ids on the care team of `appointment_id` (an SQL
    expression, e.g. a column of the outer query)."""
    m, u = AppointmentMember, User
    of_role = ""
    if role:
        of_role = f"""AND EXISTS (
            SELECT 1 FROM {table(u)} mu
            WHERE mu.{column(u, "id")} = m.{column(m, "user")} AND mu.{column(u, "role")} = '{role}'
        )"""  # noqa: S608  # nosec B608  # a Role value of ours, never a client's
    return f"""ARRAY(
        SELECT m.{column(m, "user")} FROM {table(m)} m
        WHERE m.{column(m, "appointment")} = {appointment_id} {of_role})"""  # noqa: S608  # nosec B608


def co_owner_ids_sql(pet_id: str) -> str:
    """`co_ownerships` in SQL: an array of the user ids co-owning `pet_id` (an SQL expression)."""
    co = CoOwnership
    return f"""ARRAY(
        SELECT co.{column(co, "user")} FROM {table(co)} co
        WHERE co.{column(co, "pet")} = {pet_id}
          AND co.{column(co, "user")} IS NOT NULL AND co.{column(co, "revoked_at")} IS NULL)"""  # noqa: S608  # nosec B608
