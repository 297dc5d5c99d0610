"""Is the clinic open at a moment, when does it next open, and how much open (business) time
lies between two moments? Pure: no database, no clock.

Hours are wall-clock times in the clinic's time zone, so 08:00 stays 08:00 across a daylight
saving change; a closure takes a whole local date out, whatever its weekday's spans.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Farther than any closure list plausibly reaches; beyond it the clinic "never opens".
LOOK_AHEAD_DAYS = 400

Spans = Mapping[int, Iterable[tuple[time, time]]]  # weekday (Monday 0) → (opens, closes)


@dataclass(frozen=True)
class OpeningState:
    open: bool
    # While closed: when it next opens (None: no opening hours ahead). While open: None.
    next_open: datetime | None = None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A wall time the clock skips (02:30 on the spring change) is read as the later offset,
    # as zoneinfo does for fold=0; comparisons go through UTC.
    return datetime.combine(day, at, tzinfo=zone)


def opening_state(
    at: datetime, *, spans: Spans, closures: Iterable[date], zone: ZoneInfo
) -> OpeningState:
    """Whether the clinic is open at `at` (an aware moment) and, if not, when it next opens."""
    closed_days = frozenset(closures)
    by_day = {day: sorted(each) for day, each in spans.items()}
    local = at.astimezone(zone)
    today = local.date()
    if today not in closed_days:
        for opens, closes in by_day.get(today.weekday(), ()):
            if _local(today, opens, zone) <= at < _local(today, closes, zone):
                return OpeningState(open=True)
    for offset in range(LOOK_AHEAD_DAYS):
        day = today + timedelta(days=offset)
        if day in closed_days:
            continue
        for opens, _ in by_day.get(day.weekday(), ()):
            moment = _local(day, opens, zone)
            if moment > at:
                return OpeningState(open=False, next_open=moment)
    return OpeningState(open=False)


def open_periods(
    start: datetime, *, spans: Spans, closures: Iterable[date], zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """The clinic's open periods from `start` on, in order, the first cut to begin at `start`;
    spans that touch or overlap are one period. Ends within LOOK_AHEAD_DAYS."""
    closed_days = frozenset(closures)
    by_day = {day: sorted(each) for day, each in spans.items()}
    first = start.astimezone(zone).date()
    current: tuple[datetime, datetime] | None = None
    for offset in range(LOOK_AHEAD_DAYS):
        day = first + timedelta(days=offset)
        if day in closed_days:
            continue
        for opens, closes in by_day.get(day.weekday(), ()):
            begin, end = max(_local(day, opens, zone), start), _local(day, closes, zone)
            if end <= begin:
                continue
            if current is not None and begin <= current[1]:
                current = (current[0], max(current[1], end))
                continue
            if current is not None:
                yield current
            current = (begin, end)
    if current is not None:
        yield current


def open_time_between(
    start: datetime, end: datetime, *, spans: Spans, closures: Iterable[date], zone: ZoneInfo
) -> timedelta:
    """How much of [start, end) the clinic is open: business time, as a wait is measured."""
    total = timedelta()
    if end <= start:
        return total
    for opens, closes in open_periods(start, spans=spans, closures=closures, zone=zone):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def after_open_time(
    start: datetime,
    duration: timedelta,
    *,
    spans: Spans,
    closures: Iterable[date],
    zone: ZoneInfo,
) -> datetime | None:
    """The moment `duration` of open time after `start` has passed (None: the clinic never
    opens for that long ahead). A zero duration while closed is the next opening."""
    left = duration
    for opens, closes in open_periods(start, spans=spans, closures=closures, zone=zone):
        if opens + left <= closes:
            return opens + left
        left -= closes - opens
    return None


def reopening_text(next_open: datetime, *, now: datetime, zone: ZoneInfo) -> str:
    """ "Monday 08:00", "today 14:00", "tomorrow 08:00"; with the date when a week or more away."""
    local, today = next_open.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days < 7:
        return f"{local:%A} {clock}"
    return f"{local:%A} {local.day} {local:%B} {clock}"
