"""Each clinic's time zone, the zone every date and time of its appointments is shown in.

The chat's hot paths (the messages GET, the page's messages) name one clinic and need only its
zone: kept per process like the clinic's other settings (`clinic.selectors.clinic_snapshot`,
whose `forget_clinic_snapshot` clears these too), they cost no query. The apps left of `clinic`
read the zone here; `clinic` and the pages may use its snapshot's `zone`, the same value.
"""

import threading
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from tenancy.models import Clinic

_cached: dict[int, tuple[float, ZoneInfo]] = {}
_lock = threading.Lock()


def clinic_zone(clinic_id: int) -> ZoneInfo:
    """The clinic's zone, kept per process for VETCHAT_CLINIC_SETTINGS_SECONDS."""
    now = clock.monotonic()
    with _lock:
        kept = _cached.get(clinic_id)
        if kept is not None and now - kept[0] < settings.VETCHAT_CLINIC_SETTINGS_SECONDS:
            return kept[1]
    name = Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).first()
    if name is None:
        raise Clinic.DoesNotExist(f"No clinic {clinic_id}.")
    zone = ZoneInfo(name)
    with _lock:
        _cached[clinic_id] = (now, zone)
    return zone


def remember_clinic_zone(clinic_id: int, zone: ZoneInfo) -> None:
    """Keep a zone just read with the rest of the clinic (its snapshot), saving a query."""
    with _lock:
        _cached[clinic_id] = (clock.monotonic(), zone)


def forget_clinic_zones() -> None:
    with _lock:
        _cached.clear()


def clinic_time(moment: datetime, clinic_id: int) -> datetime:
    """The moment on the clinic's clock."""
    return timezone.localtime(moment, clinic_zone(clinic_id))


def clinic_today(clinic_id: int, now: datetime | None = None) -> date:
    return clinic_time(now or timezone.now(), clinic_id).date()


@contextmanager
def clinic_clock(clinic_id: int) -> Iterator[ZoneInfo]:
    """Dates and times rendered inside (templates' `date` and `time` filters, `localtime`) are
    the clinic's: for one appointment's page, email or transcript."""
    zone = clinic_zone(clinic_id)
    with timezone.override(zone):
        yield zone
