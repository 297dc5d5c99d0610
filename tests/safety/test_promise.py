"""The reply-time promise and the safe-wait guard, pure: the moment, the hours and the team's
workload passed in."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from safety.promise import (
    Basis,
    Promise,
    Workload,
    guard_text,
    preview_text,
    promise_text,
    reply_promise,
    safe_wait_check,
    wait_text,
)

ZONE = ZoneInfo("Europe/London")
# Weekdays 08:00-12:30 and 13:30-18:00 (lunch between), Saturday 09:00-12:00.
WEEKDAY = ((time(8), time(12, 30)), (time(13, 30), time(18)))
SPANS = {**{day: WEEKDAY for day in range(5)}, 5: ((time(9), time(12)),)}
# Tuesday 2 June 2026 is a holiday.
CLOSURES = frozenset({date(2026, 6, 2)})
ONE = Workload(queue_ahead=0, members=1, minutes_per_reply=20)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in June 2026 on the clinic's clock (1 June is a Monday)."""
    return datetime(2026, 6, day, hour, minute, tzinfo=ZONE)


def promise(now: datetime, workload: Workload = ONE, **options) -> Promise | None:
    return reply_promise(
        now=now, spans=SPANS, closures=CLOSURES, zone=ZONE, workload=workload, **options
    )


@pytest.mark.parametrize(
    ("now", "workload", "basis", "expected"),
    [
        # Open: the message's own reply after the queue ahead, shared by the pool's members.
        (at(1, 10), ONE, Basis.OPEN, at(1, 10, 20)),
        (at(1, 10), Workload(2, 3, 20), Basis.OPEN, at(1, 10, 20)),
        (at(1, 10), Workload(5, 2, 20), Basis.OPEN, at(1, 11)),
        (at(1, 10), Workload(3, 0, 20), Basis.OPEN, at(1, 11, 20)),  # nobody: one counted
        # Lunch is not open time: 10 minutes before it, 10 after.
        (at(1, 12, 20), ONE, Basis.OPEN, at(1, 13, 40)),
        # At lunch: from the afternoon's opening.
        (at(1, 13), ONE, Basis.CLOSED, at(1, 13, 50)),
        # Closed in the evening, the next day a holiday: from Wednesday's opening.
        (at(1, 19), ONE, Basis.CLOSED, at(3, 8, 20)),
        # Friday evening: Saturday morning; Saturday's last minutes run on into Monday.
        (at(5, 19), ONE, Basis.CLOSED, at(6, 9, 20)),
        (at(6, 11, 50), ONE, Basis.OPEN, at(8, 8, 10)),
        # A long queue runs across the evening into the next day.
        (at(4, 17), Workload(5, 1, 20), Basis.OPEN, at(5, 9)),
    ],
)
def test_the_promise_counts_the_queue_in_open_time(now, workload, basis, expected):
    assert promise(now, workload) == Promise(basis, expected)


def test_a_red_flag_while_someone_is_on_call_is_answered_within_the_ack_minutes():
    now = at(1, 23)
    assert promise(now, paged_within=timedelta(minutes=10)) == Promise(
        Basis.ON_CALL, now + timedelta(minutes=10)
    )


def test_without_opening_hours_nothing_is_promised():
    assert reply_promise(now=at(1, 10), spans={}, closures=(), zone=ZONE, workload=ONE) is None


def test_a_clinic_that_never_opens_again_promises_no_time():
    mondays = {date(2026, 6, 1) + timedelta(weeks=n) for n in range(60)}
    assert reply_promise(
        now=at(1, 7), spans={0: WEEKDAY}, closures=mondays, zone=ZONE, workload=ONE
    ) == Promise(Basis.NEVER, None)


@pytest.mark.parametrize(
    ("now", "expected", "words"),
    [
        (at(1, 10), at(1, 14, 30), "Reply expected by 14:30"),
        (at(1, 19), at(2, 8, 20), "Reply expected by tomorrow 08:20"),
        (at(5, 19), at(8, 8, 20), "Reply expected by Monday 08:20"),
    ],
)
def test_the_promise_in_words_on_the_clinics_clock(now, expected, words):
    assert promise_text(Promise(Basis.OPEN, expected), now=now, zone=ZONE) == words


def test_the_clock_is_the_clinics_whatever_the_servers():
    now = datetime(2026, 6, 1, 9, tzinfo=UTC)  # 10:00 in London (summer time)
    expected = datetime(2026, 6, 1, 13, 30, tzinfo=UTC)
    assert preview_text(Promise(Basis.OPEN, expected), now=now, zone=ZONE) == (
        "If you send now, expect a reply by 14:30"
    )


# The guard -------------------------------------------------------------------------------

FOUR_HOURS = timedelta(hours=4)


def test_the_guard_fires_when_the_wait_is_longer_than_the_categorys_safe_wait():
    now = at(1, 19)
    answer = promise(now)  # Wednesday 08:20: 37 h 20 min away
    check = safe_wait_check(promise=answer, now=now, category_wait=FOUR_HOURS)
    assert check.fired and check.reason == "category" and check.safe_wait == FOUR_HOURS
    assert guard_text(check, answer, category="medical", now=now, zone=ZONE) == (
        "We cannot reply before Wednesday 08:20, longer than is safe to wait for a medical "
        "question (4 hours)."
    )


def test_the_guard_stays_quiet_within_the_safe_wait():
    now = at(1, 10)
    answer = promise(now, Workload(5, 2, 20))  # an hour
    check = safe_wait_check(promise=answer, now=now, category_wait=FOUR_HOURS)
    assert not check.fired
    assert guard_text(check, answer, category="medical", now=now, zone=ZONE) == ""


def test_a_red_flag_signs_shorter_safe_wait_fires_where_the_category_would_not():
    now = at(1, 10)
    answer = promise(now)  # 20 minutes
    signs = {"Seizure or fitting": timedelta(minutes=15), "Vomiting": timedelta(hours=2)}
    check = safe_wait_check(promise=answer, now=now, category_wait=FOUR_HOURS, sign_waits=signs)
    assert check.fired and check.reason == "red_flag" and check.sign == "Seizure or fitting"
    assert guard_text(check, answer, category="medical", now=now, zone=ZONE) == (
        "We cannot reply before 10:20, longer than is safe to wait with signs like seizure or "
        "fitting (15 minutes)."
    )


def test_someone_on_call_changes_the_answer_for_a_red_flag_at_night():
    now, signs = at(1, 23), {"Collapse": timedelta(minutes=15)}
    alone = safe_wait_check(
        promise=promise(now), now=now, category_wait=FOUR_HOURS, sign_waits=signs
    )
    on_call = promise(now, paged_within=timedelta(minutes=10))
    paged = safe_wait_check(promise=on_call, now=now, category_wait=FOUR_HOURS, sign_waits=signs)
    assert alone.fired and not paged.fired


def test_no_hours_never_fires_and_never_opening_always_does():
    now = at(1, 10)
    assert not safe_wait_check(promise=None, now=now, category_wait=FOUR_HOURS).fired
    never = Promise(Basis.NEVER, None)
    check = safe_wait_check(promise=never, now=now, category_wait=FOUR_HOURS)
    assert check.fired
    assert guard_text(check, never, category="billing", now=now, zone=ZONE).startswith(
        "We cannot say when we can reply, longer than is safe to wait for a question about billing"
    )


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (15, "15 minutes"),
        (60, "1 hour"),
        (240, "4 hours"),
        (1440, "1 day"),
        (3240, "2 days 6 hours"),
    ],
)
def test_safe_waits_in_words(minutes, words):
    assert wait_text(timedelta(minutes=minutes)) == words
