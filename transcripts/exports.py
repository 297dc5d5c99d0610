"""The one call made for every transcript handed out, whatever its format or door."""

import logging
from uuid import UUID

from django.http import HttpRequest

from appointments.models import Appointment

logger = logging.getLogger(__name__)


def record_transcript_export(
    *,
    request: HttpRequest,
    appointment: Appointment,
    audience: str,
    export_format: str,
    transcript_id: UUID | None = None,
) -> None:
    """A transcript of `appointment` (`export_format`: "pdf" or "json") was given to the
    request's user. The audit trail records its event here (who, what, when, address, user
    agent); until then the export is logged, by ids only (logs carry no names)."""
    logger.info(
        "Transcript exported: appointment %s, %s, %s, user %s%s.",
        appointment.pk,
        export_format,
        audience,
        request.user.pk,
        f", stored transcript {transcript_id}" if transcript_id else "",
    )
