from django.conf import settings
from django.db import models
from django.utils import timezone

from appointments.models import Appointment
from tenancy.models import Clinic

USER_AGENT_LENGTH = 300


class AuditEvent(models.Model):
    """One access to an appointment's record by someone accountable for it: append-only.

    A trigger refuses UPDATE and DELETE (audit/migrations/0001_initial.py); rows are written by
    `audit.services.record_access` alone.
    """

    class Action(models.TextChoices):
        CHAT_READ = "chat.read", "Chat read"
        TRANSCRIPT_EXPORT = "transcript.export", "Transcript exported"
        ATTACHMENT_DOWNLOAD = "attachment.download", "Attachment downloaded"
        ADMIN_SEARCH = "admin.search", "Searched in the admin"
        ONCALL_PAGED = "oncall.paged", "Paged on call"
        ONCALL_ACKNOWLEDGED = "oncall.acknowledged", "Page acknowledged"
        ONCALL_ESCALATED = "oncall.escalated", "Page escalated"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_events"
    )
    action = models.CharField(max_length=40, choices=Action)
    # The appointment's clinic; for a search in the admin, the searcher's (None: every clinic's).
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    # None for a search in the admin, which reaches no one appointment.
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="audit_events", null=True, blank=True
    )
    # What within the appointment was reached (a message, an attachment, a format), if one thing;
    # for a search, what was searched for and where.
    object_id = models.CharField("object id", max_length=100, blank=True)
    at = models.DateTimeField("when", default=timezone.now)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_LENGTH, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["appointment", "at"], name="audit_event_appointment_at"),
            models.Index(fields=["user", "at"], name="audit_event_user_at"),
            models.Index(fields=["at"], name="audit_event_at"),
            models.Index(fields=["clinic", "at"], name="audit_event_clinic_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
