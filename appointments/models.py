import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tenancy.models import Clinic, ClinicMembership
from tenancy.zones import clinic_time


def works_at(user_id: uuid.UUID, clinic_id: int) -> bool:
    return ClinicMembership.objects.filter(user_id=user_id, clinic_id=clinic_id).exists()


class Pet(models.Model):
    class Species(models.TextChoices):
        DOG = "dog", "Dog"
        CAT = "cat", "Cat"
        RABBIT = "rabbit", "Rabbit"
        BIRD = "bird", "Bird"
        REPTILE = "reptile", "Reptile"
        SMALL_MAMMAL = "small_mammal", "Small mammal"
        OTHER = "other", "Other"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pets",
        limit_choices_to={"role": "pet_parent"},
    )
    name = models.CharField(max_length=100)
    species = models.CharField(max_length=20, choices=Species, default=Species.DOG)
    breed = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_species_display().lower()})"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.owner_id and self.owner.role != self.owner.Role.PET_PARENT:
            errors["owner"] = "A pet's owner must be a pet parent."
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        if errors:
            raise ValidationError(errors)


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    pet = models.ForeignKey(Pet, on_delete=models.PROTECT, related_name="appointments")
    pet_parent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_as_parent",
        limit_choices_to={"role": "pet_parent"},
    )
    veterinarian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_as_vet",
        limit_choices_to={"role": "veterinarian"},
    )
    starts_at = models.DateTimeField("starts at")
    duration = models.DurationField(default=timedelta(minutes=30))
    status = models.CharField(max_length=20, choices=Status, default=Status.SCHEDULED)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["pet_parent", "starts_at"]),
            models.Index(fields=["veterinarian", "starts_at"]),
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gt=timedelta(0)),
                name="appointment_duration_positive",
            ),
            # What a chat's (appointment, clinic) key refers to: a chat is in its
            # appointment's clinic, and PostgreSQL holds it there (chat 0009).
            models.UniqueConstraint(fields=["id", "clinic"], name="appointment_in_its_clinic"),
        ]

    def __str__(self) -> str:
        if self.clinic_id is None:  # not placed in a clinic yet: the deployment's clock
            local = timezone.localtime(self.starts_at)
        else:
            local = clinic_time(self.starts_at, self.clinic_id)
        return f"{self.pet.name} with {self.veterinarian.display_name}, {local:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.veterinarian_id and self.veterinarian.role != self.veterinarian.Role.VETERINARIAN:
            errors["veterinarian"] = "Choose a user with the veterinarian role."
        elif (
            self.veterinarian_id
            and self.clinic_id
            and not works_at(self.veterinarian_id, self.clinic_id)
        ):
            errors["veterinarian"] = "This veterinarian does not work at the appointment's clinic."
        if self.pet_parent_id and self.pet_parent.role != self.pet_parent.Role.PET_PARENT:
            errors["pet_parent"] = "Choose a user with the pet parent role."
        if self.pet_id and self.pet_parent_id and self.pet.owner_id != self.pet_parent_id:
            errors["pet"] = "This pet belongs to someone else; choose one of the pet parent's pets."
        if self.duration is not None and self.duration <= timedelta(0):
            errors["duration"] = "The duration must be positive."
        if errors:
            raise ValidationError(errors)

    @property
    def ends_at(self):
        return self.starts_at + self.duration

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class AppointmentMember(models.Model):
    """A vet or technician on an appointment's care team: they read and write in its chat."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="care_team_memberships",
        limit_choices_to={"role__in": ["veterinarian", "technician"]},
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = "care team member"
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "user"], name="appointment_member_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "appointment"], name="appointment_member_user")]

    def __str__(self) -> str:
        return f"{self.user} on {self.appointment_id}"

    def clean(self) -> None:
        super().clean()
        if self.user_id and self.user.role not in {"veterinarian", "technician"}:
            raise ValidationError({"user": "Choose a veterinarian or a technician."})
        if (
            self.user_id
            and self.appointment_id
            and self.appointment.veterinarian_id == self.user_id
        ):
            raise ValidationError({"user": "This is the appointment's own veterinarian."})
        if (
            self.user_id
            and self.appointment_id
            and not works_at(self.user_id, self.appointment.clinic_id)
        ):
            raise ValidationError({"user": "They do not work at the appointment's clinic."})


class CoOwnership(models.Model):
    """An invitation to co-own a pet, and once accepted the co-owner's access to its chats.

    Pending while `user` is empty; a co-owner while accepted and not revoked. Revoking ends the
    access at once; the row stays as the record of who could read the pet's chats, and when.
    """

    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name="co_ownerships")
    email = models.EmailField("invited address")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="co_ownerships",
        limit_choices_to={"role": "pet_parent"},
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "co-owner"
        constraints = [
            # One open invitation or co-ownership per pet and address.
            models.UniqueConstraint(
                "pet",
                Lower("email"),
                condition=models.Q(revoked_at__isnull=True),
                name="co_ownership_open_unique",
            ),
        ]
        indexes = [models.Index(fields=["user", "pet"], name="co_ownership_user")]

    def __str__(self) -> str:
        return f"{self.email} for {self.pet}"

    @property
    def is_active(self) -> bool:
        return self.user_id is not None and self.revoked_at is None
