import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


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
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gt=timedelta(0)),
                name="appointment_duration_positive",
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.pet.name} with {self.veterinarian.display_name}, {local:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.veterinarian_id and self.veterinarian.role != self.veterinarian.Role.VETERINARIAN:
            errors["veterinarian"] = "Choose a user with the veterinarian role."
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
