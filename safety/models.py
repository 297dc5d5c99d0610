"""What a clinic sets about reply times and safe waits, and the promise each family message got.

A clinic without rows has the shipped defaults (`safety.defaults`): no row is needed."""

from django.db import models

from chat.models import Chat, Message
from tenancy.models import Clinic
from triage.categories import Category


class ReplySettings(models.Model):
    """How long a reply takes the clinic's team, and where to go when it cannot answer in time."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, primary_key=True, related_name="reply_settings"
    )
    minutes_per_reply = models.PositiveIntegerField(
        "minutes a reply takes",
        default=20,
        help_text="Typical minutes one team member needs to answer a message, queue included "
        "in the promise as (messages ahead + 1) * this / members of the pool.",
    )
    emergency_clinic_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="Where families go when the clinic cannot answer in time (e.g. the "
        "out-of-hours emergency hospital).",
    )
    emergency_clinic_address = models.TextField(max_length=400, blank=True)
    emergency_clinic_phone = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = "reply times"
        verbose_name_plural = "reply times"

    def __str__(self) -> str:
        return f"Reply times at {self.clinic_id}"


class SafeWait(models.Model):
    """The longest a question of one category may safely wait for a reply at one clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="safe_waits")
    category = models.CharField(max_length=20, choices=Category)
    minutes = models.PositiveIntegerField(help_text="e.g. 240 for four hours")

    class Meta:
        ordering = ["clinic", "category"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "category"], name="safety_safe_wait_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.minutes} min"


class MessagePromise(models.Model):
    """When a reply to a family message was promised, made in the send's transaction."""

    class Basis(models.TextChoices):
        OPEN = "open", "Open now"
        CLOSED = "closed", "From the next opening"
        ON_CALL = "on_call", "The clinician on call is paged"
        NEVER = "never", "The clinic does not open ahead"
        NONE = "none", "No opening hours set"

    # Derived from the record, never part of it: no database constraint holds the chat's own
    # tables to these rows (the integrity checks' maintenance removes messages beneath them).
    message = models.OneToOneField(
        Message,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="reply_promise",
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    chat = models.ForeignKey(
        Chat, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    seq = models.PositiveIntegerField()
    made_at = models.DateTimeField()
    category = models.CharField(max_length=20, choices=Category)
    basis = models.CharField(max_length=10, choices=Basis)
    # None: the clinic does not open within the look-ahead (basis "never").
    expected_by = models.DateTimeField(null=True, blank=True)
    safe_wait_minutes = models.PositiveIntegerField()
    # The red-flag signs the message raised, comma-separated; "" for none.
    red_flags = models.CharField(max_length=200, blank=True)
    # Someone was on call when it was sent: the guard points to them before the emergency clinic.
    on_call = models.BooleanField(default=False)
    guard_fired = models.BooleanField(default=False)
    # Why: "category" (the category's safe wait) or "red_flag" (a sign's); "" when not fired.
    guard_reason = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["chat", "seq"]
        indexes = [models.Index(fields=["clinic", "made_at"], name="safety_promise_made")]

    def __str__(self) -> str:
        return f"{self.chat_id} #{self.seq} reply by {self.expected_by}"
