"""Every change to transcripts: asking for one to be prepared, rendering it, filing the record
when an appointment's follow-up window closes."""

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from appointments.models import Appointment
from chat.rules import follow_up_closes_at
from tenancy.zones import clinic_time
from transcripts.models import Transcript
from transcripts.selectors import chat_size, current_transcript, transcript_document

logger = logging.getLogger(__name__)


def transcript_filename(appointment: Appointment) -> str:
    day = clinic_time(appointment.starts_at, appointment.clinic_id).strftime("%Y-%m-%d")
    return f"transcript-{slugify(appointment.pet.name) or 'pet'}-{day}.pdf"


def transcript_request(*, appointment: Appointment, audience: str, user: User) -> Transcript:
    """A background transcript of the chat as it stands, for `audience`: the one already
    prepared or being prepared if there is one, otherwise a new one handed to the worker."""
    from transcripts.tasks import render_transcript

    with transaction.atomic():
        # One request at a time per appointment, so that two clicks make one job.
        Appointment.objects.select_for_update().filter(pk=appointment.pk).values("pk").first()
        _, rev = chat_size(appointment.pk)
        existing = current_transcript(appointment=appointment, audience=audience, chat_rev=rev)
        if existing is not None:
            return existing
        transcript = Transcript.objects.create(
            clinic_id=appointment.clinic_id,
            appointment=appointment,
            audience=audience,
            chat_rev=rev,
            appointment_updated_at=appointment.updated_at,
            requested_by=user,
        )
        # procrastinate writes the job through Django's connection: it commits with the row.
        render_transcript.defer(transcript_id=str(transcript.pk))
    return transcript


def transcript_render(*, transcript_id: UUID) -> Transcript:
    """Render a stored transcript's PDF into the private folder and mark it ready."""
    transcript = Transcript.objects.select_related(
        "appointment__pet",
        "appointment__pet_parent",
        "appointment__veterinarian",
        "appointment__clinic",
    ).get(pk=transcript_id)
    if transcript.status == Transcript.Status.READY:
        return transcript  # a retried job whose first run got this far
    appointment = transcript.appointment
    from transcripts.pdf import transcript_pdf  # WeasyPrint, only where a PDF is laid out

    try:
        document = transcript_document(appointment=appointment, audience=transcript.audience)
        pdf = transcript_pdf(document)
    except Exception:
        Transcript.objects.filter(pk=transcript.pk).update(status=Transcript.Status.FAILED)
        logger.exception("Transcript %s could not be rendered.", transcript.pk)
        raise
    transcript.file.save(transcript_filename(appointment), ContentFile(pdf), save=False)
    transcript.status = Transcript.Status.READY
    transcript.finished_at = timezone.now()
    transcript.message_count = len(document.entries)
    transcript.chain_head = document.chain_head
    # What the PDF shows, which may be newer than what was asked for.
    transcript.chat_rev = document.chat_rev
    transcript.appointment_updated_at = document.appointment_updated_at
    transcript.save()
    return transcript


@dataclass(frozen=True)
class _WindowOf:
    """What `follow_up_closes_at` reads of an appointment and its chat."""

    clinic_id: int
    status: str
    ends_at: datetime
    reopened_until: datetime | None
    pet_parent_id: UUID
    veterinarian_id: UUID


def appointments_due_for_filing(now: datetime | None = None) -> list[Appointment]:
    """Completed appointments whose follow-up window has closed and whose chat has changed
    since it was last filed (never filed, or written in again after staff reopened it), oldest
    first."""
    now = now or timezone.now()
    ends = ExpressionWrapper(F("starts_at") + F("duration"), output_field=DateTimeField())
    due = (
        Appointment.objects.filter(status=Appointment.Status.COMPLETED)
        .alias(ends=ends)
        .filter(ends__lte=now - settings.VETCHAT_FOLLOW_UP)
        # no chat, never reopened, or reopened until a moment now past
        .filter(Q(chat__reopened_until__isnull=True) | Q(chat__reopened_until__lte=now))
        .exclude(
            Exists(
                Transcript.objects.filter(
                    appointment=OuterRef("pk"),
                    filed=True,
                    chat_rev__gte=Coalesce(OuterRef("chat__rev"), 0),
                )
            )
        )
        .select_related("chat")
        .order_by("starts_at")
    )
    result = []
    for appointment in due:
        chat = getattr(appointment, "chat", None)
        window = _WindowOf(
            appointment.clinic_id,
            appointment.status,
            appointment.ends_at,
            chat.reopened_until if chat else None,
            appointment.pet_parent_id,
            appointment.veterinarian_id,
        )
        closes = follow_up_closes_at(window)
        if closes is not None and closes <= now:  # the chat rules have the last word
            result.append(appointment)
    return result


def transcripts_file_closed(*, now: datetime | None = None, render: bool = False) -> int:
    """File the full transcript of every appointment whose follow-up window has closed and
    whose chat it does not hold yet: rendered by the worker, or here with `render=True`. Safe
    to run again and from several places at once: a chat's state is filed once (a unique
    constraint); a chat reopened and written in is filed again, the earlier filing kept."""
    from transcripts.tasks import render_transcript

    filed = 0
    for appointment in appointments_due_for_filing(now):
        _, rev = chat_size(appointment.pk)
        try:
            with transaction.atomic():
                transcript = Transcript.objects.create(
                    clinic_id=appointment.clinic_id,
                    appointment=appointment,
                    audience=Transcript.Audience.STAFF,
                    filed=True,
                    chat_rev=rev,
                    appointment_updated_at=appointment.updated_at,
                )
                if not render:
                    render_transcript.defer(transcript_id=str(transcript.pk))
        except IntegrityError:
            continue  # filed meanwhile by another run
        if render:
            transcript_render(transcript_id=transcript.pk)
        filed += 1
    return filed
