"""Staff find an appointment's transcripts on its admin page: the filed record and any PDF
prepared for someone, each a link through the transcript views (access checked, export
recorded), plus a link to the transcript as the chat stands now."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from appointments.admin import AppointmentAdmin
from appointments.models import Appointment
from tenancy.admin import ClinicScopedInline
from transcripts.models import Transcript


class TranscriptInline(ClinicScopedInline, admin.TabularInline):
    model = Transcript
    fields = ("created_at", "filed", "audience", "status", "message_count", "chain_head", "pdf")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-filed", "-created_at")
    verbose_name = "transcript"
    verbose_name_plural = "Transcripts"

    @admin.display(description="PDF")
    def pdf(self, transcript: Transcript) -> str:
        if transcript.status != Transcript.Status.READY:
            return "—"
        url = reverse("transcript_stored", args=[transcript.appointment_id, transcript.pk])
        label = "Filed transcript (PDF)" if transcript.filed else "Transcript (PDF)"
        return format_html('<a href="{}">{}</a>', url, label)

    def has_add_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False


admin.site.unregister(Appointment)


@admin.register(Appointment)
class AppointmentWithTranscriptsAdmin(AppointmentAdmin):
    inlines = [*AppointmentAdmin.inlines, TranscriptInline]
    readonly_fields = (*AppointmentAdmin.readonly_fields, "transcript_now")
    fields = (*AppointmentAdmin.fields, "transcript_now")

    def get_inlines(self, request: HttpRequest, obj: Appointment | None) -> list:
        # A new appointment has no transcripts, and its form then needs no inline's fields.
        return super().get_inlines(request, obj) if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Appointment | None = None) -> tuple:
        fields = super().get_fields(request, obj)
        return fields if obj is not None else tuple(f for f in fields if f != "transcript_now")

    @admin.display(description="Transcript now")
    def transcript_now(self, appointment: Appointment) -> str:
        return format_html(
            '<a href="{}">PDF, every version</a> · <a href="{}">JSON</a>',
            reverse("transcript_pdf", args=[appointment.pk]),
            reverse("transcript_json", args=[appointment.pk]),
        )
