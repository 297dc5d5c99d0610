from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User, display_name, role_label
from appointments.access import appointments_of_participant
from appointments.models import Appointment, CoOwnership, Pet


def appointment_list(*, user: User) -> QuerySet[Appointment]:
    """The user's own appointments with everything a row needs, soonest first."""
    return (
        appointments_of_participant(user)
        .select_related("pet", "pet_parent", "veterinarian")
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class AppointmentGroups:
    today: list[Appointment]
    upcoming: list[Appointment]
    past: list[Appointment]

    @property
    def is_empty(self) -> bool:
        return not (self.today or self.upcoming or self.past)


def appointment_groups(
    *, user: User, now: datetime | None = None, past_limit: int = 20
) -> AppointmentGroups:
    """Today's appointments (clinic time), those after today, and the most recent earlier ones."""
    now = timezone.localtime(now)
    start_of_today = timezone.make_aware(datetime.combine(now.date(), time.min))
    start_of_tomorrow = start_of_today + timedelta(days=1)
    appointments = appointment_list(user=user)
    coming = list(appointments.filter(starts_at__gte=start_of_today))
    return AppointmentGroups(
        today=[a for a in coming if a.starts_at < start_of_tomorrow],
        upcoming=[a for a in coming if a.starts_at >= start_of_tomorrow],
        past=list(
            appointments.filter(starts_at__lt=start_of_today).order_by("-starts_at")[:past_limit]
        ),
    )


@dataclass(frozen=True)
class Person:
    """Someone shown beside an appointment: its care team, the pet's co-owners."""

    user_id: str
    name: str
    label: str  # "Nurse", "Veterinarian", "Co-owner"


def _people(rows: list[dict] | None, label: str | None = None) -> list[Person]:
    return [
        Person(
            str(row["id"]),
            display_name(row["name"], row["email"]),
            label or role_label(row["role"], row["job_title"]),
        )
        for row in rows or ()
    ]


def care_team(appointment: Appointment) -> list[Person]:
    """The care team of an appointment loaded by `access_appointment` (no query)."""
    return _people(getattr(appointment, "team", None))


def co_owners_of(appointment: Appointment) -> list[Person]:
    """The pet's co-owners, of an appointment loaded by `access_appointment` (no query)."""
    return _people(getattr(appointment, "co_owners", None), "Co-owner")


def hand_over_candidates(appointment: Appointment) -> list[User]:
    """The vets an appointment can be handed to."""
    return list(
        User.objects.filter(is_active=True, role=User.Role.VETERINARIAN)
        .exclude(pk=appointment.veterinarian_id)
        .order_by("name", "email")
    )


@dataclass(frozen=True)
class PetCoOwners:
    pet: Pet
    co_owners: list[CoOwnership]  # accepted, not revoked
    pending: list[CoOwnership]  # invited, not yet accepted


def pets_with_co_owners(*, owner: User) -> list[PetCoOwners]:
    """The owner's pets with their co-owners and open invitations, in two queries."""
    pets = list(Pet.objects.filter(owner=owner).order_by("name"))
    open_rows = (
        CoOwnership.objects.filter(pet__owner=owner, revoked_at__isnull=True)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    by_pet: dict[int, list[CoOwnership]] = {}
    for row in open_rows:
        by_pet.setdefault(row.pet_id, []).append(row)
    return [
        PetCoOwners(
            pet,
            [row for row in by_pet.get(pet.pk, []) if row.user_id],
            [row for row in by_pet.get(pet.pk, []) if not row.user_id],
        )
        for pet in pets
    ]
