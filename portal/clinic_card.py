"""The clinic as an appointment page shows it beside its chat: name, today's hours and the
week's, phone and emergency numbers, all on the clinic's own clock."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from clinic.selectors import ClinicSnapshot, EmergencyContact

EN_DASH = "\u2013"
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class DayHours:
    day: str
    hours: str  # "08:00 to 12:30, 14:00 to 18:00" drawn with en dashes, or "Closed"
    today: bool


@dataclass(frozen=True)
class ClinicCard:
    name: str
    colour: str
    phone: str
    address: str
    time_zone: str
    today: str  # today's hours, or why it is closed today
    week: tuple[DayHours, ...]  # from today on, seven days
    emergency_numbers: tuple[EmergencyContact, ...]
    has_hours: bool


def _hours(spans: tuple[tuple[time, time], ...]) -> str:
    return ", ".join(f"{opens:%H:%M}{EN_DASH}{closes:%H:%M}" for opens, closes in sorted(spans))


def clinic_card(clinic: ClinicSnapshot, at: datetime | None = None) -> ClinicCard:
    """The week ahead from the clinic's today: a closure (a holiday) shows as closed that day."""
    today = timezone.localtime(at or timezone.now(), clinic.zone).date()
    week = []
    for offset in range(7):
        day = today + timedelta(days=offset)
        spans = () if day in clinic.closures else clinic.spans.get(day.weekday(), ())
        hours = _hours(spans) if spans else "Closed"
        label = DAY_NAMES[day.weekday()] if offset else "Today"
        week.append(DayHours(label, hours, offset == 0))
    today_text = "Closed today" if week[0].hours == "Closed" else f"Open today {week[0].hours}"
    return ClinicCard(
        name=clinic.name,
        colour=clinic.colour,
        phone=clinic.phone,
        address=clinic.address,
        time_zone=clinic.zone.key,
        today=today_text,
        week=tuple(week),
        emergency_numbers=clinic.emergency_numbers,
        has_hours=bool(clinic.spans),
    )
