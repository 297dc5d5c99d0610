from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from appointments.access import appointments_of_participant
from appointments.models import Appointment


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
