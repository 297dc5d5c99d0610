import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from appointments.models import Appointment
from tenancy.models import Clinic

MAX_NAME_LENGTH = 200


class Attachment(models.Model):
    """A file uploaded into an appointment's chat, as it is kept: sniffed, re-encoded or
    stripped, under a random storage key. Attached to at most one message, once; from then
    on it is part of the record and is never deleted."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        DOCUMENT = "document", "Document"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    # What participants see: the sender's file name, sanitised (attachments.names).
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # Keys in the attachments storage: random, never derived from the sender's file name.
    storage_key = models.CharField(max_length=200, unique=True)
    thumbnail_key = models.CharField(max_length=200, blank=True)  # 320 px, JPEG
    preview_key = models.CharField(max_length=200, blank=True)  # 1280 px, JPEG
    created_at = models.DateTimeField(default=timezone.now)
    # Set once, when a message of the same appointment and sender takes it.
    message_id = models.UUIDField(null=True, blank=True, db_index=True)
    attached_at = models.DateTimeField(null=True, blank=True)
    # Set when its message was taken back: from then on only staff, reading the record, see it.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(message_id__isnull=True),
                name="attachment_unattached",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type}, {self.size} bytes)"


class ProfilePhoto(models.Model):
    """The picture beside a person's messages (a message's `senderImage`): a photo through the
    same pipeline as attachments (sniffed, upright, without metadata), cut to a small square,
    under a random key. Not part of the record: replacing or removing it deletes the bytes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile_photo"
    )
    storage_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Profile photo of {self.user_id}"
