"""Writing the audit trail: the one function every door calls when it opens the record."""

from uuid import UUID

from django.http import HttpRequest

from appointments.access import Standing, standing, with_participants
from appointments.models import Appointment
from audit.models import USER_AGENT_LENGTH, AuditEvent
from vetchat.ratelimit import client_ip

# Whose readings are the chat itself, not an access to the record from outside it.
PARTICIPANTS = {
    Standing.PET_PARENT,
    Standing.CO_OWNER,
    Standing.VETERINARIAN,
    Standing.TEAM_VETERINARIAN,
    Standing.TECHNICIAN,
}


def record_access(
    *,
    request: HttpRequest,
    action: str,
    appointment: Appointment | UUID | str,
    obj_id: object = "",
    outsiders_only: bool = False,
) -> AuditEvent | None:
    """Record that `request.user` reached `appointment`'s record through `action`.

    `action` is an `AuditEvent.Action` ("chat.read", "transcript.export",
    "attachment.download"); `obj_id` names what within the appointment, if one thing. The
    client's address is told as the rate limits tell it (`vetchat.ratelimit.client_ip`).
    `outsiders_only`: the appointment's own pet parent and vet are not recorded (their
    attachment downloads are the chat itself); returns None for them.
    """
    if action not in AuditEvent.Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    user = request.user
    appointment_id = appointment.pk if isinstance(appointment, Appointment) else appointment
    if outsiders_only:
        if not hasattr(appointment, "co_owner_ids"):  # an id, or a model without its members
            appointment = with_participants(Appointment.objects.filter(pk=appointment_id)).get()
        if standing(user, appointment) in PARTICIPANTS:
            return None
    clinic_id = getattr(appointment, "clinic_id", None)
    if clinic_id is None:
        clinic_id = Appointment.objects.values_list("clinic_id", flat=True).get(pk=appointment_id)
    return _recorded(request, action, appointment_id, obj_id, clinic_id)


def record_search(*, request: HttpRequest, where: str, term: str) -> AuditEvent:
    """Record that staff searched `where` (an admin list) for `term`: a search reaches many
    records at once, so it is accountable as a reading is."""
    clinics = request.user.clinic_ids
    clinic_id = next(iter(clinics)) if len(clinics) == 1 and not request.user.is_superuser else None
    return _recorded(
        request, AuditEvent.Action.ADMIN_SEARCH, None, f"{where}: {term}"[:100], clinic_id
    )


def _recorded(
    request: HttpRequest, action: str, appointment_id: object, obj_id: object, clinic_id: int | None
) -> AuditEvent:
    return AuditEvent.objects.create(
        clinic_id=clinic_id,
        user=request.user,
        action=action,
        appointment_id=appointment_id,
        object_id=str(obj_id),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:USER_AGENT_LENGTH],
    )
