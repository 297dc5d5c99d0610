"""Text messages (SMS): a pet parent's number and consent, the texts sent to it, and the texts
that came back."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from appointments.models import Appointment
from chat.models import Message
from tenancy.models import Clinic


class Phone(models.Model):
    """A pet parent's mobile number, and whether texts may be sent to it.

    A user's, not a clinic's: one number for every clinic the parent is a client of. Texts go
    out only while `opted_in_at` is set and no STOP came since (`stopped_at`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="phone"
    )
    # E.164 (+447700900123), as `phonenumbers` formats it: one spelling per number, so that a
    # text coming back finds its account.
    number = models.CharField(max_length=16, unique=True)
    opted_in_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # The last text to this number was undelivered or failed: why, in the carrier's terms made
    # plain; cleared when the number changes or a text is delivered.
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=200, blank=True)
    # The chat the parent was last texted about: where a reply by text goes.
    last_appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Phone of {self.user_id}"

    @property
    def texts_allowed(self) -> bool:
        return self.opted_in_at is not None and self.stopped_at is None


class ConsentEvent(models.Model):
    """Every change of a number's consent, kept as it happened: who, which number, when, and
    the exact words shown (on the profile) or received (by text)."""

    class Kind(models.TextChoices):
        OPT_IN = "opt_in", "Opted in"
        OPT_OUT = "opt_out", "Opted out"
        STOP = "stop", "Texted STOP"
        START = "start", "Texted START"
        HELP = "help", "Texted HELP"

    class Source(models.TextChoices):
        PROFILE = "profile", "Profile page"
        TEXT = "text", "Text message"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_consents"
    )
    number = models.CharField(max_length=16)
    kind = models.CharField(max_length=10, choices=Kind)
    source = models.CharField(max_length=10, choices=Source)
    words = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["user", "at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class Text(models.Model):
    """One text to a pet parent, and what the provider and the carrier said of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="texts"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="texts"
    )
    to = models.CharField(max_length=16)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status, default=Status.QUEUED)
    # The provider's id (Twilio's SM… sid), NULL until it took the text: how callbacks find it.
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    error_code = models.CharField(max_length=10, blank=True)
    error_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    # An undelivered or failed text was told by email and web push instead, at this moment.
    fell_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["appointment", "-created_at"], name="sms_text_appointment")]

    def __str__(self) -> str:
        return f"Text to {self.user_id}: {self.status}"


class InboundText(models.Model):
    """A text that came in through the provider's webhook, once per provider sid (a webhook
    delivered twice is handled once), with what became of it."""

    class Outcome(models.TextChoices):
        POSTED = "posted", "Posted in the chat"
        ASKED = "asked", "Asked which pet"
        ANSWERED = "answered", "Answered which pet"
        STOP = "stop", "Opted out"
        START = "start", "Opted in again"
        HELP = "help", "Sent help"
        UNKNOWN = "unknown", "Unknown number"
        REFUSED = "refused", "Refused"

    provider_sid = models.CharField(max_length=64, unique=True)
    from_number = models.CharField(max_length=32)
    body = models.TextField(blank=True)
    media = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    # A text held while its sender is asked which pet it is about: the appointments offered,
    # in the order of the question ("Reply 1 for …"), as the answer must be read against them.
    choices = models.JSONField(default=list, blank=True)
    # The text sent back in answer ("" for none): a webhook delivered again is answered the same.
    reply = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="posted") | Q(message__isnull=False),
                name="sms_inbound_posted_names_its_message",
            ),
        ]

    def __str__(self) -> str:
        return f"Text from {self.from_number}: {self.outcome or 'pending'}"
