"""Reads of the notifications: what waits for whom."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce

from accounts.models import User, display_name
from appointments.access import appointments_of_participant
from appointments.participants import FAMILY_ROLES
from chat.models import Chat, Message, ReadState
from chat.selectors import unread_after
from clinic.models import UrgentChat
from triage.models import ChatRoute


def _unread_subquery(user: User) -> Subquery:
    """Per chat (OuterRef "pk"): messages from others past the user's read cursor, or from
    where they marked the chat unread."""
    cursor = ReadState.objects.filter(chat_id=OuterRef(OuterRef("pk")), user_id=user.pk).values(
        unread_after=unread_after()
    )[:1]
    return Subquery(
        Message.objects.filter(chat_id=OuterRef("pk"), seq__gt=Coalesce(Subquery(cursor), 0))
        .exclude(sender_id=user.pk)
        .order_by()
        .values("chat_id")
        .annotate(count=Count("*"))
        .values("count")
    )


def _my_chats(user: User) -> QuerySet[Chat]:
    return Chat.objects.filter(appointment__in=appointments_of_participant(user).values("pk"))


def takes_part(*, user: User, chat_id: int) -> bool:
    """Whether the user still takes part in this chat (as the access module scopes lists)."""
    return _my_chats(user).filter(pk=chat_id).exists()


def unread_total(*, user: User) -> int:
    """Messages from others the user has not read, over all their chats, in one query."""
    total = (
        _my_chats(user)
        .annotate(unread=Coalesce(_unread_subquery(user), 0))
        .aggregate(total=Coalesce(Sum("unread"), 0))["total"]
    )
    return int(total)


def chats_with_unread(*, user: User) -> list[int]:
    """Ids of the user's chats holding messages from others they have not read."""
    return list(
        _my_chats(user)
        .annotate(unread=Coalesce(_unread_subquery(user), 0))
        .filter(unread__gt=0)
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Waiting:
    """An appointment whose pet parent wrote last and has had no answer yet."""

    appointment_id: UUID
    pet_name: str
    pet_parent_name: str
    starts_at: datetime
    waiting_since: datetime
    unanswered: int
    urgent_sign: str | None = None  # a red flag the vet has not answered yet
    clinic_name: str = ""
    pool_name: str | None = None  # the pool it waits in until someone takes it (`triage`)
    may_take: bool = False  # the user is of that pool


@dataclass(frozen=True)
class Inbox:
    """The most pressing of the chats waiting for an answer, and how many wait in all."""

    waiting: list[Waiting]
    total: int
    several_clinics: bool = False  # the vet works at more than one: each row names its clinic

    @property
    def more(self) -> int:
        return self.total - len(self.waiting)


def needs_reply(*, vet: User, limit: int | None = None) -> Inbox:
    """The chats of this vet or care team member whose latest message is from the pet's owners
    (owner or co-owner): those with an unanswered red flag first (latest flag first), then the
    others, oldest waiting first; the first `limit` of them, and the count of all.

    Only the chats of the clinics the user works at (`appointments_of_participant`), each row
    with its clinic's name. One query whatever the number of chats (the count is a window over
    the same rows): the latest message is found backwards on the (chat, seq) index, past clinic
    notices (a hand-over or an after-hours reply answers nothing), and the wait starts at the
    owners' first message after the clinic's last one (anyone on the care team answers for the
    clinic). Chats waiting untaken in one of the user's pools (`triage`) are among them, each
    row naming its pool and whether the user may take it.
    """
    people = Message.objects.exclude(message_type=Message.Type.SYSTEM)
    latest_role = people.filter(chat_id=OuterRef("pk")).order_by("-seq").values("sender__role")[:1]
    vets_last = (
        people.filter(chat_id=OuterRef(OuterRef("pk")))
        .exclude(sender__role__in=FAMILY_ROLES)
        .order_by("-seq")
        .values("seq")[:1]
    )
    unanswered = (
        people.filter(chat_id=OuterRef("pk"), seq__gt=Coalesce(Subquery(vets_last), 0))
        .order_by()
        .values("chat_id")
        .annotate(first=Min("created_at"), count=Count("*"))
    )
    # A red flag raised after the vet's last message.
    urgent = UrgentChat.objects.filter(
        chat_id=OuterRef("pk"), seq__gt=Coalesce(Subquery(vets_last), 0)
    )
    # A chat routed to a pool (`triage`) waits for each of its members until one takes it.
    waiting_in_pool = ChatRoute.objects.filter(chat_id=OuterRef("pk"), taken_by__isnull=True)
    my_pools = ChatRoute.objects.filter(
        taken_by__isnull=True, pool__members=vet, clinic_id__in=vet.clinic_ids
    )
    rows = (
        Chat.objects.filter(
            Q(appointment__in=appointments_of_participant(vet).values("pk"))
            | Q(pk__in=my_pools.values("chat_id"))
        )
        .filter(last_seq__gt=0)
        .annotate(latest_role=Subquery(latest_role))
        .filter(latest_role__in=FAMILY_ROLES)
        .annotate(
            waiting_since=Subquery(unanswered.values("first")),
            unanswered=Subquery(unanswered.values("count")),
            urgent_sign=Subquery(urgent.values("sign")),
            urgent_at=Subquery(urgent.values("flagged_at")),
            pool_name=Subquery(waiting_in_pool.values("pool__name")[:1]),
            may_take=Exists(waiting_in_pool.filter(pool__members=vet)),
            total=Window(Count("*")),
        )
        .order_by(F("urgent_at").desc(nulls_last=True), "waiting_since")
        .values_list(
            "appointment_id",
            "appointment__pet__name",
            "appointment__pet_parent__name",
            "appointment__pet_parent__email",
            "appointment__starts_at",
            "waiting_since",
            "unanswered",
            "urgent_sign",
            "clinic__name",
            "pool_name",
            "may_take",
            "total",
        )
    )
    rows = list(rows if limit is None else rows[:limit])
    waiting = [
        Waiting(
            pk, pet, display_name(name, email), starts_at, since, count, sign, clinic, pool, take
        )
        for pk, pet, name, email, starts_at, since, count, sign, clinic, pool, take, _ in rows
    ]
    return Inbox(waiting, rows[0][-1] if rows else 0, several_clinics=len(vet.clinic_ids) > 1)


# How long a chat the family read but did not answer stays in the vet's list: long enough to
# follow up after a weekend, short enough that finished conversations leave it.
READ_NOT_ANSWERED_DAYS = 7


@dataclass(frozen=True)
class ReadNotAnswered:
    """A chat whose latest message is the clinic's, read by the pet's family, not answered."""

    appointment_id: UUID
    pet_name: str
    reader_name: str
    read_at: datetime
    read_at_text: str  # "14:03" today on the clinic's clock, "Mon 14:03" before
    clinic_name: str = ""


@dataclass(frozen=True)
class ReadNotAnsweredList:
    rows: list[ReadNotAnswered]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _clock_text(moment: datetime, zone_name: str, now: datetime) -> str:
    zone = ZoneInfo(zone_name)
    local = moment.astimezone(zone)
    return f"{local:%H:%M}" if local.date() == now.astimezone(zone).date() else f"{local:%a %H:%M}"


def read_not_answered(*, vet: User, now: datetime, limit: int | None = None) -> ReadNotAnsweredList:
    """The vet's chats whose latest message (past clinic notices) is the clinic's side's and
    which the pet's owner or a co-owner has read since, without answering: most recently read
    first, within READ_NOT_ANSWERED_DAYS. Nothing is owed by the vet, so these are a group of
    their own below those waiting for an answer, for a follow-up ("did the tablets help?").

    "Read at" is when the family member's read cursor last moved past that message (their
    `ReadState`); the first of them to read it is named. One query, however many chats.
    """
    people = Message.objects.exclude(message_type=Message.Type.SYSTEM)
    latest = people.filter(chat_id=OuterRef("pk")).order_by("-seq")
    family_read = ReadState.objects.filter(
        chat_id=OuterRef("pk"),
        user__role__in=FAMILY_ROLES,
        last_read_seq__gte=OuterRef("latest_seq"),
    ).order_by("updated_at")
    rows = (
        _my_chats(vet)
        .filter(last_seq__gt=0)
        .annotate(
            latest_seq=Subquery(latest.values("seq")[:1]),
            latest_role=Subquery(latest.values("sender__role")[:1]),
        )
        .exclude(latest_role__in=FAMILY_ROLES)
        .annotate(
            read_at=Subquery(family_read.values("updated_at")[:1]),
            reader_name=Subquery(family_read.values("user__name")[:1]),
            reader_email=Subquery(family_read.values("user__email")[:1]),
            total=Window(Count("*")),
        )
        .filter(read_at__gte=now - timedelta(days=READ_NOT_ANSWERED_DAYS))
        .order_by(F("read_at").desc())
        .values_list(
            "appointment_id",
            "appointment__pet__name",
            "reader_name",
            "reader_email",
            "read_at",
            "clinic__time_zone",
            "clinic__name",
            "total",
        )
    )
    found = list(rows if limit is None else rows[:limit])
    return ReadNotAnsweredList(
        [
            ReadNotAnswered(
                pk, pet, display_name(name, email), at, _clock_text(at, zone, now), clinic
            )
            for pk, pet, name, email, at, zone, clinic, _ in found
        ],
        found[0][-1] if found else 0,
    )
