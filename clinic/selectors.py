"""Reads of a clinic: its settings as one snapshot, whether it is open, red flags in a message,
urgent chats, canned answers. Each takes the clinic's id: every appointment has its clinic."""

import functools
import threading
import time as clock
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from chat.events import MessageCreated
from chat.models import Message
from clinic.hours import OpeningState, opening_state, reopening_text
from clinic.models import CannedAnswer, RedFlagSign, UrgentChat
from clinic.redflags import Match, Matcher, Sign
from tenancy.models import Clinic
from tenancy.zones import forget_clinic_zones, remember_clinic_zone

# Who works in the chats on the clinic's side: they see canned answers and urgent marks, and
# never get an after-hours reply. A new clinical role is one more entry here.
CLINICIAN_ROLES: tuple[str, ...] = (User.Role.VETERINARIAN, User.Role.TECHNICIAN)


def is_clinician(user: User) -> bool:
    return user.is_authenticated and user.role in CLINICIAN_ROLES


@dataclass(frozen=True)
class EmergencyContact:
    label: str
    number: str

    @property
    def tel(self) -> str:
        """The number as a tel: link takes it: digits and a leading +."""
        return "".join(c for c in self.number if c.isdigit() or c == "+")


@dataclass(frozen=True)
class ClinicSnapshot:
    id: int
    name: str
    phone: str
    address: str
    colour: str
    zone: ZoneInfo
    after_hours_reply: str
    spans: dict[int, tuple[tuple[time, time], ...]]
    closures: frozenset[date]
    emergency_numbers: tuple[EmergencyContact, ...]
    matcher: Matcher


def _load(clinic_id: int) -> ClinicSnapshot:
    clinic = (
        Clinic.objects.prefetch_related("spans", "closures", "emergency_numbers")
        .filter(pk=clinic_id)
        .first()
    )
    if clinic is None:
        raise Clinic.DoesNotExist(f"No clinic {clinic_id}.")
    spans: dict[int, list[tuple[time, time]]] = {}
    for span in clinic.spans.all():
        spans.setdefault(span.weekday, []).append((span.opens, span.closes))
    # The clinic's own signs; until it has any, the shared default list.
    own = RedFlagSign.objects.filter(clinic=clinic)
    rows = own if own.exists() else RedFlagSign.objects.filter(clinic__isnull=True)
    signs = [
        Sign(s.name, tuple(line for line in s.phrases.splitlines() if line.strip()), s.species)
        for s in rows.filter(enabled=True)
    ]
    remember_clinic_zone(clinic.pk, clinic.zone)
    return ClinicSnapshot(
        id=clinic.pk,
        name=clinic.name,
        phone=clinic.phone,
        address=clinic.address,
        colour=clinic.colour,
        zone=clinic.zone,
        after_hours_reply=clinic.after_hours_reply,
        spans={day: tuple(each) for day, each in spans.items()},
        closures=frozenset(c.date for c in clinic.closures.all()),
        emergency_numbers=tuple(
            EmergencyContact(n.label, n.number) for n in clinic.emergency_numbers.all()
        ),
        matcher=Matcher(signs),
    )


_cached: dict[int, tuple[float, ClinicSnapshot]] = {}
_lock = threading.Lock()


def clinic_snapshot(clinic_id: int) -> ClinicSnapshot:
    """A clinic's settings, compiled, kept per process for VETCHAT_CLINIC_SETTINGS_SECONDS.

    Every message send reads them (opening hours, red-flag signs): kept, they cost no query. An
    edit in the admin clears this process's copies at once; other processes see it when theirs
    expire.
    """
    ttl = settings.VETCHAT_CLINIC_SETTINGS_SECONDS
    now = clock.monotonic()
    with _lock:
        kept = _cached.get(clinic_id)
        if kept is not None and now - kept[0] < ttl:
            return kept[1]
    snapshot = _load(clinic_id)
    with _lock:
        _cached[clinic_id] = (now, snapshot)
    return snapshot


def forget_clinic_snapshot() -> None:
    with _lock:
        _cached.clear()
    forget_clinic_zones()


def clinic_zone(clinic_id: int) -> ZoneInfo:
    return clinic_snapshot(clinic_id).zone


def hours_set(clinic_id: int) -> bool:
    """Whether staff have set opening hours; until they do, nobody is told the clinic is
    closed and no after-hours reply is sent."""
    return bool(clinic_snapshot(clinic_id).spans)


def opening_now(clinic_id: int, at: datetime | None = None) -> OpeningState:
    clinic = clinic_snapshot(clinic_id)
    return opening_state(
        at or timezone.now(), spans=clinic.spans, closures=clinic.closures, zone=clinic.zone
    )


@dataclass(frozen=True)
class ClosedNotice:
    text: str
    emergency_numbers: tuple[EmergencyContact, ...]


def closed_notice(clinic_id: int, at: datetime | None = None) -> ClosedNotice | None:
    """What a pet parent reads above the composer while the clinic is closed; None while open."""
    at = at or timezone.now()
    state = opening_now(clinic_id, at)
    if state.open or not hours_set(clinic_id):
        return None
    if state.next_open is None:  # every day ahead is a closure
        text = "The clinic is closed."
    else:
        text = "The clinic is closed — replies from " + reopening_text(
            state.next_open, now=at, zone=clinic_zone(clinic_id)
        )
    return ClosedNotice(text, clinic_snapshot(clinic_id).emergency_numbers)


def after_hours_reply_text(clinic_id: int) -> str:
    """The clinic's after-hours reply with its emergency numbers below it."""
    clinic = clinic_snapshot(clinic_id)
    lines = [clinic.after_hours_reply.strip()]
    if clinic.emergency_numbers:
        lines.append("")
        lines.extend(f"{n.label}: {n.number}" for n in clinic.emergency_numbers)
    return "\n".join(lines)


# Red flags -------------------------------------------------------------------------------


def red_flag_of(event: MessageCreated) -> tuple[Match, ...]:
    """The red-flag signs a pet parent's new message speaks of, in the list's order; () none.

    The matcher runs in memory; only a message that matches costs a query (who sent it, what
    species the pet is). Both the urgent mark and the immediate notification ask, once each per
    message: the answer is remembered by message id.
    """
    if not settings.VETCHAT_RED_FLAGS or not event.message.content:
        return ()
    return _red_flag(
        event.message.id,
        event.clinic_id,
        event.appointment_id,
        event.message.sender_id,
        event.message.content,
    )


@functools.lru_cache(maxsize=512)
def _red_flag(
    message_id: UUID, clinic_id: int, appointment_id: UUID, sender_id: UUID, content: str
) -> tuple[Match, ...]:
    matches = clinic_snapshot(clinic_id).matcher.find(content)
    if not matches:
        return ()
    row = (
        Appointment.objects.filter(pk=appointment_id)
        .annotate(sender_role=Subquery(User.objects.filter(pk=sender_id).values("role")[:1]))
        .values_list("pet__species", "sender_role")
        .first()
    )
    if row is None or row[1] != User.Role.PET_PARENT:
        return ()
    species = row[0]
    return tuple(m for m in matches if m.sign.species in ("", species))


@dataclass(frozen=True)
class UrgentAlert:
    sign: str
    seq: int
    flagged_at: datetime
    emergency_numbers: tuple[EmergencyContact, ...]
    phone: str


def _answered(urgent_seq: OuterRef | int) -> Exists:
    """A clinician wrote in the chat after the red-flag message."""
    return Exists(
        Message.objects.filter(
            chat_id=OuterRef("chat_id"), seq__gt=urgent_seq, sender__role__in=CLINICIAN_ROLES
        )
    )


def urgent_alert(*, clinic_id: int, chat_id: int | None) -> UrgentAlert | None:
    """The chat's red flag while no clinician has answered it since; one query."""
    if chat_id is None:
        return None
    row = (
        UrgentChat.objects.filter(chat_id=chat_id)
        .annotate(answered=_answered(OuterRef("seq")))
        .values_list("sign", "seq", "flagged_at", "answered")
        .first()
    )
    if row is None or row[3]:
        return None
    clinic = clinic_snapshot(clinic_id)
    return UrgentAlert(row[0], row[1], row[2], clinic.emergency_numbers, clinic.phone)


def emergency_contacts(clinic_id: int) -> tuple[EmergencyContact, ...]:
    return clinic_snapshot(clinic_id).emergency_numbers


# Canned answers --------------------------------------------------------------------------

PLACEHOLDERS = ("pet", "parent", "vet", "clinic_phone")


def personal_canned_answers(*, user: User) -> QuerySet[CannedAnswer]:
    return CannedAnswer.objects.filter(owner=user)


def shared_canned_answers(*, clinic_ids: Collection[int]) -> QuerySet[CannedAnswer]:
    return CannedAnswer.objects.filter(owner__isnull=True, clinic__in=clinic_ids)


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """{pet}, {parent}, {vet}, {clinic_phone} replaced; any other brace left as typed."""
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values.get(name, ""))
    return text


def canned_answers_for_chat(*, user: User, appointment: Appointment) -> list[dict[str, str]]:
    """The clinician's own canned answers, then the appointment's clinic's, filled for this
    appointment; one query. Nobody else gets any."""
    if not is_clinician(user):
        return []
    values = {
        "pet": appointment.pet.name,
        "parent": appointment.pet_parent.display_name,
        "vet": appointment.veterinarian.display_name,
        "clinic_phone": clinic_snapshot(appointment.clinic_id).phone,
    }
    rows = (
        CannedAnswer.objects.filter(owner=user)
        | CannedAnswer.objects.filter(owner__isnull=True, clinic_id=appointment.clinic_id)
    ).values_list("pk", "title", "body", "owner_id")
    answers = sorted(rows, key=lambda r: (r[3] is None, r[1].lower(), r[0]))
    return [
        {
            "id": f"canned-{pk}",
            "title": title,
            "text": fill_placeholders(body, values),
            "shared": owner is None,
        }
        for pk, title, body, owner in answers
    ]
