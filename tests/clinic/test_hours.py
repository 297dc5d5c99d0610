"""Is the clinic open, and when does it next open: across weekdays, spans, closures and DST.
Pure: no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.hours import (
    after_open_time,
    open_periods,
    open_time_between,
    opening_state,
    reopening_text,
)

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = {day: [(time(8), time(12, 30)), (time(13, 30), time(18))] for day in range(5)}
HOURS = {**WEEKDAYS, 5: [(time(9), time(12))]}  # Saturday morning; closed on Sunday


def at(text: str, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def state(moment: datetime, closures=(), spans=HOURS):
    return opening_state(moment, spans=spans, closures=closures, zone=LONDON)


# 2026-12-07 is a Monday.
@pytest.mark.parametrize(
    ("moment", "is_open", "next_open"),
    [
        ("2026-12-07 08:00", True, None),  # opening minute: open
        ("2026-12-07 07:59", False, "2026-12-07 08:00"),
        ("2026-12-07 12:30", False, "2026-12-07 13:30"),  # closing minute: closed (lunch)
        ("2026-12-07 13:00", False, "2026-12-07 13:30"),
        ("2026-12-07 17:59", True, None),
        ("2026-12-07 18:00", False, "2026-12-08 08:00"),
        ("2026-12-11 19:00", False, "2026-12-12 09:00"),  # Friday night → Saturday morning
        ("2026-12-12 12:00", False, "2026-12-14 08:00"),  # Saturday noon → Monday
        ("2026-12-13 10:00", False, "2026-12-14 08:00"),  # Sunday
        ("2026-12-12 10:00", True, None),
    ],
)
def test_weekdays_and_spans(moment, is_open, next_open):
    result = state(at(moment))
    assert result.open is is_open
    assert result.next_open == (at(next_open) if next_open else None)


def test_a_closure_closes_a_weekday_and_the_next_open_day_follows():
    christmas = [date(2026, 12, 24), date(2026, 12, 25)]
    result = state(at("2026-12-24 10:00"), closures=christmas)
    assert not result.open
    assert result.next_open == at("2026-12-26 09:00")  # Saturday
    assert state(at("2026-12-23 19:00"), closures=christmas).next_open == at("2026-12-26 09:00")


def test_no_hours_at_all_means_closed_with_no_opening_ahead():
    result = state(at("2026-12-07 10:00"), spans={})
    assert not result.open
    assert result.next_open is None


def test_every_day_closed_for_longer_than_the_look_ahead_has_no_opening():
    closures = [date.fromordinal(date(2026, 12, 7).toordinal() + n) for n in range(500)]
    assert state(at("2026-12-07 10:00"), closures=closures).next_open is None


def test_hours_are_wall_clock_across_the_spring_change():
    # Europe/London springs forward on Sunday 29 March 2026 at 01:00 UTC.
    spans = {6: [(time(8), time(12))], 0: [(time(8), time(18))]}
    result = state(at("2026-03-28 20:00"), spans=spans)
    assert result.next_open == at("2026-03-29 08:00")
    assert result.next_open.astimezone(UTC) == datetime(2026, 3, 29, 7, tzinfo=UTC)  # BST
    assert state(datetime(2026, 3, 29, 7, 30, tzinfo=UTC), spans=spans).open  # 08:30 BST
    assert not state(datetime(2026, 3, 29, 11, 30, tzinfo=UTC), spans=spans).open  # 12:30 BST


def test_hours_are_wall_clock_across_the_autumn_change():
    # Back to GMT on Sunday 25 October 2026 at 01:00 UTC: 08:00 is then 08:00 UTC.
    spans = {6: [(time(8), time(12))]}
    assert state(at("2026-10-24 20:00"), spans=spans).next_open.astimezone(UTC) == datetime(
        2026, 10, 25, 8, tzinfo=UTC
    )
    assert not state(datetime(2026, 10, 25, 7, 30, tzinfo=UTC), spans=spans).open  # 07:30 GMT


def test_a_moment_in_another_zone_is_read_in_the_clinics():
    # 07:30 in New York on a Monday is 12:30 in London: the lunch break.
    result = state(at("2026-12-07 07:30", ZoneInfo("America/New_York")))
    assert not result.open
    assert result.next_open == at("2026-12-07 13:30")


@pytest.mark.parametrize(
    ("now", "next_open", "text"),
    [
        ("2026-12-07 12:40", "2026-12-07 13:30", "today 13:30"),
        ("2026-12-07 19:00", "2026-12-08 08:00", "tomorrow 08:00"),
        ("2026-12-12 13:00", "2026-12-14 08:00", "Monday 08:00"),
        ("2026-12-23 19:00", "2026-12-30 08:00", "Wednesday 30 December 08:00"),
    ],
)
def test_reopening_text(now, next_open, text):
    assert reopening_text(at(next_open), now=at(now), zone=LONDON) == text


# Business time, as waits are measured: Monday 2026-12-07, lunch 12:30 to 13:30.
@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        ("2026-12-07 09:00", "2026-12-07 10:00", 60),  # within a span
        ("2026-12-07 12:00", "2026-12-07 14:00", 60),  # lunch does not count
        ("2026-12-07 17:30", "2026-12-08 08:30", 60),  # the night does not count
        ("2026-12-05 11:00", "2026-12-07 09:00", 120),  # Saturday's last hour, Monday's first
        ("2026-12-07 10:00", "2026-12-07 09:00", 0),  # an end before the start
    ],
)
def test_open_time_between(start, end, minutes):
    spent = open_time_between(at(start), at(end), spans=HOURS, closures=(), zone=LONDON)
    assert spent == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("start", "minutes", "until"),
    [
        ("2026-12-07 09:00", 30, "2026-12-07 09:30"),
        ("2026-12-07 12:00", 60, "2026-12-07 14:00"),  # across lunch
        ("2026-12-07 17:30", 60, "2026-12-08 08:30"),  # across the night
        ("2026-12-07 19:00", 0, "2026-12-08 08:00"),  # closed: the next opening
        ("2026-12-05 11:30", 60, "2026-12-07 08:30"),  # across Sunday
    ],
)
def test_after_open_time(start, minutes, until):
    moment = after_open_time(
        at(start), timedelta(minutes=minutes), spans=HOURS, closures=(), zone=LONDON
    )
    assert moment == at(until)


def test_a_closure_is_no_business_time():
    closed = [date(2026, 12, 8)]
    assert after_open_time(
        at("2026-12-07 17:30"), timedelta(hours=1), spans=HOURS, closures=closed, zone=LONDON
    ) == at("2026-12-09 08:30")
    assert open_time_between(
        at("2026-12-07 18:00"), at("2026-12-09 09:00"), spans=HOURS, closures=closed, zone=LONDON
    ) == timedelta(hours=1)


def test_touching_spans_are_one_period_and_no_hours_never_open():
    spans = {0: [(time(8), time(12)), (time(12), time(16))]}
    periods = open_periods(at("2026-12-07 07:00"), spans=spans, closures=(), zone=LONDON)
    assert next(periods) == (at("2026-12-07 08:00"), at("2026-12-07 16:00"))
    assert (
        after_open_time(at("2026-12-07 09:00"), timedelta(), spans={}, closures=(), zone=LONDON)
        is None
    )
