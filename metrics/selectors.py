"""How a clinic is doing: its family questions' first replies, urgent chats, its inbox, week
by week on the clinic's clock and business hours.

A constant number of queries whatever the number of messages: one read of the weeks' messages
(one pass in memory), one of where each of their chats stood before, one per figure beside.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median
from uuid import UUID

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User, display_name
from appointments.participants import FAMILY_ROLES
from chat.models import Chat, Message, ReadState
from clinic.hours import open_time_between
from clinic.models import UrgentChat
from clinic.selectors import clinic_snapshot
from metrics.models import DEFAULT_LATE_GOAL, ReplyGoal
from metrics.questions import (
    BusinessTime,
    Group,
    Question,
    Said,
    Summary,
    grouped,
    questions_of,
    summary_of,
)
from oncall.models import Page
from tenancy.models import Clinic
from triage.models import ChatRoute
from vetchat.errors import NotFound

WEEKS_CHARTED = 8


def clinic_of_member(*, user: User, clinic_id: int) -> Clinic:
    """The clinic, for someone who works there (its vets, technicians and staff; platform
    superusers work at every clinic); anyone else learns nothing of it, not even that it
    exists."""
    clinic = Clinic.objects.filter(pk=clinic_id).first() if user.works_at(clinic_id) else None
    if clinic is None:
        raise NotFound("No such clinic.")
    return clinic


def clinics_of_member(*, user: User) -> list[Clinic]:
    """The clinics one works at, by name; none for a pet parent (a 404, as for a stranger)."""
    ids = user.clinic_ids
    found = list(Clinic.objects.filter(pk__in=ids).order_by("name", "pk")) if ids else []
    if not found:
        raise NotFound("No such clinic.")
    return found


def reply_goal(*, clinic_id: int) -> Decimal:
    """The share (percent) of questions the clinic accepts answered late."""
    goal = ReplyGoal.objects.filter(clinic_id=clinic_id).values_list("late_share", flat=True)
    return next(iter(goal), DEFAULT_LATE_GOAL)


def week_start(moment: datetime, *, clinic_id: int) -> datetime:
    """Monday 00:00 of `moment`'s week, on the clinic's clock."""
    zone = clinic_snapshot(clinic_id).zone
    day = moment.astimezone(zone).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)


def business_time_of(clinic_id: int) -> BusinessTime:
    """The clinic's open time between two moments; every moment counts until it sets hours
    (until then it is never closed to anyone either: `clinic.selectors.hours_set`)."""
    clinic = clinic_snapshot(clinic_id)
    if not clinic.spans:
        return lambda start, end: max(end - start, timedelta())

    def between(start: datetime, end: datetime) -> timedelta:
        return open_time_between(
            start, end, spans=clinic.spans, closures=clinic.closures, zone=clinic.zone
        )

    return between


def questions_since(*, clinic_id: int, start: datetime, now: datetime) -> list[Question]:
    """The family questions asked in [start, now) with their first replies; two queries."""
    people = Message.objects.filter(clinic_id=clinic_id).exclude(message_type=Message.Type.SYSTEM)
    rows = (
        people.filter(created_at__gte=start, created_at__lt=now)
        .order_by("chat_id", "seq")
        .values_list("chat_id", "seq", "created_at", "sender__role", "sender_id")
    )
    said = [
        Said(chat_id, seq, at, role in FAMILY_ROLES, sender)
        for chat_id, seq, at, role, sender in rows
    ]
    chat_ids = {s.chat_id for s in said}
    before = people.filter(chat_id=OuterRef("pk"), created_at__lt=start).order_by("-seq")
    earlier = (
        Chat.objects.filter(pk__in=chat_ids)
        .annotate(role=Subquery(before.values("sender__role")[:1]))
        .values_list("pk", "role")
        if chat_ids
        else []
    )
    return questions_of(
        said,
        family_wrote_last={pk: role in FAMILY_ROLES for pk, role in earlier},
        now=now,
        business_time=business_time_of(clinic_id),
    )


@dataclass(frozen=True)
class Person:
    id: UUID
    name: str


def people_named(ids: set[UUID]) -> dict[UUID, Person]:
    rows = User.objects.filter(pk__in=ids).values_list("pk", "name", "email") if ids else []
    return {pk: Person(pk, display_name(name, email)) for pk, name, email in rows}


@dataclass(frozen=True)
class UrgentRow:
    appointment_id: UUID
    pet_name: str
    sign: str
    flagged_at: datetime
    acknowledged_at: datetime | None

    @property
    def minutes_to_acknowledge(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.flagged_at).total_seconds() / 60


def urgent_chats(*, clinic_id: int, start: datetime, now: datetime) -> list[UrgentRow]:
    """Chats flagged urgent in [start, now), latest first, each with the first acknowledgement
    of a page about it after its flag; one query."""
    acknowledged = Page.objects.filter(
        chat_id=OuterRef("chat_id"),
        paged_at__gte=OuterRef("flagged_at"),
        acknowledged_at__isnull=False,
    ).order_by("acknowledged_at")
    rows = (
        UrgentChat.objects.filter(clinic_id=clinic_id, flagged_at__gte=start, flagged_at__lt=now)
        .annotate(acknowledged_at=Subquery(acknowledged.values("acknowledged_at")[:1]))
        .order_by("-flagged_at")
        .values_list(
            "chat__appointment_id",
            "chat__appointment__pet__name",
            "sign",
            "flagged_at",
            "acknowledged_at",
        )
    )
    return [UrgentRow(*row) for row in rows]


def pools_of(chat_ids: set[int]) -> dict[int, str]:
    """Each routed chat's pool name (`triage.ChatRoute`); "" for one kept by a vet."""
    if not chat_ids:
        return {}
    rows = ChatRoute.objects.filter(chat_id__in=chat_ids).values_list("chat_id", "pool__name")
    return {chat_id: name or "" for chat_id, name in rows}


@dataclass(frozen=True)
class Inbox:
    """Where the clinic's chats stand now. New: the family wrote last and nobody on the
    clinic's side has read it; opened: read, not answered; answered: the clinic's side wrote
    last, this week."""

    new: int
    opened: int
    answered: int


def inbox_now(*, clinic_id: int, since: datetime) -> Inbox:
    """One query over the clinic's chats."""
    people = Message.objects.exclude(message_type=Message.Type.SYSTEM).filter(
        chat_id=OuterRef("pk")
    )
    latest = people.order_by("-seq")
    clinic_read = (
        ReadState.objects.filter(chat_id=OuterRef("pk"))
        .exclude(user__role__in=FAMILY_ROLES)
        .order_by()
        .values("chat_id")
        .annotate(seq=Max("last_read_seq"))
        .values("seq")
    )
    family_last = Q(latest_role__in=FAMILY_ROLES)
    counts = (
        Chat.objects.filter(clinic_id=clinic_id, last_seq__gt=0)
        .annotate(
            latest_seq=Subquery(latest.values("seq")[:1]),
            latest_role=Subquery(latest.values("sender__role")[:1]),
            latest_at=Subquery(latest.values("created_at")[:1]),
            read_seq=Coalesce(Subquery(clinic_read), 0),
        )
        .filter(latest_seq__isnull=False)
        .aggregate(
            new=Count("pk", filter=family_last & Q(read_seq__lt=F("latest_seq"))),
            opened=Count("pk", filter=family_last & Q(read_seq__gte=F("latest_seq"))),
            answered=Count("pk", filter=~family_last & Q(latest_at__gte=since)),
        )
    )
    return Inbox(counts["new"], counts["opened"], counts["answered"])


@dataclass(frozen=True)
class Week:
    start: datetime
    summary: Summary


@dataclass(frozen=True)
class Figures:
    clinic: Clinic
    now: datetime
    week_start: datetime
    goal: Decimal
    week: Summary
    by_pool: list[Group[str]]  # "": chats in no pool
    by_person: list[Group[Person]]
    urgent: list[UrgentRow]
    inbox: Inbox
    weeks: list[Week] = field(default_factory=list)

    @property
    def urgent_median_minutes(self) -> float | None:
        times = [u.minutes_to_acknowledge for u in self.urgent if u.acknowledged_at]
        return median(t for t in times if t is not None) if times else None

    @property
    def over_goal(self) -> bool:
        share = self.week.late_share
        return share is not None and share > self.goal


def clinic_figures(*, clinic: Clinic, now: datetime) -> Figures:
    """This week's figures and the last `WEEKS_CHARTED` weeks' share answered late."""
    this_week = week_start(now, clinic_id=clinic.pk)
    starts = [
        week_start(this_week - timedelta(weeks=back) + timedelta(hours=12), clinic_id=clinic.pk)
        for back in range(WEEKS_CHARTED - 1, -1, -1)
    ]
    questions = questions_since(clinic_id=clinic.pk, start=starts[0], now=now)
    per_week: dict[datetime, list[Question]] = {start: [] for start in starts}
    for question in questions:
        per_week[max(s for s in starts if s <= question.asked_at)].append(question)
    current = per_week[this_week]
    return Figures(
        clinic=clinic,
        now=now,
        week_start=this_week,
        goal=reply_goal(clinic_id=clinic.pk),
        week=summary_of(current),
        by_pool=_by_pool(current),
        by_person=_by_person(current),
        urgent=urgent_chats(clinic_id=clinic.pk, start=this_week, now=now),
        inbox=inbox_now(clinic_id=clinic.pk, since=this_week),
        weeks=[Week(start, summary_of(per_week[start])) for start in starts],
    )


def _by_pool(questions: list[Question]) -> list[Group[str]]:
    pools = pools_of({q.chat_id for q in questions})
    groups = grouped(questions, lambda q: pools.get(q.chat_id, ""))
    return sorted(groups, key=lambda g: (g.key == "", g.key.lower()))


def _by_person(questions: list[Question]) -> list[Group[Person]]:
    answered = [q for q in questions if q.replier_id is not None]
    people = people_named({q.replier_id for q in answered if q.replier_id is not None})
    groups = grouped(answered, lambda q: people[q.replier_id])  # type: ignore[index]
    return sorted(groups, key=lambda g: (-g.summary.questions, g.key.name.lower()))
