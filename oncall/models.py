"""The clinic's on-call rota (shifts by level, and the emergency list paged last) and the pages
an urgent chat sends to the people on it."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from chat.models import Chat
from sms.numbers import NotAMobileNumber, mobile_number
from tenancy.models import Clinic, ClinicMembership

# Who can be on call: the people who answer the clinic's chats.
ON_CALL_ROLES = ("veterinarian", "technician")
# The level of a page sent to the clinic's emergency list, paged after every level of the rota.
EMERGENCY_LEVEL = 0


def _works_at(clinic_id: int | None, user_id: object) -> bool:
    return (
        clinic_id is not None
        and user_id is not None
        and ClinicMembership.objects.filter(clinic_id=clinic_id, user_id=user_id).exists()
    )


class OnCallShift(models.Model):
    """Someone on call for the clinic from `starts_at` to `ends_at`, at a level: level 1 is
    paged first, the next level when a page is not acknowledged in time."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"role__in": ON_CALL_ROLES},
        help_text="A vet or technician who works at the clinic.",
    )
    level = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="1 is paged first; the next level when a page is not acknowledged in time.",
    )
    starts_at = models.DateTimeField("from")
    ends_at = models.DateTimeField("until")
    pager_phone = models.CharField(
        max_length=16,
        blank=True,
        help_text="A mobile number for texts while on call (with its country code, "
        "+44 7700 900123). Empty: pages go by push and email only.",
    )

    class Meta:
        ordering = ["-starts_at", "level"]
        verbose_name = "on-call shift"
        indexes = [models.Index(fields=["clinic", "ends_at"], name="oncall_shift_clinic_ends")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="oncall_shift_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="oncall_shift_level_positive"),
        ]

    def __str__(self) -> str:
        return f"Level {self.level}: {self.clinician} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The shift must end after it starts."
        if self.clinician_id and not _works_at(self.clinic_id, self.clinician_id):
            errors["clinician"] = "Choose a vet or technician who works at this clinic."
        if self.pager_phone:
            try:
                self.pager_phone = mobile_number(self.pager_phone)
            except NotAMobileNumber as error:
                errors["pager_phone"] = error.message
        if errors:
            raise ValidationError(errors)


class EmergencyContact(models.Model):
    """One person on the clinic's emergency list: paged, all at once, when no level of the rota
    acknowledged a page (or nobody is on shift)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"role__in": ON_CALL_ROLES},
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "emergency contact"
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "clinician"], name="oncall_emergency_contact_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.clinician)

    def clean(self) -> None:
        if self.clinician_id and not _works_at(self.clinic_id, self.clinician_id):
            raise ValidationError(
                {"clinician": "Choose a vet or technician who works at this clinic."}
            )


class Page(models.Model):
    """One person paged about an urgent chat. The people paged together (one level's people on
    shift, or the emergency list) are one `round` of the chat; the round is acknowledged by any
    one of them, or escalated to the next level when `due_at` passes."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ESCALATED = "escalated", "Escalated"
        UNANSWERED = "unanswered", "Unanswered"
        # Someone else of the same round acknowledged first.
        STOOD_DOWN = "stood_down", "Answered by another"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The urgent message the page is about.
    seq = models.PositiveIntegerField()
    # The red-flag sign it raised, as the page and its messages name it.
    sign = models.CharField(max_length=100, blank=True)
    # The chat's rounds of pages, counted from 1.
    round = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField(help_text="0: the clinic's emergency list.")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paged_at = models.DateTimeField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State, default=State.WAITING)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # When it stopped waiting: acknowledged, escalated, unanswered or stood down.
    ended_at = models.DateTimeField(null=True, blank=True)
    # The text to the shift's pager phone, if it had one: where, and what the provider said.
    text_to = models.CharField(max_length=16, blank=True)
    text_sid = models.CharField(max_length=64, blank=True)
    text_sent_at = models.DateTimeField(null=True, blank=True)
    text_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-paged_at", "level"]
        indexes = [
            models.Index(fields=["clinic", "paged_at"], name="oncall_page_clinic_paged"),
            models.Index(fields=["person", "state"], name="oncall_page_person_state"),
            models.Index(
                fields=["due_at"], name="oncall_page_waiting_due", condition=Q(state="waiting")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "round", "person"], name="oncall_page_once_a_round"
            ),
        ]

    def __str__(self) -> str:
        return f"Page to {self.person_id} about chat {self.chat_id}: {self.state}"
