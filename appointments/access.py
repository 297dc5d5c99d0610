"""The one place that answers "may this user do this to this appointment?".

Every door (pages, the plain form, the API, WebSockets) asks here, and every list is scoped by
the same queryset. Someone who may not see an appointment is told it does not exist, exactly as
for an id that does not exist, so no door confirms an appointment to an outsider.

How a user stands towards an appointment decides what they may do; a new kind of participant
is a new `Standing` with its row in `ALLOWED`, and every door follows.

Who takes part, and on which side, is `appointments.participants`'s answer; this module says
what each standing may do. A vet who hands an appointment over stops being its veterinarian and
keeps access only if kept on the care team.
"""

from collections.abc import Callable, Collection
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet
from django.db.models.functions import JSONObject

from accounts.models import User
from appointments.models import Appointment, CoOwnership
from appointments.participants import care_team, co_ownerships
from tenancy.switches import clinic_allows
from vetchat.errors import NotFound, NotPermitted


class Action(StrEnum):
    VIEW = "view"  # see the appointment's page
    CHAT = "chat"  # read and write in its chat
    PRESCRIBE = "prescribe"  # send assessments and prescriptions into it
    ACKNOWLEDGE = "acknowledge"  # confirm a prescription was read and understood
    MANAGE_TEAM = "manage_team"  # add and remove care team members, hand the chat over
    SCHEDULE = "schedule"  # write a message that the clinic sends later
    CALL = "call"  # start a video call in its chat
    ANSWER_CALL = "answer_call"  # accept or decline a video call of its chat
    START_TOPIC = "start_topic"  # open a new topic in its chat, with the intake's questions
    TAKE_CHAT = "take_chat"  # take a chat routed to one's pool: it is then one's to answer
    KEEP_CHAT = "keep_chat"  # keep the chat with oneself rather than a pool ("reply to me")
    ACKNOWLEDGE_PAGE = "acknowledge_page"  # answer a page about the chat while on call


class Standing(StrEnum):
    PET_PARENT = "pet_parent"  # the pet's owner, who booked the appointment
    CO_OWNER = "co_owner"  # invited by the owner to co-own the pet
    VETERINARIAN = "veterinarian"  # the appointment's veterinarian
    TEAM_VETERINARIAN = "team_veterinarian"  # another vet on the care team
    TECHNICIAN = "technician"  # a nurse, technician or receptionist on the care team
    STAFF = "staff"  # reads chats in the admin, where each reading is accountable
    POOL_MEMBER = "pool_member"  # in the pool the chat is routed to, until someone takes it
    ON_CALL = "on_call"  # paged about the chat while on call


ALLOWED: dict[Standing, frozenset[Action]] = {
    Standing.PET_PARENT: frozenset(
        {Action.VIEW, Action.CHAT, Action.ACKNOWLEDGE, Action.ANSWER_CALL, Action.START_TOPIC}
    ),
    Standing.CO_OWNER: frozenset(
        {Action.VIEW, Action.CHAT, Action.ACKNOWLEDGE, Action.ANSWER_CALL, Action.START_TOPIC}
    ),
    Standing.VETERINARIAN: frozenset(
        {
            Action.VIEW,
            Action.CHAT,
            Action.PRESCRIBE,
            Action.MANAGE_TEAM,
            Action.SCHEDULE,
            Action.CALL,
            Action.KEEP_CHAT,
        }
    ),
    Standing.TEAM_VETERINARIAN: frozenset(
        {Action.VIEW, Action.CHAT, Action.PRESCRIBE, Action.SCHEDULE, Action.KEEP_CHAT}
    ),
    Standing.TECHNICIAN: frozenset({Action.VIEW, Action.CHAT, Action.SCHEDULE}),
    Standing.STAFF: frozenset({Action.VIEW, Action.MANAGE_TEAM}),
    Standing.POOL_MEMBER: frozenset({Action.VIEW, Action.CHAT, Action.TAKE_CHAT}),
    Standing.ON_CALL: frozenset({Action.VIEW, Action.CHAT, Action.ACKNOWLEDGE_PAGE}),
}

# The one right by which clinic staff reach chats, in the admin and in staff exports alike: a
# staff account without it stands towards no appointment at all.
STAFF_READS_CHATS = "chat.view_chat"

REFUSALS = {
    Action.CHAT: "Only the pet's owners and the appointment's care team can use its chat.",
    Action.PRESCRIBE: "Only veterinarians can send assessments and prescriptions.",
    Action.ACKNOWLEDGE: "Only the pet's owners can acknowledge a prescription.",
    Action.MANAGE_TEAM: "Only the appointment's veterinarian can change its care team.",
    Action.SCHEDULE: "Only the appointment's care team can schedule messages.",
    Action.CALL: "Only the appointment's veterinarian can start a video call.",
    Action.ANSWER_CALL: "Only the pet's owners can answer a video call.",
    Action.START_TOPIC: "Only the pet's owners can start a new topic.",
    Action.TAKE_CHAT: "Only the members of the pool this chat is routed to can take it.",
    Action.KEEP_CHAT: "Only the chat's veterinarians can keep it with themselves.",
    Action.ACKNOWLEDGE_PAGE: "Only the clinician paged about this chat can acknowledge the page.",
}

# What a standing may do only where its clinic allows it (`tenancy.Clinic`'s switches).
ALLOWED_BY_CLINIC: dict[tuple[Standing, Action], str] = {
    (Standing.TECHNICIAN, Action.CALL): "technicians_may_call",
}


class Participants(Protocol):
    """Anything that names an appointment's participants: a model loaded by
    `access_appointment` (which annotates the member lists) or a row loaded by hand."""

    clinic_id: int
    pet_parent_id: UUID
    veterinarian_id: UUID
    team_vet_ids: Collection[UUID]
    technician_ids: Collection[UUID]
    co_owner_ids: Collection[UUID]


P = TypeVar("P", bound=Participants)

# Standings another app grants (the pool a chat is routed to, the clinician paged about it),
# asked only when the user has none of the above at the appointment's clinic: only they pay
# the query a lookup costs.
GrantedStanding = Callable[[User, Participants], Standing | None]
_granted: list[GrantedStanding] = []


def appointment_key(appointment: Participants) -> UUID:
    """The appointment's id, from a model (`pk`) or a chat's row (`appointment_id`)."""
    key = getattr(appointment, "appointment_id", None)
    return key if key is not None else appointment.pk  # type: ignore[attr-defined]


def grant_standing(lookup: GrantedStanding) -> GrantedStanding:
    """Register a lookup (once) that may grant a user a standing towards an appointment."""
    if lookup not in _granted:
        _granted.append(lookup)
    return lookup


class AppointmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No appointment with this id.")


class ActionNotPermitted(NotPermitted):
    def __init__(self, action: Action) -> None:
        super().__init__(REFUSALS.get(action, "You cannot do this to this appointment."))
        self.action = action


def standing(user: User, appointment: Participants) -> Standing | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.pk == appointment.pet_parent_id:
        return Standing.PET_PARENT
    if user.pk in appointment.co_owner_ids:
        return Standing.CO_OWNER
    # The family's side follows its pets to any clinic; the clinic's side stays in its clinics.
    if not user.works_at(appointment.clinic_id):
        return None
    if user.pk == appointment.veterinarian_id:
        return Standing.VETERINARIAN
    if user.pk in appointment.technician_ids:
        return Standing.TECHNICIAN
    if user.pk in appointment.team_vet_ids:
        return Standing.TEAM_VETERINARIAN
    for lookup in _granted:
        granted = lookup(user, appointment)
        if granted is not None:
            return granted
    if user.is_staff and user.has_perm(STAFF_READS_CHATS):
        return Standing.STAFF
    return None


def allows(who: Standing, appointment: Participants, action: Action) -> bool:
    """Whether this standing may do `action`: by the table, or by its clinic's switch (read
    only when asked, so every other check costs no query)."""
    if action in ALLOWED[who]:
        return True
    switch = ALLOWED_BY_CLINIC.get((who, action))
    return switch is not None and clinic_allows(appointment.clinic_id, switch)


def may(user: User, appointment: Participants, action: Action) -> bool:
    who = standing(user, appointment)
    return who is not None and allows(who, appointment, action)


def check_access(*, user: User, appointment: P | None, action: Action) -> P:
    """The appointment, if the user may do `action` to it; otherwise the reason, as an error."""
    who = standing(user, appointment) if appointment is not None else None
    if who is None:
        raise AppointmentNotFound
    if not allows(who, appointment, action):
        raise ActionNotPermitted(action)
    return appointment


def access_appointment(
    *, user: User, appointment_id: UUID | str, action: Action = Action.VIEW
) -> Appointment:
    """Load an appointment with its pet and participants and check the user may `action` it."""
    try:
        appointment = (
            with_participants(
                Appointment.objects.select_related("pet", "pet_parent", "veterinarian")
            )
            .filter(pk=appointment_id)
            .first()
        )
    except (ValidationError, ValueError):  # not a UUID: no such appointment either
        appointment = None
    return check_access(user=user, appointment=appointment, action=action)


def with_participants(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Annotate each appointment with its care team and its pet's co-owners (`Participants`),
    as arrays in the same query; `team` and `co_owners` hold what the page shows of them."""
    members = care_team().filter(appointment=OuterRef("pk"))
    co_owners = co_ownerships().filter(pet=OuterRef("pet_id"))
    return appointments.annotate(
        team_vet_ids=ArraySubquery(
            care_team(User.Role.VETERINARIAN).filter(appointment=OuterRef("pk")).values("user_id")
        ),
        technician_ids=ArraySubquery(
            care_team(User.Role.TECHNICIAN).filter(appointment=OuterRef("pk")).values("user_id")
        ),
        co_owner_ids=ArraySubquery(co_owners.values("user_id")),
        team=ArraySubquery(members.order_by("added_at", "pk").values(json=_person("user"))),
        co_owners=ArraySubquery(
            co_owners.order_by("accepted_at", "pk").values(json=_person("user"))
        ),
    )


def _person(path: str) -> JSONObject:
    return JSONObject(
        id=f"{path}__id",
        name=f"{path}__name",
        email=f"{path}__email",
        role=f"{path}__role",
        job_title=f"{path}__job_title",
    )


def co_owned_pets(user: User) -> QuerySet[CoOwnership]:
    return co_ownerships().filter(user=user)


def appointments_of_participant(user: User) -> QuerySet[Appointment]:
    """The appointments in whose chat this user takes part (the same standings as `standing`)."""
    if not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    # Each standing is its own indexed SELECT, joined by UNION: as one WHERE with OR EXISTS,
    # the planner took it for half the clinic and planned every query around it accordingly.
    ids = Appointment.objects.values("pk").order_by()
    member_of = care_team().filter(user=user).values("appointment_id").order_by()
    if user.role == User.Role.PET_PARENT:  # at every clinic their pets are seen at
        co_owned = co_owned_pets(user).values("pet_id").order_by()
        standings = ids.filter(pet_parent=user).union(ids.filter(pet__in=co_owned))
        return Appointment.objects.filter(pk__in=standings)
    if user.role == User.Role.VETERINARIAN:
        standings = ids.filter(veterinarian=user).union(member_of)
    elif user.role == User.Role.TECHNICIAN:
        standings = member_of
    else:
        return Appointment.objects.none()
    return Appointment.objects.filter(pk__in=standings, clinic__in=user.clinic_ids)
