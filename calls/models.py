"""Video calls made from an appointment's chat. Only who called, who answered, when and how it
ended are kept: the media goes peer to peer (or through TURN) and is never seen or stored."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from chat.models import Chat
from tenancy.models import Clinic


class Call(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "", "Running"
        COMPLETED = "completed", "Completed"
        # Nobody answered in time, or the caller hung up while it rang.
        MISSED = "missed", "Missed"
        DECLINED = "declined", "Declined"
        # A party's connection dropped and it did not come back in time.
        FAILED = "failed", "Connection lost"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="calls")
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls_made"
    )
    started_at = models.DateTimeField()  # ringing from
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls_answered",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome, blank=True, default="")
    # The socket (channel layer name) each party talks from: signals go to that socket alone,
    # and only its own disconnect counts as the party's connection lost.
    caller_channel = models.CharField(max_length=120, blank=True, default="")
    answerer_channel = models.CharField(max_length=120, blank=True, default="")
    # When a party's socket went and it has not rejoined since.
    caller_lost_at = models.DateTimeField(null=True, blank=True)
    answerer_lost_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["chat"], condition=Q(outcome=""), name="call_one_running_per_chat"
            ),
        ]
        indexes = [
            models.Index(
                fields=["started_at"], condition=Q(outcome=""), name="call_running_started"
            ),
        ]

    def __str__(self) -> str:
        return f"Call {self.pk} in {self.chat_id}"

    @property
    def running(self) -> bool:
        return self.outcome == self.Outcome.RUNNING
