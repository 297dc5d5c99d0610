"""The one place that answers "may this user do this to this appointment?".

Every door (pages, the plain form, the API, WebSockets) asks here, and every list is scoped by
the same queryset. Someone who may not see an appointment is told it does not exist, exactly as
for an id that does not exist, so no door confirms an appointment to an outsider.

How a user stands towards an appointment decides what they may do; a new kind of participant
is a new `Standing` with its row in `ALLOWED`, and every door follows.
"""

from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import User
from appointments.models import Appointment
from vetchat.errors import NotFound, NotPermitted


class Action(StrEnum):
    VIEW = "view"  # see the appointment's page
    CHAT = "chat"  # read and write in its chat
    PRESCRIBE = "prescribe"  # send assessments and prescriptions into it


class Standing(StrEnum):
    PET_PARENT = "pet_parent"
    VETERINARIAN = "veterinarian"
    STAFF = "staff"  # reads chats in the admin, where each reading is accountable


ALLOWED: dict[Standing, frozenset[Action]] = {
    Standing.PET_PARENT: frozenset({Action.VIEW, Action.CHAT}),
    Standing.VETERINARIAN: frozenset({Action.VIEW, Action.CHAT, Action.PRESCRIBE}),
    Standing.STAFF: frozenset({Action.VIEW}),
}

REFUSALS = {
    Action.CHAT: "Only the appointment's pet parent and veterinarian can use its chat.",
    Action.PRESCRIBE: "Only the appointment's veterinarian can send assessments and prescriptions.",
}


class Participants(Protocol):
    """Anything that names an appointment's participants: a model or a row loaded by hand."""

    pet_parent_id: UUID
    veterinarian_id: UUID


P = TypeVar("P", bound=Participants)


class AppointmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No appointment with this id.")


class ActionNotPermitted(NotPermitted):
    def __init__(self, action: Action) -> None:
        super().__init__(REFUSALS.get(action, "You cannot do this to this appointment."))
        self.action = action


def standing(user: User, appointment: Participants) -> Standing | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.pk == appointment.pet_parent_id:
        return Standing.PET_PARENT
    if user.pk == appointment.veterinarian_id:
        return Standing.VETERINARIAN
    if user.is_staff:
        return Standing.STAFF
    return None


def may(user: User, appointment: Participants, action: Action) -> bool:
    who = standing(user, appointment)
    return who is not None and action in ALLOWED[who]


def check_access(*, user: User, appointment: P | None, action: Action) -> P:
    """The appointment, if the user may do `action` to it; otherwise the reason, as an error."""
    who = standing(user, appointment) if appointment is not None else None
    if who is None:
        raise AppointmentNotFound
    if action not in ALLOWED[who]:
        raise ActionNotPermitted(action)
    return appointment


def access_appointment(
    *, user: User, appointment_id: UUID | str, action: Action = Action.VIEW
) -> Appointment:
    """Load an appointment with its pet and participants and check the user may `action` it."""
    try:
        appointment = (
            Appointment.objects.select_related("pet", "pet_parent", "veterinarian")
            .filter(pk=appointment_id)
            .first()
        )
    except (ValidationError, ValueError):  # not a UUID: no such appointment either
        appointment = None
    return check_access(user=user, appointment=appointment, action=action)


def appointments_of_participant(user: User) -> QuerySet[Appointment]:
    """The appointments in whose chat this user takes part."""
    if not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    if user.role == User.Role.PET_PARENT:
        return Appointment.objects.filter(pet_parent=user)
    if user.role == User.Role.VETERINARIAN:
        return Appointment.objects.filter(veterinarian=user)
    return Appointment.objects.none()
