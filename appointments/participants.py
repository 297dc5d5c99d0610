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

from accounts.models import User


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
