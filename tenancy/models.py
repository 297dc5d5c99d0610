"""The clinics sharing one deployment, and who works at each.

A clinic is the tenant: every appointment belongs to one, and every row that hangs off an
appointment (its chat, messages, attachments, transcripts, audit events, notifications, urgent
marks) carries the appointment's `clinic_id` too, so that a clinic's rows can be listed, counted
and one day distributed by it alone (docs/architecture.md).
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

DEFAULT_AFTER_HOURS_REPLY = (
    "Thank you for your message. The clinic is closed right now; a member of the team will "
    "answer when we open. If your pet needs urgent care, call one of the emergency numbers below."
)

# The roles that work at a clinic; pet parents belong to none and are clients of any.
MEMBER_ROLES = ("veterinarian", "technician", "staff")


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError("Choose an IANA time zone, e.g. Europe/London.")


class Clinic(models.Model):
    name = models.CharField(max_length=150, help_text="Shown to pet parents.")
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=60,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Opening hours, and every date and time of this clinic's appointments, are "
        "in it (an IANA name, e.g. Europe/London).",
    )
    phone = models.CharField(
        "clinic phone",
        max_length=40,
        blank=True,
        help_text="Fills the {clinic_phone} placeholder of canned answers.",
    )
    address = models.TextField(blank=True)
    colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #rrggbb.")],
        help_text="The clinic's colour beside its name, as #rrggbb.",
    )
    email_sender_name = models.CharField(
        max_length=100, blank=True, help_text="The name emails come from; the clinic's when empty."
    )
    after_hours_reply = models.TextField(
        default=DEFAULT_AFTER_HOURS_REPLY,
        help_text="Sent once per chat and closed period to a pet parent who writes while the "
        "clinic is closed; the emergency numbers are added below it.",
    )
    technicians_may_call = models.BooleanField(
        default=False,
        help_text="Technicians on an appointment's care team may start video calls in its chat, "
        "as its veterinarian may.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ClinicMembership(models.Model):
    """A vet, technician or staff member working at a clinic; one account may work at several.

    What they may do there is their account's role (`accounts.User.role`), the same at each.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="clinic_memberships",
        limit_choices_to={"role__in": MEMBER_ROLES},
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clinic", "user"]
        verbose_name = "member"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="clinic_membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "clinic"], name="clinic_membership_user")]

    def __str__(self) -> str:
        return f"{self.user} at {self.clinic}"

    def clean(self) -> None:
        super().clean()
        if self.user_id and self.user.role not in MEMBER_ROLES:
            raise ValidationError({"user": "Pet parents are clients of a clinic, not members."})
