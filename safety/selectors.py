"""Reads of reply times and safe waits: a clinic's settings (defaults without rows), the
promise for a chat at a moment, the promises stored for a page of messages."""

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Exists, OuterRef

from accounts.models import User
from chat.models import Message
from clinic.models import RedFlagSign
from clinic.selectors import ClinicSnapshot, clinic_snapshot
from safety import inputs
from safety.models import MessagePromise, ReplySettings, SafeWait
from safety.promise import (
    MINUTES_PER_REPLY,
    SAFE_WAIT_MINUTES,
    Promise,
    SafeWaitCheck,
    Workload,
    reply_promise,
    safe_wait_check,
)
from triage.categories import Category


@dataclass(frozen=True)
class EmergencyClinic:
    name: str
    address: str
    phone: str

    @property
    def tel(self) -> str:
        return "".join(c for c in self.phone if c.isdigit() or c == "+")


@dataclass(frozen=True)
class ReplyTimes:
    minutes_per_reply: int
    safe_waits: dict[str, int]  # category → minutes, every category
    emergency_clinic: EmergencyClinic | None  # None: none set

    def safe_wait(self, category: str) -> timedelta:
        return timedelta(minutes=self.safe_waits.get(category, SAFE_WAIT_MINUTES[Category.OTHER]))


def _load(clinic_id: int) -> ReplyTimes:
    row = ReplySettings.objects.filter(pk=clinic_id).first()
    waits = dict(SAFE_WAIT_MINUTES)
    waits.update(SafeWait.objects.filter(clinic_id=clinic_id).values_list("category", "minutes"))
    clinic = None
    if row is not None and (row.emergency_clinic_name or row.emergency_clinic_phone):
        clinic = EmergencyClinic(
            row.emergency_clinic_name, row.emergency_clinic_address, row.emergency_clinic_phone
        )
    return ReplyTimes(
        minutes_per_reply=row.minutes_per_reply if row is not None else MINUTES_PER_REPLY,
        safe_waits=waits,
        emergency_clinic=clinic,
    )


_cached: dict[int, tuple[ClinicSnapshot, ReplyTimes]] = {}
_lock = threading.Lock()


def reply_times(clinic_id: int) -> ReplyTimes:
    """A clinic's reply settings, kept as long as its `clinic_snapshot` is: every send and every
    appointment page reads them, and an edit in the admin clears both (`ForgetsSnapshot`)."""
    snapshot = clinic_snapshot(clinic_id)
    with _lock:
        kept = _cached.get(clinic_id)
    if kept is not None and kept[0] is snapshot:
        return kept[1]
    times = _load(clinic_id)
    with _lock:
        _cached[clinic_id] = (snapshot, times)
    return times


def sign_safe_waits(clinic_id: int, names: Collection[str]) -> dict[str, timedelta]:
    """The safe wait of each red-flag sign named (the clinic's own, else the shared list's, as
    the matcher reads them); one query, only when there are names."""
    if not names:
        return {}
    rows = RedFlagSign.objects.filter(clinic_id=clinic_id, name__in=names).values_list(
        "name", "safe_wait_minutes"
    )
    found = dict(rows)
    if not found:
        shared = RedFlagSign.objects.filter(clinic__isnull=True, name__in=names)
        found = dict(shared.values_list("name", "safe_wait_minutes"))
    return {name: timedelta(minutes=minutes) for name, minutes in found.items()}


@dataclass(frozen=True)
class PromiseAnswer:
    category: str
    promise: Promise | None
    check: SafeWaitCheck
    on_call: bool  # someone is on call (asked only for a red flag or when the guard fires)


def promise_for(
    *,
    clinic_id: int,
    chat_id: int | None,
    at: datetime,
    category: str | None = None,
    sign_waits: dict[str, timedelta] | None = None,
) -> PromiseAnswer:
    """The promise for a family message sent at `at`: its category (as given, else the chat's
    route's, else "other"), red-flag signs' safe waits when it raised any."""
    clinic, times = clinic_snapshot(clinic_id), reply_times(clinic_id)
    load = inputs.route_load(chat_id)
    category = category or load.category or Category.OTHER
    # Only a red flag pages the clinician on call; who is on call is asked only then, or when
    # the guard fires (it points to them).
    paged = inputs.paged_within(clinic_id, at) if sign_waits else None
    promise = reply_promise(
        now=at,
        spans=clinic.spans,
        closures=clinic.closures,
        zone=clinic.zone,
        workload=Workload(load.queue_ahead, load.members, times.minutes_per_reply),
        paged_within=paged,
    )
    check = safe_wait_check(
        promise=promise,
        now=at,
        category_wait=times.safe_wait(category),
        sign_waits=sign_waits,
    )
    on_call = paged is not None or (
        check.fired and not sign_waits and inputs.paged_within(clinic_id, at) is not None
    )
    return PromiseAnswer(category, promise, check, on_call)


@dataclass(frozen=True)
class StoredPromise:
    message_id: UUID
    clinic_id: int
    made_at: datetime
    category: str
    basis: str
    expected_by: datetime | None
    safe_wait: timedelta
    red_flags: str
    on_call: bool
    guard_fired: bool
    guard_reason: str
    answered: bool  # someone of the clinic wrote after it


def stored_promises(chat_id: int, message_ids: Iterable[UUID | str]) -> dict[str, StoredPromise]:
    """The promises of these messages, by message id, each with whether the clinic has answered
    since; one query."""
    answered = Exists(
        Message.objects.filter(chat_id=chat_id, seq__gt=OuterRef("seq"))
        .exclude(message_type=Message.Type.SYSTEM)
        .exclude(sender__role=User.Role.PET_PARENT)
    )
    rows = (
        MessagePromise.objects.filter(chat_id=chat_id, message_id__in=list(message_ids))
        .annotate(answered=answered)
        .order_by()
    )
    return {
        str(row.message_id): StoredPromise(
            message_id=row.message_id,
            clinic_id=row.clinic_id,
            made_at=row.made_at,
            category=row.category,
            basis=row.basis,
            expected_by=row.expected_by,
            safe_wait=timedelta(minutes=row.safe_wait_minutes),
            red_flags=row.red_flags,
            on_call=row.on_call,
            guard_fired=row.guard_fired,
            guard_reason=row.guard_reason,
            answered=row.answered,
        )
        for row in rows
    }
