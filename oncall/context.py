"""The appointment page's on-call section, for the clinic's side."""

from typing import Any

from accounts.models import User
from appointments.models import Appointment
from oncall.selectors import has_rota, pages_of_appointment


def pages_context(user: User, appointment: Appointment) -> dict[str, Any]:
    """`oncall_pages` for the clinic's people at the appointment's clinic: the chat's pages
    (one query), or an empty list when the clinic keeps a rota (one more). Nothing for the
    family's side, nor for a clinic without a rota whose chat was never paged."""
    if user.role == User.Role.PET_PARENT or not user.works_at(appointment.clinic_id):
        return {}
    pages = pages_of_appointment(appointment.pk)
    if pages or has_rota(appointment.clinic_id):
        return {"oncall_pages": pages}
    return {}
