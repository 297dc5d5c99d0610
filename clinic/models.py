"""What each clinic sets in the admin (opening hours, closures, emergency numbers, red-flag signs,
shared canned answers), the chats marked urgent and the after-hours replies sent. The clinic
itself is `tenancy.Clinic`."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from appointments.models import Pet
from chat.models import Chat, Message
from tenancy.models import Clinic


class OpeningSpan(models.Model):
    """One span of opening hours on a weekday; a day may have several (a lunch break between)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="spans")
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")), name="clinic_span_opens_before_closes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"


class Closure(models.Model):
    """A day the clinic is closed whatever its weekday's hours: a holiday, training, a move."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="clinic_closure_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class EmergencyNumber(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="emergency_numbers")
    label = models.CharField(max_length=100, help_text="e.g. Out-of-hours emergency hospital")
    number = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.label}: {self.number}"


class RedFlagSign(models.Model):
    """An emergency sign the pet parents' messages are checked against (`clinic.redflags`).

    Signs without a clinic are the shared default list; a new clinic starts with a copy of it and
    edits its own, and a clinic with no signs of its own is checked against the shared list.
    """

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="red_flag_signs",
        help_text="Empty: the shared default list new clinics start from.",
    )
    name = models.CharField(max_length=100, help_text="Shown to the vet, e.g. Seizure")
    phrases = models.TextField(
        help_text="One phrase a line. Words match as written; word* matches any ending "
        "(seiz* → seizure, seizures, seizing); a|b matches either word; word? may be missing; "
        "... stands for up to five words. Negations before a phrase (no, not, never, hasn't) "
        "are understood."
    )
    species = models.CharField(
        max_length=20,
        choices=Pet.Species,
        blank=True,
        help_text="Only for pets of this species; empty: every pet.",
    )
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    safe_wait_minutes = models.PositiveIntegerField(
        "safe wait (minutes)",
        default=15,
        help_text="The longest a pet with this sign may safely wait for a reply; when the "
        "clinic cannot answer sooner, the chat points the family to emergency care at once.",
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class UrgentChat(models.Model):
    """A chat whose pet parent wrote about a red-flag sign; the latest such message."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    chat = models.OneToOneField(Chat, on_delete=models.PROTECT, related_name="urgent")
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    sign = models.CharField(max_length=100)
    flagged_at = models.DateTimeField()

    class Meta:
        ordering = ["-flagged_at"]
        indexes = [models.Index(fields=["clinic", "flagged_at"], name="clinic_urgent_flagged")]

    def __str__(self) -> str:
        return f"{self.chat_id} urgent: {self.sign} (#{self.seq})"


class AfterHoursReply(models.Model):
    """The automatic reply a chat got in one closed period; unique, so concurrent sends make one."""

    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="after_hours_replies")
    # When that closed period ends (the next opening); None: the clinic has no opening hours.
    period_ends = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "period_ends"],
                nulls_distinct=False,
                name="clinic_after_hours_reply_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"After-hours reply in {self.chat_id} until {self.period_ends}"


class CannedAnswer(models.Model):
    """A snippet a clinician inserts into the composer: their own (in every clinic they work
    at), or with no owner, shared by one clinic's team."""

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_answers",
        help_text="The clinic sharing it; empty for a clinician's own.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_answers",
        help_text="Empty: shared with the clinic's team.",
    )
    title = models.CharField(max_length=80)
    body = models.TextField(
        max_length=4000,
        help_text="Placeholders: {pet}, {parent}, {vet}, {clinic_phone}.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(clinic__isnull=False),
                name="clinic_canned_answer_owned_or_shared",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReplyHold(models.Model):
    """Whether a clinic holds its team's replies written while it is closed until it opens
    (`clinic.held_replies`); no row: it does not."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, primary_key=True, related_name="reply_hold"
    )
    hold_while_closed = models.BooleanField(
        "hold replies written while closed",
        default=False,
        help_text="A reply the team writes while the clinic is closed waits until it opens (its "
        "writer may still send it at once). A reply in a chat marked urgent is never held.",
    )

    class Meta:
        verbose_name = "replies while closed"
        verbose_name_plural = "replies while closed"

    def __str__(self) -> str:
        held = "held" if self.hold_while_closed else "sent"
        return f"Replies while closed at {self.clinic_id}: {held}"
