"""Routing a chat's topic to a pool, and taking or keeping it.

`chat_route_on_intake` runs inside the send's transaction (the chat row is locked there), so
that later subscribers of the same send read the chat's route. Taking locks the route's row:
of two people taking at once, one takes it and the other hears who did.
"""

import logging
from datetime import datetime
from functools import partial
from uuid import UUID

from django.db import transaction

from accounts.models import User
from appointments.access import Action, ActionNotPermitted, access_appointment
from appointments.models import Appointment
from appointments.selectors import TEAM_ROLES
from appointments.services import team_member_add
from chat.events import Event, MessageCreated
from chat.models import Chat, Message
from chat.services import chat_get_or_create, system_entry_post
from triage.categories import Category
from triage.models import CategoryRoute, ChatRoute
from vetchat.errors import Conflict, DomainError

logger = logging.getLogger(__name__)


class AlreadyTaken(Conflict):
    code = "already_taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"Already taken by {name}.")


class NotWaiting(Conflict):
    code = "not_waiting"

    def __init__(self) -> None:
        super().__init__("This chat is not waiting in a pool.")


def on_chat_event_in_transaction(event: Event) -> None:
    """Runs in the send's transaction (`chat.events`, `in_transaction`): an intake routes the
    chat; a pool member's reply to a chat waiting in their pool takes it once stored."""
    if not isinstance(event, MessageCreated):
        return
    if event.message.message_type == Message.Type.INTAKE:
        chat_route_on_intake(event)
    elif event.message.sender_role in TEAM_ROLES and _waits_for(event):
        transaction.on_commit(partial(_reply_takes, event))


def _waits_for(event: MessageCreated) -> bool:
    return ChatRoute.objects.filter(
        chat_id=event.chat_id, taken_by__isnull=True, pool__members=event.message.sender_id
    ).exists()


def _reply_takes(event: MessageCreated) -> None:
    user = User.objects.get(pk=event.message.sender_id)
    try:
        chat_take(appointment_id=event.appointment_id, user=user, at=event.message.created_at)
    except DomainError:
        logger.info("A reply did not take chat %s: taken meanwhile", event.chat_id)


def chat_route_on_intake(event: MessageCreated) -> ChatRoute:
    """An intake opens a topic: the chat is routed to the pool of its category, or stays with
    the vet who keeps it."""
    payload = event.message.payload or {}
    category = payload.get("category") or Category.OTHER
    at = event.message.created_at
    route = ChatRoute.objects.filter(chat_id=event.chat_id).first()
    if route is None:
        route = ChatRoute(chat_id=event.chat_id, clinic_id=event.clinic_id)
    route.category, route.routed_at, route.intake_id = category, at, event.message.id
    if route.kept_by_id is not None:
        # Kept: the topic is the keeper's, no pool's.
        route.pool_id, route.taken_by_id, route.taken_at = None, route.kept_by_id, at
    else:
        route.pool_id = (
            CategoryRoute.objects.filter(clinic_id=event.clinic_id, category=category)
            .values_list("pool_id", flat=True)
            .first()
        )
        route.taken_by_id, route.taken_at = None, None
    route.save()
    return route


def chat_take(*, appointment_id: UUID, user: User, at: datetime) -> ChatRoute:
    """Take a chat waiting in one's pool: it becomes the taker's (the care team, so that every
    list and access follows), and the chat records who took it. Taking it again is a no-op;
    anyone else of the pool then hears who took it (`AlreadyTaken`)."""
    with transaction.atomic():
        route = (
            ChatRoute.objects.select_for_update(of=("self",))
            .select_related("pool")
            .filter(chat__appointment_id=appointment_id)
            .first()
        )
        member = (
            route is not None
            and route.pool is not None
            and user.is_active
            and user.works_at(route.clinic_id)
            and route.pool.members.filter(pk=user.pk).exists()
        )
        if not member:
            # Outsiders learn nothing (404); those who stand towards it otherwise, why not.
            access_appointment(user=user, appointment_id=appointment_id)
            if route is None or route.pool is None or route.taken_by_id is not None:
                raise NotWaiting
            raise ActionNotPermitted(Action.TAKE_CHAT)
        if route.taken_by_id is not None:
            if route.taken_by_id == user.pk:
                return route
            # Read after the lock: a join made before it waited would show nobody.
            raise AlreadyTaken(User.objects.get(pk=route.taken_by_id).display_name)
        route.taken_by, route.taken_at = user, at
        route.save(update_fields=["taken_by", "taken_at"])
        _join_team(appointment_id=appointment_id, user=user)
        system_entry_post(
            appointment_id=appointment_id,
            content=f"{user.display_name} ({route.pool.name}) took this conversation.",
        )
    return route


def _join_team(*, appointment_id: UUID, user: User) -> None:
    """The taker joins the care team through its service, added in the name of the
    appointment's vet (whose team it is); already on it, or its vet, nothing changes."""
    appointment = Appointment.objects.select_related("veterinarian").get(pk=appointment_id)
    if user.pk == appointment.veterinarian_id:
        return
    try:
        with transaction.atomic():
            team_member_add(
                appointment_id=appointment_id, by=appointment.veterinarian, user_id=user.pk
            )
    except Conflict:
        pass  # already on the care team


def chat_keep(*, appointment_id: UUID, user: User, at: datetime) -> ChatRoute:
    """A vet of the chat keeps it with themselves: the current topic is theirs, and later
    topics are not routed to a pool."""
    appointment = access_appointment(
        user=user, appointment_id=appointment_id, action=Action.KEEP_CHAT
    )
    chat = chat_get_or_create(appointment_id=appointment_id, clinic_id=appointment.clinic_id)
    with transaction.atomic():
        Chat.objects.select_for_update().only("pk").get(pk=chat.pk)
        route = ChatRoute.objects.filter(chat_id=chat.pk).first()
        if route is None:
            route = ChatRoute(
                chat_id=chat.pk,
                clinic_id=appointment.clinic_id,
                category=Category.OTHER,
                routed_at=at,
            )
        elif route.kept_by_id == user.pk:
            return route
        route.kept_by = user
        if route.taken_by_id is None:
            route.taken_by, route.taken_at = user, at
        route.pool = None
        route.save()
        system_entry_post(
            appointment_id=appointment_id,
            content=f"{user.display_name} keeps this conversation: replies come to them directly.",
        )
    return route
