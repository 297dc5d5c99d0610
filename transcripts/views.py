"""The transcript's doors: the PDF, the JSON and a stored (filed or prepared) PDF.

Access is the appointment page's (`Action.VIEW`): its participants and clinic staff; anyone
else is told the appointment does not exist. The PDF and the JSON share a per-user budget
(`transcript`): over it the PDF answers a page, the JSON the API's error, both 429 with
Retry-After.
"""

from http import HTTPStatus
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from appointments.access import Action, access_appointment
from chat.limits import transcript_allowed
from tenancy.zones import clinic_clock
from transcripts.exports import record_transcript_export
from transcripts.models import Transcript
from transcripts.selectors import audience_of, chat_size, transcript_document
from transcripts.services import transcript_filename, transcript_request
from transcripts.shapes import transcript_json
from vetchat.errors import DomainError, NotFound, RateLimited
from vetchat.http import domain_error_response, error_body, error_headers, status_of

PDF = "application/pdf"


def _pdf_response(content: bytes | object, filename: str) -> HttpResponse:
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=PDF)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(content, as_attachment=True, filename=filename, content_type=PDF)


@require_safe
@login_required
def transcript_pdf_view(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """The chat as a PDF; a long chat's is prepared by the worker while a page says so."""
    appointment = access_appointment(
        user=request.user, appointment_id=appointment_id, action=Action.VIEW
    )
    try:
        transcript_allowed(user=request.user)
    except RateLimited as error:
        context = {"message": error.message, "retry_after": error.retry_after}
        response = render(request, "429.html", context, status=status_of(error))
        for name, value in error_headers(error).items():
            response[name] = value
        return response
    audience = audience_of(request.user, appointment)
    messages, _ = chat_size(appointment.pk)
    if messages > settings.VETCHAT_TRANSCRIPT_BACKGROUND_MESSAGES:
        transcript = transcript_request(
            appointment=appointment, audience=audience, user=request.user
        )
        if transcript.status != Transcript.Status.READY:
            context = {"appointment": appointment, "message_count": messages}
            with clinic_clock(appointment.clinic_id):
                return render(
                    request, "transcripts/preparing.html", context, status=HTTPStatus.ACCEPTED
                )
        record_transcript_export(
            request=request,
            appointment=appointment,
            export_format="pdf",
            transcript_id=transcript.pk,
        )
        return _pdf_response(transcript.file.open("rb"), transcript_filename(appointment))
    record_transcript_export(request=request, appointment=appointment, export_format="pdf")
    from transcripts.pdf import transcript_pdf  # WeasyPrint, only where a PDF is laid out

    pdf = transcript_pdf(transcript_document(appointment=appointment, audience=audience))
    return _pdf_response(pdf, transcript_filename(appointment))


@require_safe
def transcript_json_view(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """The chat as JSON (the shape in transcripts/shapes.py); errors in the API's JSON."""
    if not request.user.is_authenticated:
        body = error_body("not_authenticated", "Sign in to read transcripts.")
        return JsonResponse(body, status=HTTPStatus.UNAUTHORIZED)
    try:
        appointment = access_appointment(
            user=request.user, appointment_id=appointment_id, action=Action.VIEW
        )
        transcript_allowed(user=request.user)
    except DomainError as error:
        return domain_error_response(error)
    record_transcript_export(request=request, appointment=appointment, export_format="json")
    audience = audience_of(request.user, appointment)
    document = transcript_document(appointment=appointment, audience=audience)
    return JsonResponse(transcript_json(document), json_dumps_params={"ensure_ascii": False})


@require_safe
@login_required
def stored_transcript_view(
    request: HttpRequest, appointment_id: UUID, transcript_id: UUID
) -> HttpResponse:
    """A PDF kept on the appointment: staff read every one, participants only their copies."""
    appointment = access_appointment(
        user=request.user, appointment_id=appointment_id, action=Action.VIEW
    )
    audience = audience_of(request.user, appointment)
    transcripts = Transcript.objects.filter(
        pk=transcript_id, appointment_id=appointment.pk, status=Transcript.Status.READY
    )
    if audience != Transcript.Audience.STAFF:
        transcripts = transcripts.filter(audience=audience)
    transcript = transcripts.first()
    if transcript is None:
        raise NotFound("No such transcript.")  # also one kept for someone else
    record_transcript_export(
        request=request, appointment=appointment, export_format="pdf", transcript_id=transcript.pk
    )
    return _pdf_response(transcript.file.open("rb"), transcript_filename(appointment))
