import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.functional import LazyObject, empty

from appointments.models import Appointment
from tenancy.models import Clinic


class TranscriptStorage(LazyObject):
    """`STORAGES["transcripts"]`: the private folder (or bucket) transcripts are kept in,
    looked up when first used and again after the setting changes (tests)."""

    def _setup(self) -> None:
        self._wrapped = storages["transcripts"]

    def reset(self) -> None:
        self._wrapped = empty


_storage = TranscriptStorage()


def transcript_storage() -> Storage:
    return _storage  # type: ignore[return-value]  # a lazy Storage


def reset_transcript_storage(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _storage.reset()


class Transcript(models.Model):
    """A rendered PDF of an appointment's chat, filed on the appointment.

    `filed` marks those kept for the record when the follow-up window closed (full history): one,
    or one more each time staff reopened the chat and it was written in again. The others were
    prepared in the background for someone who asked for a long chat's PDF.
    """

    class Audience(models.TextChoices):
        PARTICIPANTS = "participants", "Participants"  # edits and removals only marked
        STAFF = "staff", "Clinic staff"  # every version of every message

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="transcripts"
    )
    audience = models.CharField(max_length=20, choices=Audience)
    filed = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # What the PDF shows: the chat's change cursor and the appointment's last change when it
    # was asked for, so a later request knows whether this one still tells the whole story.
    chat_rev = models.PositiveBigIntegerField(default=0)
    appointment_updated_at = models.DateTimeField()
    file = models.FileField(storage=transcript_storage, upload_to="%Y/%m/", blank=True)
    message_count = models.PositiveIntegerField(default=0)
    chain_head = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["appointment", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "chat_rev"],
                condition=models.Q(filed=True),
                name="transcript_filed_once_per_rev",
            ),
        ]
        indexes = [
            models.Index(fields=["appointment", "audience", "chat_rev"], name="transcript_lookup"),
        ]

    def __str__(self) -> str:
        kind = "Filed transcript" if self.filed else "Transcript"
        return f"{kind} of {self.appointment_id} ({self.get_status_display().lower()})"
