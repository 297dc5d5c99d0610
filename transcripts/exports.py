"""The one call made for every transcript handed out, whatever its format or door."""

from uuid import UUID

from django.http import HttpRequest

from appointments.models import Appointment
from audit.models import AuditEvent
from audit.services import record_access


def record_transcript_export(
    *,
    request: HttpRequest,
    appointment: Appointment,
    export_format: str,
    transcript_id: UUID | None = None,
) -> None:
    """A transcript of `appointment` (`export_format`: "pdf" or "json") is given to the
    request's user: recorded in the audit trail for everyone, participants included, since a
    copy of the record leaves the clinic's hands. The object is the stored transcript handed
    out, or the format of one made for this request."""
    record_access(
        request=request,
        action=AuditEvent.Action.TRANSCRIPT_EXPORT,
        appointment=appointment,
        obj_id=transcript_id or f"transcript.{export_format}",
    )
