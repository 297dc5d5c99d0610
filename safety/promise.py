"""When can a family expect a reply, and is that longer than is safe to wait? Pure: the moment,
the clinic's hours and the team's workload are passed in; no database, no clock.

The rule, in order:
1. A red-flag message while someone is on call: the clinician on call is paged and must
   acknowledge within the ack minutes, so a reply is expected by now + those minutes.
2. No opening hours at all: no promise (nobody can say; the red-flag advice still shows).
3. Otherwise the team works through the pool's queue in open time: the message waits for
   `(messages ahead + 1) * minutes per reply / max(1, members of the pool)` of open time,
   counted from now while open, or from the next opening while closed (lunch breaks and
   closures are skipped, as `clinic.hours.after_open_time` counts). A clinic that does not
   open within the look-ahead promises nothing by when ("never"), which the guard treats as
   too long.

The guard compares the real time from now to the expected reply with the safe wait: the
category's, or a red-flag sign's when that is shorter (the shortest of the message's signs).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.hours import Spans, after_open_time, opening_state, reopening_text
from triage.categories import Category

# Shipped defaults; a clinic's settings override them (`safety.models`).
MINUTES_PER_REPLY = 20
SAFE_WAIT_MINUTES: dict[str, int] = {
    Category.MEDICAL: 4 * 60,
    Category.MEDICATION: 24 * 60,
    Category.APPOINTMENT: 48 * 60,
    Category.BILLING: 72 * 60,
    Category.OTHER: 48 * 60,
}

# What a question of each category is called in the guard's sentence.
QUESTION_WORDS: dict[str, str] = {
    Category.MEDICAL: "a medical question",
    Category.MEDICATION: "a question about medication",
    Category.APPOINTMENT: "a question about an appointment",
    Category.BILLING: "a question about billing",
    Category.OTHER: "this question",
}


class Basis:
    OPEN = "open"
    CLOSED = "closed"
    ON_CALL = "on_call"
    NEVER = "never"


@dataclass(frozen=True)
class Promise:
    basis: str  # a Basis value
    expected_by: datetime | None  # None only for Basis.NEVER


@dataclass(frozen=True)
class Workload:
    queue_ahead: int  # messages of the pool waiting before this one
    members: int  # who answers the pool's messages
    minutes_per_reply: int


def reply_promise(
    *,
    now: datetime,
    spans: Spans,
    closures: Iterable[date],
    zone: ZoneInfo,
    workload: Workload,
    paged_within: timedelta | None = None,
) -> Promise | None:
    """When a reply to a message sent at `now` can be expected (None: no opening hours).
    `paged_within`: the message raised a red flag while someone is on call, who must
    acknowledge the page within that time."""
    if paged_within is not None:
        return Promise(Basis.ON_CALL, now + paged_within)
    if not spans:
        return None
    minutes = (workload.queue_ahead + 1) * workload.minutes_per_reply / max(1, workload.members)
    expected = after_open_time(
        now, timedelta(minutes=minutes), spans=spans, closures=closures, zone=zone
    )
    if expected is None:
        return Promise(Basis.NEVER, None)
    is_open = opening_state(now, spans=spans, closures=closures, zone=zone).open
    return Promise(Basis.OPEN if is_open else Basis.CLOSED, expected)


@dataclass(frozen=True)
class SafeWaitCheck:
    safe_wait: timedelta
    reason: str  # "category", or "red_flag" when a sign's wait is the shortest
    sign: str  # the sign whose wait it is ("" for the category's)
    fired: bool  # the expected wait is longer than the safe wait


def safe_wait_check(
    *,
    promise: Promise | None,
    now: datetime,
    category_wait: timedelta,
    sign_waits: Mapping[str, timedelta] | None = None,
) -> SafeWaitCheck:
    """Whether the expected wait, in real time from `now`, is longer than is safe. No promise
    (no opening hours) never fires: the wait is unknown, not long."""
    safe, reason, sign = category_wait, "category", ""
    for name, wait in (sign_waits or {}).items():
        if wait < safe:
            safe, reason, sign = wait, "red_flag", name
    if promise is None:
        fired = False
    elif promise.expected_by is None:
        fired = True
    else:
        fired = promise.expected_by - now > safe
    return SafeWaitCheck(safe, reason, sign, fired)


# Words ------------------------------------------------------------------------------------


def moment_text(moment: datetime, *, now: datetime, zone: ZoneInfo) -> str:
    """ "14:30" today on the clinic's clock; "tomorrow 08:20", "Monday 08:20" later."""
    if moment.astimezone(zone).date() == now.astimezone(zone).date():
        return moment.astimezone(zone).strftime("%H:%M")
    return reopening_text(moment, now=now, zone=zone)


def promise_text(promise: Promise, *, now: datetime, zone: ZoneInfo) -> str:
    """ "Reply expected by 14:30" (the clinic's clock), or why none can be expected."""
    if promise.expected_by is None:
        return "The clinic has no opening hours ahead: no reply time can be promised"
    return "Reply expected by " + moment_text(promise.expected_by, now=now, zone=zone)


def preview_text(promise: Promise | None, *, now: datetime, zone: ZoneInfo) -> str:
    """The composer's line: "If you send now, expect a reply by 14:30"."""
    if promise is None:
        return ""
    if promise.expected_by is None:
        return "If you send now, no reply time can be promised: the clinic has no hours ahead."
    return "If you send now, expect a reply by " + moment_text(
        promise.expected_by, now=now, zone=zone
    )


def wait_text(wait: timedelta) -> str:
    """ "15 minutes", "4 hours", "1 day", "2 days 6 hours"."""
    minutes = int(wait.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "0 minutes"


def guard_text(
    check: SafeWaitCheck,
    promise: Promise | None,
    *,
    category: str,
    now: datetime,
    zone: ZoneInfo,
) -> str:
    """ "We cannot reply before tomorrow 08:20, longer than is safe to wait for a medical
    question (4 hours)." or "" when the guard did not fire."""
    if not check.fired or promise is None:
        return ""
    if promise.expected_by is None:
        opening = "We cannot say when we can reply"
    else:
        opening = "We cannot reply before " + moment_text(promise.expected_by, now=now, zone=zone)
    if check.reason == "red_flag":
        what = f"with signs like {check.sign.lower()}"
    else:
        what = "for " + QUESTION_WORDS.get(category, QUESTION_WORDS[Category.OTHER])
    return f"{opening}, longer than is safe to wait {what} ({wait_text(check.safe_wait)})."
