"""Reads of intake and routing, for this app's pages and for the apps above it (reply times,
on-call, the clinic's figures)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import OuterRef, Subquery

from accounts.models import User
from appointments.access import Participants, Standing, appointment_key
from appointments.participants import FAMILY_ROLES
from appointments.selectors import TEAM_ROLES
from chat.models import Message
from triage.models import ChatRoute, Pool


@dataclass(frozen=True)
class Route:
    """Where a chat's current topic stands."""

    category: str
    pool_id: int | None
    pool_name: str | None
    taken_by_id: UUID | None
    kept_by_id: UUID | None
    routed_at: datetime
    intake_seq: int | None


def chat_route(chat_id: int) -> Route | None:
    """The chat's current topic's route, or None before its first intake. One query."""
    row = (
        ChatRoute.objects.filter(chat_id=chat_id)
        .values_list(
            "category",
            "pool_id",
            "pool__name",
            "taken_by_id",
            "kept_by_id",
            "routed_at",
            "intake__seq",
        )
        .first()
    )
    return None if row is None else Route(*row)


def pool_member_ids(pool_id: int) -> list[UUID]:
    """The members of a pool. One query."""
    return list(
        Pool.members.through.objects.filter(pool_id=pool_id)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def pool_waiting(pool_id: int) -> int:
    """Chats routed to the pool, untaken, whose latest message (clinic notices aside) is the
    family's. One query."""
    latest_role = (
        Message.objects.filter(chat_id=OuterRef("chat_id"))
        .exclude(message_type=Message.Type.SYSTEM)
        .order_by("-seq")
        .values("sender__role")[:1]
    )
    return (
        ChatRoute.objects.filter(pool_id=pool_id, taken_by__isnull=True)
        .annotate(latest_role=Subquery(latest_role))
        .filter(latest_role__in=FAMILY_ROLES)
        .count()
    )


def pool_member_standing(user: User, appointment: Participants) -> Standing | None:
    """A member of the pool the chat is routed to stands towards it while nobody has taken
    it (`appointments.access.grant_standing`). One query, only for the clinic's people."""
    if user.role not in TEAM_ROLES:
        return None
    waiting = ChatRoute.objects.filter(
        chat__appointment_id=appointment_key(appointment),
        clinic_id=appointment.clinic_id,
        taken_by__isnull=True,
        pool__members=user,
    ).exists()
    return Standing.POOL_MEMBER if waiting else None
