from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User, display_name, role_label
from appointments.access import appointments_of_participant
from appointments.models import Appointment, CoOwnership, Pet
from tenancy.models import Clinic


def appointment_list(*, user: User) -> QuerySet[Appointment]:
    """The user's own appointments with everything a row needs, soonest first."""
    return (
        appointments_of_participant(user)
        .select_related("pet", "pet_parent", "veterinarian", "clinic")
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
    """Today's appointments, those after today, and the most recent earlier ones; each
    appointment's "today" is its clinic's day, in the clinic's time zone."""
    now = now or timezone.now()
    # Wherever a clinic is, its day began less than a day ago: what started before then is
    # past for every clinic; what started since is sorted by its own clinic's day.
    earliest_day_start = now - timedelta(days=1)
    appointments = appointment_list(user=user)
    today: list[Appointment] = []
    upcoming: list[Appointment] = []
    recent: list[Appointment] = []
    for appointment in appointments.filter(starts_at__gte=earliest_day_start):
        day = timezone.localtime(appointment.starts_at, appointment.clinic.zone).date()
        clinic_today = timezone.localtime(now, appointment.clinic.zone).date()
        if day == clinic_today:
            today.append(appointment)
        elif day > clinic_today:
            upcoming.append(appointment)
        else:
            recent.append(appointment)
    earlier = appointments.filter(starts_at__lt=earliest_day_start).order_by("-starts_at")
    return AppointmentGroups(
        today=today,
        upcoming=upcoming,
        past=[*reversed(recent), *earlier[:past_limit]][:past_limit],
    )


@dataclass(frozen=True)
class ClinicGroups:
    """One clinic's part of a list: its today, upcoming and past appointments."""

    clinic: Clinic
    groups: AppointmentGroups


def groups_by_clinic(groups: AppointmentGroups) -> list[ClinicGroups]:
    """The list split by clinic (no query: the rows hold their clinic), clinics by name."""
    clinics: dict[int, Clinic] = {}
    for appointment in [*groups.today, *groups.upcoming, *groups.past]:
        clinics.setdefault(appointment.clinic_id, appointment.clinic)

    def of(rows: list[Appointment], clinic_id: int) -> list[Appointment]:
        return [a for a in rows if a.clinic_id == clinic_id]

    return [
        ClinicGroups(
            clinic,
            AppointmentGroups(
                today=of(groups.today, clinic.pk),
                upcoming=of(groups.upcoming, clinic.pk),
                past=of(groups.past, clinic.pk),
            ),
        )
        for clinic in sorted(clinics.values(), key=lambda c: (c.name.casefold(), c.pk))
    ]


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


# Who may be put on a care team; only vets may be handed an appointment.
TEAM_ROLES = (User.Role.VETERINARIAN, User.Role.TECHNICIAN)


def clinic_colleagues(*, clinic_id: int, roles: Collection[str]) -> QuerySet[User]:
    """Active accounts of these roles who work at the clinic: the only people an appointment's
    care team and hand-over may choose from, since a chat never leaves its clinic."""
    return User.objects.filter(
        is_active=True, role__in=roles, clinic_memberships__clinic_id=clinic_id
    ).order_by("name", "email")


def hand_over_candidates(appointment: Appointment) -> list[User]:
    """The vets of the appointment's clinic it can be handed to."""
    vets = clinic_colleagues(clinic_id=appointment.clinic_id, roles=[User.Role.VETERINARIAN])
    return list(vets.exclude(pk=appointment.veterinarian_id))


def team_candidates(appointment: Appointment) -> list[User]:
    """The vets and technicians of the appointment's clinic who could join its care team."""
    taken = {appointment.veterinarian_id, *appointment.team_vet_ids, *appointment.technician_ids}
    colleagues = clinic_colleagues(clinic_id=appointment.clinic_id, roles=TEAM_ROLES)
    return [user for user in colleagues if user.pk not in taken]


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
