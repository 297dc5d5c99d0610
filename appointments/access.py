"""The one place that answers "may this user see this appointment?".

Pages, the API and anything later (WebSockets) load appointments through these functions, and
every list is scoped by the same queryset, so no caller can forget a check.
"""

from collections.abc import Callable
from http import HTTPStatus
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from appointments.models import Appointment
from vetchat.api import ApplicationError


def participant_filter(user: User) -> Q:
    return Q(pet_parent=user) | Q(veterinarian=user)


def appointments_of_participant(user: User) -> QuerySet[Appointment]:
    """The appointments in which this user is the pet parent or the veterinarian."""
    if not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    if user.role == User.Role.PET_PARENT:
        return Appointment.objects.filter(pet_parent=user)
    if user.role == User.Role.VETERINARIAN:
        return Appointment.objects.filter(veterinarian=user)
    return Appointment.objects.none()


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    """Participants see their own appointments; clinic staff see every appointment."""
    if user.is_authenticated and user.is_active and user.is_staff:
        return Appointment.objects.all()
    return appointments_of_participant(user)


def is_participant(user: User, appointment: Appointment) -> bool:
    return user.is_authenticated and user.pk in (
        appointment.pet_parent_id,
        appointment.veterinarian_id,
    )


def get_visible_appointment(*, user: User, appointment_id: UUID | str) -> Appointment:
    """Load an appointment for a page; anything the user may not see is simply not there."""
    try:
        return (
            appointments_visible_to(user)
            .select_related("pet", "pet_parent", "veterinarian")
            .get(pk=appointment_id)
        )
    except (Appointment.DoesNotExist, ValueError) as exc:
        raise Http404("No such appointment.") from exc


class AppointmentNotFound(ApplicationError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class NotAParticipant(ApplicationError):
    status = HTTPStatus.FORBIDDEN
    code = "forbidden"


def get_participant_appointment(
    *,
    user: User,
    appointment_id: UUID,
    load: Callable[[UUID], Appointment | None] | None = None,
) -> Appointment:
    """Load an appointment for one of its two participants, or say why not.

    `load` lets a caller fetch the appointment together with what it needs next, so that
    loading and checking stay one query.
    """
    appointment = (load or _load_appointment)(appointment_id)
    if appointment is None:
        raise AppointmentNotFound("No appointment with this id.")
    if not user.is_active or not is_participant(user, appointment):
        raise NotAParticipant(
            "Only the appointment's pet parent and veterinarian can use its chat."
        )
    return appointment


def _load_appointment(appointment_id: UUID) -> Appointment | None:
    return Appointment.objects.filter(pk=appointment_id).first()
