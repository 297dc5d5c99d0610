"""Every change to a video call: ringing, answering, declining, hanging up, a party's socket lost
and back, and the call's end written into the chat as one clinic entry.

Each service owns its transaction and locks the call's row, so two changes that race (an accept
and the ring timing out, two co-owners answering at once) end in exactly one outcome. What
happened is pushed to the chat's sockets after commit; the jobs that end a call nobody answered,
or one whose party never came back, are deferred in the same transaction as the change.
"""

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from appointments.access import Action, check_access
from calls.models import Call
from chat.push import chat_group, group_send
from chat.rules import ChatReadOnly, read_only_reason
from chat.services import chat_get_or_create, system_entry_post
from chat.sql import ChatHeader
from tenancy.zones import clinic_time
from vetchat.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

Outcome = Call.Outcome
# Both pages wait for a call's end, which takes a few milliseconds: it goes before a backlog of
# emails in the same queue, urgent ones included (notifications' URGENT_PRIORITY is 10).
END_PRIORITY = 20


class CallNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such call in this chat.")


class CallRunning(Conflict):
    code = "call_running"

    def __init__(self) -> None:
        super().__init__("A call is already running in this chat.")


class AnsweredElsewhere(Conflict):
    code = "answered_elsewhere"

    def __init__(self) -> None:
        super().__init__("The call was answered elsewhere.")


class CallEnded(Conflict):
    code = "call_ended"

    def __init__(self) -> None:
        super().__init__("The call has ended.")


class NotAnswered(Conflict):
    code = "not_answered"

    def __init__(self) -> None:
        super().__init__("Nobody has answered the call yet.")


def ring_deadline(call: Call) -> datetime:
    return call.started_at + timedelta(seconds=settings.VETCHAT_CALL_RING_SECONDS)


def _rejoin_window() -> timedelta:
    return timedelta(seconds=settings.VETCHAT_CALL_REJOIN_SECONDS)


def call_json(call: Call) -> dict[str, Any]:
    """A call as every socket of its chat sees it (the `call` frame)."""

    def at(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    state = "active" if call.answered_at else "ringing"
    return {
        "id": str(call.pk),
        "state": state if call.running else "ended",
        "outcome": call.outcome,
        "callerId": str(call.caller_id),
        "callerName": call.caller.display_name,
        "petName": call.chat.appointment.pet.name,
        "answeredById": str(call.answered_by_id) if call.answered_by_id else None,
        "startedAt": at(call.started_at),
        "ringsUntil": at(ring_deadline(call)),
        "answeredAt": at(call.answered_at),
        "endedAt": at(call.ended_at),
    }


def _calls() -> Any:
    return Call.objects.select_related("caller", "chat__appointment__pet")


def running_call(*, appointment_id: UUID) -> Call | None:
    return _calls().filter(chat__appointment_id=appointment_id, outcome=Outcome.RUNNING).first()


def call_uuid(call_id: UUID | str) -> UUID:
    """A call id as sent by a client; anything but a UUID names no call."""
    try:
        return call_id if isinstance(call_id, UUID) else UUID(str(call_id))
    except ValueError as error:
        raise CallNotFound from error


def _locked(chat: ChatHeader, call_id: UUID | str) -> Call:
    """The chat's call, its row locked; a call of another chat is one that does not exist."""
    found = (
        _calls()
        .select_for_update(of=("self",))
        .filter(pk=call_uuid(call_id), chat_id=chat.chat_id)
        .first()
    )
    if found is None:
        raise CallNotFound
    return found


def _publish(call: Call) -> None:
    """Every socket of the chat hears the call's new state, once the change has committed."""
    shape = call_json(call)
    appointment_id = call.chat.appointment_id
    transaction.on_commit(
        lambda: group_send(chat_group(appointment_id), {"type": "chat.call", "call": shape})
    )


# Ringing ------------------------------------------------------------------------------------


def call_start(*, chat: ChatHeader, caller: User, channel: str, now: datetime) -> Call:
    """Ring the family of the appointment. The caller's access (`Action.CALL`) is the door's
    to check, with the chat's: this service keeps one call per chat and the record."""
    reason = read_only_reason(chat, now)
    if reason:
        raise ChatReadOnly(reason)
    if chat.chat_id is None:
        chat.chat_id = chat_get_or_create(appointment_id=chat.appointment_id).pk
    with transaction.atomic():
        running = (
            _calls()
            .select_for_update(of=("self",))
            .filter(chat_id=chat.chat_id, outcome=Outcome.RUNNING)
            .first()
        )
        # A call whose end is overdue (its job not run yet) gives way to the new one.
        if running is not None and not _end_if_overdue(running, now=now):
            raise CallRunning
        try:
            with transaction.atomic():
                call = Call.objects.create(
                    clinic_id=chat.clinic_id,
                    chat_id=chat.chat_id,
                    caller=caller,
                    started_at=now,
                    caller_channel=channel,
                )
        except IntegrityError as error:  # another start won the same moment
            raise CallRunning from error
        call = _calls().get(pk=call.pk)
        _publish(call)
        _defer_end_check(call.pk, at=ring_deadline(call))
        transaction.on_commit(lambda: _push_ringing(chat, call))
    return call


def _push_ringing(chat: ChatHeader, call: Call) -> None:
    """A web push to each of the family's browsers: a closed page hears the call too."""
    from notifications.push import push_configured, push_send

    if not push_configured():
        return
    family = User.objects.filter(pk__in=[chat.pet_parent_id, *chat.co_owner_ids], is_active=True)
    url = settings.VETCHAT_BASE_URL + reverse(
        "appointment_detail", kwargs={"appointment_id": chat.appointment_id}
    )
    body = f"{call.caller.display_name} is calling about {chat.pet_name}"
    for member in family:
        try:
            push_send(
                user=member,
                title="Video call",
                body=body,
                url=url,
                ttl=settings.VETCHAT_CALL_RING_SECONDS,
            )
        except Exception:  # best effort: the page rings anyway
            logger.exception("Ringing push not sent")


def call_accept(
    *, chat: ChatHeader, user: User, call_id: UUID | str, channel: str, now: datetime
) -> Call:
    """The first family member (`Action.ANSWER_CALL`) to answer joins the call; later ones are
    told it was answered elsewhere. An answer after the ring ran out ends the call as missed."""
    with transaction.atomic():
        call = _locked(chat, call_id)
        check_access(user=user, appointment=chat, action=Action.ANSWER_CALL)
        if call.running and call.answered_at is None and not _end_if_overdue(call, now=now):
            call.answered_at, call.answered_by, call.answerer_channel = now, user, channel
            call.save(update_fields=["answered_at", "answered_by", "answerer_channel"])
            _publish(call)
            return call
    if call.answered_by_id is not None and call.answered_by_id != user.pk:
        raise AnsweredElsewhere
    raise CallEnded


def call_decline(*, chat: ChatHeader, user: User, call_id: UUID | str, now: datetime) -> Call:
    """A family member turns the call down: the first decline ends it for everyone."""
    with transaction.atomic():
        call = _locked(chat, call_id)
        check_access(user=user, appointment=chat, action=Action.ANSWER_CALL)
        if call.running and call.answered_at is None and not _end_if_overdue(call, now=now):
            _end(call, Outcome.DECLINED, at=now)
            return call
    if call.answered_at is not None and call.answered_by_id != user.pk:
        raise AnsweredElsewhere
    raise CallEnded


def call_hangup(*, chat: ChatHeader, user: User, call_id: UUID | str, now: datetime) -> Call:
    """The caller or the answerer ends the call; a caller who hangs up while it rings leaves a
    missed call."""
    with transaction.atomic():
        call = _locked(chat, call_id)
        if user.pk not in (call.caller_id, call.answered_by_id):
            raise CallNotFound
        if not call.running or _end_if_overdue(call, now=now):
            raise CallEnded
        _end(call, Outcome.COMPLETED if call.answered_at else Outcome.MISSED, at=now)
    return call


# The parties' connections -------------------------------------------------------------------


def call_rejoin(
    *, chat: ChatHeader, user: User, call_id: UUID | str, channel: str, now: datetime
) -> tuple[Call, str]:
    """A party's new socket (a reload, a reconnect) takes over its place in the call. Returns
    the call and the other party's socket ("" while nobody answered)."""
    with transaction.atomic():
        call = _locked(chat, call_id)
        if user.pk not in (call.caller_id, call.answered_by_id):
            raise CallNotFound
        if not call.running or _end_if_overdue(call, now=now):
            raise CallEnded
        if user.pk == call.caller_id:
            call.caller_channel, call.caller_lost_at = channel, None
            other = call.answerer_channel
        else:
            call.answerer_channel, call.answerer_lost_at = channel, None
            other = call.caller_channel
        call.save(
            update_fields=[
                "caller_channel",
                "caller_lost_at",
                "answerer_channel",
                "answerer_lost_at",
            ]
        )
    return call, other


def call_connection_lost(*, call_id: UUID, channel: str, now: datetime) -> bool:
    """A party's socket closed: unless that party rejoins within VETCHAT_CALL_REJOIN_SECONDS,
    the call ends as failed. Only the socket the party talks from counts (a reload's old socket
    closing after the new one rejoined is nobody's loss). Returns whether it counted."""
    with transaction.atomic():
        lost = (
            Call.objects.filter(pk=call_id, outcome=Outcome.RUNNING, caller_channel=channel)
            .filter(caller_lost_at__isnull=True)
            .update(caller_lost_at=now)
        )
        lost += (
            Call.objects.filter(pk=call_id, outcome=Outcome.RUNNING, answerer_channel=channel)
            .filter(answerer_lost_at__isnull=True)
            .update(answerer_lost_at=now)
        )
        if lost:
            _defer_end_check(call_id, at=now + _rejoin_window())
    return bool(lost)


def signal_route(*, chat: ChatHeader, user: User, call_id: UUID | str) -> str:
    """The socket a party's signal goes to: the other party's, in a running, answered call.
    Anybody else is told the call does not exist."""
    call = Call.objects.filter(pk=call_uuid(call_id), chat_id=chat.chat_id).first()
    if call is None or user.pk not in (call.caller_id, call.answered_by_id):
        raise CallNotFound
    if not call.running:
        raise CallEnded
    if call.answered_at is None:
        raise NotAnswered
    return call.answerer_channel if user.pk == call.caller_id else call.caller_channel


# Ending -------------------------------------------------------------------------------------


def call_end_if_overdue(*, call_id: UUID | str, now: datetime) -> str:
    """End the call if nobody answered it in time (missed) or a party's connection was lost and
    not back in time (failed); the jobs' body. Returns the outcome ("" if still running)."""
    with transaction.atomic():
        call = _calls().select_for_update(of=("self",)).filter(pk=call_uuid(call_id)).first()
        if call is None:
            return ""
        if call.running:
            _end_if_overdue(call, now=now)
        return call.outcome


def calls_overdue_end(*, now: datetime) -> int:
    """The periodic safety net: end every call a lost job left running. Returns how many."""
    ended = 0
    overdue_ring = now - timedelta(seconds=settings.VETCHAT_CALL_RING_SECONDS)
    lost_before = now - _rejoin_window()
    candidates = Call.objects.filter(outcome=Outcome.RUNNING).filter(
        (Q(answered_at__isnull=True) & Q(started_at__lte=overdue_ring))
        | Q(caller_lost_at__lte=lost_before)
        | Q(answerer_lost_at__lte=lost_before)
    )
    for call_id in candidates.values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            call = _calls().select_for_update(of=("self",), skip_locked=True).filter(pk=call_id)
            found = call.first()
            if found is not None and found.running and _end_if_overdue(found, now=now):
                ended += 1
    return ended


def _end_if_overdue(call: Call, *, now: datetime) -> bool:
    """End a locked running call whose time is up; returns whether it ended."""
    if call.answered_at is None:
        if now >= ring_deadline(call):
            _end(call, Outcome.MISSED, at=ring_deadline(call))
            return True
        return False
    lost = [at for at in (call.caller_lost_at, call.answerer_lost_at) if at is not None]
    if lost and now >= min(lost) + _rejoin_window():
        # A caller lost while it still rang was never in the visit: it ends as it began.
        _end(call, Outcome.FAILED, at=max(min(lost), call.answered_at))
        return True
    return False


def _end(call: Call, outcome: str, *, at: datetime) -> None:
    """End a locked call and write its one entry in the chat, in the same transaction."""
    call.outcome, call.ended_at = outcome, at
    call.caller_lost_at = call.answerer_lost_at = None
    call.save(update_fields=["outcome", "ended_at", "caller_lost_at", "answerer_lost_at"])
    system_entry_post(
        appointment_id=call.chat.appointment_id,
        content=call_entry_text(call),
        payload={"call": call_record(call)},
    )
    _publish(call)


def call_seconds(call: Call) -> int:
    if call.answered_at is None or call.ended_at is None:
        return 0
    return max(0, int((call.ended_at - call.answered_at).total_seconds()))


def call_record(call: Call) -> dict[str, Any]:
    """What the chat's entry keeps of a call: who, when, how long; never anything of the media."""

    def at(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": str(call.pk),
        "outcome": call.outcome,
        "caller": call.caller.display_name,
        "callerId": str(call.caller_id),
        "answeredById": str(call.answered_by_id) if call.answered_by_id else None,
        "startedAt": at(call.started_at),
        "answeredAt": at(call.answered_at),
        "endedAt": at(call.ended_at),
        "seconds": call_seconds(call),
    }


def call_entry_text(call: Call) -> str:
    """What the chat says of an ended call, on the clinic's clock: "Video visit with Dr. Foster,
    12 min, 14:03-14:15" (with an en dash), "Missed call from Dr. Foster, 14:03"."""
    caller = call.caller.display_name

    def hhmm(moment: datetime) -> str:
        return f"{clinic_time(moment, call.clinic_id):%H:%M}"

    if call.outcome == Outcome.MISSED:
        return f"Missed call from {caller}, {hhmm(call.started_at)}"
    if call.outcome == Outcome.DECLINED:
        return f"Declined call from {caller}, {hhmm(call.started_at)}"
    # Rounded to the nearest minute, and never "0 min" for a call that was answered.
    minutes = max(1, (call_seconds(call) + 30) // 60)
    text = (
        f"Video visit with {caller}, {minutes} min, "
        f"{hhmm(call.answered_at)}\N{EN DASH}{hhmm(call.ended_at)}"
    )
    return text + " (the connection was lost)" if call.outcome == Outcome.FAILED else text


def _defer_end_check(call_id: UUID, *, at: datetime) -> None:
    """A job that ends the call at `at` if it is overdue then; the periodic run is the safety
    net for a job that is lost. Deferred in the change's transaction, so it goes with it."""
    from calls.tasks import end_call_if_overdue

    end_call_if_overdue.configure(schedule_at=at, priority=END_PRIORITY).defer(call_id=str(call_id))
