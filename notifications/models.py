from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q

from chat.models import Chat
from tenancy.models import Clinic


class Preference(models.Model):
    """How one user wants to hear of messages they have not read. No row: the clinic's defaults."""

    class Delay(models.TextChoices):
        CLINIC_DEFAULT = "clinic", "The clinic's default"
        IMMEDIATELY = "now", "Immediately"
        FIVE_MINUTES = "5m", "After 5 minutes"
        THIRTY_MINUTES = "30m", "After 30 minutes"
        NEVER = "never", "Never"

    class Digest(models.IntegerChoices):
        HOURLY = 1, "Every hour"
        EVERY_4_HOURS = 4, "Every 4 hours"
        EVERY_8_HOURS = 8, "Every 8 hours"
        DAILY = 24, "Once a day"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField("email me about unread messages", default=True)
    delay = models.CharField(max_length=10, choices=Delay, default=Delay.CLINIC_DEFAULT)
    # Times of day in the clinic's time zone; a span may cross midnight (22:00 to 07:00).
    quiet_from = models.TimeField("quiet hours from", null=True, blank=True)
    quiet_until = models.TimeField("quiet hours until", null=True, blank=True)
    web_push_enabled = models.BooleanField("notifications in this browser", default=False)
    # A pet parent who consented to texts at their number is texted instead of emailed.
    sms_enabled = models.BooleanField("text me instead of emailing", default=True)
    # Vets only: one email every this many hours listing every waiting chat, not one per chat.
    digest_hours = models.PositiveSmallIntegerField("digest", choices=Digest, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_from__isnull=True, quiet_until__isnull=True)
                | Q(quiet_from__isnull=False, quiet_until__isnull=False),
                name="notifications_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"

    def delay_seconds(self, clinic_default: int) -> int | None:
        """Seconds to wait before telling (email, push); None when this user wants neither."""
        wanted = self.email_enabled or self.web_push_enabled
        if not wanted or self.delay == self.Delay.NEVER:
            return None
        return {
            self.Delay.CLINIC_DEFAULT: clinic_default,
            self.Delay.IMMEDIATELY: 0,
            self.Delay.FIVE_MINUTES: 300,
            self.Delay.THIRTY_MINUTES: 1800,
        }[self.Delay(self.delay)]

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        if self.quiet_from is None or self.quiet_until is None:
            return None
        return self.quiet_from, self.quiet_until


class ChatNotification(models.Model):
    """How far into one chat one user has been notified: the next email starts after it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_notifications"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="notifications")
    last_notified_seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "chat"], name="notifications_user_chat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} notified of {self.chat_id} up to #{self.last_notified_seq}"


class UnreadEmail(models.Model):
    """One email about unread messages, recorded before it is sent.

    The row and the moved `ChatNotification.last_notified_seq` commit together; sending comes
    after, and the row is marked sent as soon as the SMTP server has accepted it. A worker killed in
    between leaves the row pending for the retried job; one killed after it leaves nothing to do.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        READ_FIRST = "read_first", "Read before it could be sent"
        # Given up after its retries; listed as an UndeliveredEmail, never tried again.
        FAILED = "failed", "Could not be sent"
        # Told by text instead (`text`); back to pending if the text does not arrive.
        TEXTED = "texted", "Texted instead"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unread_emails"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="unread_emails")
    first_seq = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField()
    message_count = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The text that told this window instead of the email: never texted twice, and emailed
    # after all if that text is undelivered.
    text = models.ForeignKey(
        "sms.Text", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "chat", "last_seq"], name="notifications_unread_email_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "chat"],
                condition=Q(status="pending"),
                name="notifications_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_count} unread in {self.chat_id} for {self.user_id}"


class QueuedEmail(models.Model):
    """An email waiting for the job worker, written in the transaction of what caused it.

    Its text stays here rather than in the job's arguments, which procrastinate writes into its
    log lines and admin: a confirmation or reset email carries a link that acts for its
    recipient. The row is deleted once the email is sent or set aside.
    """

    kind = models.CharField(max_length=100)
    message = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} email #{self.pk}"


class UndeliveredEmail(models.Model):
    """An email the worker gave up on, after its retries or at once for an error no retry
    mends: set aside for staff to see, so it holds back no other email. Its text is not kept:
    an account email's links would let whoever reads it act for its recipient."""

    kind = models.CharField(max_length=100)
    recipient = models.CharField(max_length=320)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="undelivered_emails",
    )
    subject = models.CharField(max_length=400)
    reason = models.CharField(max_length=500)
    attempts = models.PositiveSmallIntegerField()
    failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (RFC 8030), with the keys its payloads are encrypted to
    (RFC 8291)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Push subscription of {self.user_id}"

    def info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class ReplyAddress(models.Model):
    """The secret behind one user's `reply+<token>@` address for one chat.

    The token is `key` and an HMAC of it: a forged one is refused before the database is asked,
    and this row is what makes a genuine one work until it is revoked. `key` is random, so the
    address tells nobody who or which chat it is for."""

    key = models.CharField(max_length=24, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reply_addresses"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="reply_addresses")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "chat"],
                condition=Q(revoked_at__isnull=True),
                name="notifications_reply_address_live_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Reply address of {self.user_id} in {self.chat_id}"
