from datetime import time, timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from clinic.models import Closure, EmergencyNumber, OpeningSpan, RedFlagSign
from tenancy.models import Clinic
from tests.factories import first_clinic

ALL_DAY = (time(0), time(23, 59, 59, 999999))


def set_hours(spans: dict[int, list[tuple[time, time]]], closures=()) -> Clinic:
    clinic = first_clinic()
    OpeningSpan.objects.all().delete()
    Closure.objects.all().delete()
    for weekday, each in spans.items():
        for opens, closes in each:
            OpeningSpan.objects.create(clinic=clinic, weekday=weekday, opens=opens, closes=closes)
    for day in closures:
        Closure.objects.create(clinic=clinic, date=day, reason="Closed")
    from clinic.selectors import forget_clinic_snapshot

    forget_clinic_snapshot()
    return clinic


def closed_now() -> Clinic:
    """Weekday hours 08:00-18:00, with yesterday, today and tomorrow closed: closed whenever
    the test runs, even across midnight."""
    today = timezone.localdate()
    return set_hours(
        {day: [(time(8), time(18))] for day in range(7)},
        closures=[today + timedelta(days=n) for n in (-1, 0, 1)],
    )


def open_now() -> Clinic:
    return set_hours({day: [ALL_DAY] for day in range(7)})


def ensure_clinic_defaults() -> None:
    """The first clinic and the shared default signs as the migrations make them: a
    transactional test's flush empties every table, migrations' rows included."""
    first_clinic()
    if not RedFlagSign.objects.filter(clinic__isnull=True).exists():
        defaults = import_module("clinic.migrations.0002_default_settings_and_red_flag_signs")
        RedFlagSign.objects.bulk_create(
            RedFlagSign(name=name, species=species, phrases="\n".join(phrases), position=position)
            for position, (name, species, phrases) in enumerate(defaults.DEFAULT_SIGNS)
        )
        import_module("clinic.migrations.0003_red_flag_phrases_widened").widen(apps, None)


def furnish_clinic() -> Clinic:
    """Riverside Vets with a phone, an after-hours text and two emergency numbers."""
    ensure_clinic_defaults()
    clinic = first_clinic()
    clinic.name, clinic.phone = "Riverside Vets", "01632 960 001"
    clinic.after_hours_reply = "We are closed; the team answers when we open."
    clinic.save()
    EmergencyNumber.objects.create(
        clinic=clinic, label="Riverside Vets", number="01632 960 001", position=0
    )
    EmergencyNumber.objects.create(
        clinic=clinic, label="City Animal Emergency Hospital", number="01632 960 999", position=1
    )
    return clinic


@pytest.fixture
def clinic(db) -> Clinic:
    return furnish_clinic()
