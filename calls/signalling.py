"""Video calls on the chat's socket: the `call.*` frames a page sends, and what it is sent back.

The chat consumer (`chat.consumers.ChatConsumer`) hands every `call.*` frame to its
`CallSocket` and stays a doorbell. Every frame is checked by the access module before anything
is done: starting needs `Action.CALL`; the others `Action.CHAT` and a call of this chat, then
answering and declining `Action.ANSWER_CALL` (the services ask), the rest being the call's
caller or its answerer. A call id the user may not act on is
answered exactly like one that does not exist (`not_found`).

Offers, answers and ICE candidates are relayed unchanged to the other party's socket alone (the
one it started, answered or rejoined from), never to the chat: the media and its keys stay
between the two browsers. Nothing of them is stored.
"""

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import User
from appointments.access import Action
from calls import services
from calls.ice import ice_servers
from calls.models import Call
from chat.services import access_chat
from vetchat.errors import DomainError, InvalidInput, NotPermitted

logger = logging.getLogger(__name__)

CALL_FRAMES = frozenset(
    {"call.start", "call.accept", "call.decline", "call.hangup", "call.signal", "call.rejoin"}
)
# Trickle ICE sends 10-30 candidates in a burst, and an ICE restart as many again: signals have
# a budget of their own, well above the chat frames' (which stays as small as it was).
SIGNAL_BUDGET = 200
SIGNAL_WINDOW = 10
# An offer or answer's SDP is 2-8 KB with audio and video; the socket itself takes 64 KB.
MAX_SIGNAL_BYTES = 16 * 1024
DESCRIPTION_TYPES = frozenset({"offer", "answer", "pranswer", "rollback"})
CANDIDATE_FIELDS = {
    "candidate": str,
    "sdpMid": (str, type(None)),
    "sdpMLineIndex": (int, type(None)),
    "usernameFragment": (str, type(None)),
}


class InvalidSignal(InvalidInput):
    code = "invalid_signal"

    def __init__(self) -> None:
        super().__init__(
            'A signal is a JSON object of at most 16 KB with one of "description" '
            '({type, sdp}), "candidate" ({candidate, sdpMid, sdpMLineIndex, usernameFragment} '
            'or null) or "restart": true.'
        )


def checked_signal(signal: Any) -> dict[str, Any]:
    """The signal as relayed, if it is one of the three kinds; InvalidSignal otherwise."""
    if not isinstance(signal, dict) or len(signal) != 1:
        raise InvalidSignal
    if len(json.dumps(signal)) > MAX_SIGNAL_BYTES:
        raise InvalidSignal
    [(kind, value)] = signal.items()
    if kind == "restart" and value is True:
        return signal
    if kind == "description" and isinstance(value, dict):
        sdp = value.get("sdp", "")
        if (
            value.get("type") in DESCRIPTION_TYPES
            and isinstance(sdp, str)
            and set(value) <= {"type", "sdp"}
        ):
            return signal
    if kind == "candidate" and value is None:  # the end of the candidates
        return signal
    if (
        kind == "candidate"
        and isinstance(value, dict)
        and "candidate" in value
        and set(value) <= set(CANDIDATE_FIELDS)
        and all(
            isinstance(item, CANDIDATE_FIELDS[name]) and not isinstance(item, bool)
            for name, item in value.items()
        )
    ):
        return signal
    raise InvalidSignal


class Budget:
    """At most `limit` frames in each window of `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.started, self.used = time.monotonic(), 0

    def take(self) -> bool:
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started, self.used = now, 0
        self.used += 1
        return self.used <= self.limit


def error_frame(error: DomainError, frame: str) -> dict[str, Any]:
    # The chat's own refusals say "forbidden"; the call's protocol names it for what it is.
    code = "not_permitted" if isinstance(error, NotPermitted) else error.code
    return {"type": "error", "frame": frame, "error": {"code": code, "message": error.message}}


# The database side: each runs in the consumer's database thread ---------------------------


def _ice(call: Call, user: User) -> dict[str, Any]:
    return {
        "type": "call.ice",
        "callId": str(call.pk),
        **ice_servers(call_id=call.pk, user_id=user.pk, now=timezone.now()),
    }


@database_sync_to_async
def _start(user: User, appointment_id: UUID, channel: str) -> list[dict[str, Any]]:
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CALL)
    call = services.call_start(chat=chat, caller=user, channel=channel, now=timezone.now())
    return [{"type": "call", "call": services.call_json(call)}, _ice(call, user)]


@database_sync_to_async
def _accept(user: User, appointment_id: UUID, call_id: Any, channel: str) -> list[dict]:
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    call = services.call_accept(
        chat=chat, user=user, call_id=call_id, channel=channel, now=timezone.now()
    )
    return [{"type": "call", "call": services.call_json(call)}, _ice(call, user)]


@database_sync_to_async
def _decline(user: User, appointment_id: UUID, call_id: Any) -> None:
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    services.call_decline(chat=chat, user=user, call_id=call_id, now=timezone.now())


@database_sync_to_async
def _hangup(user: User, appointment_id: UUID, call_id: Any) -> None:
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    services.call_hangup(chat=chat, user=user, call_id=call_id, now=timezone.now())


@database_sync_to_async
def _rejoin(user: User, appointment_id: UUID, call_id: Any, channel: str) -> tuple[list[dict], str]:
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    call, other = services.call_rejoin(
        chat=chat, user=user, call_id=call_id, channel=channel, now=timezone.now()
    )
    return [{"type": "call", "call": services.call_json(call)}, _ice(call, user)], other


@database_sync_to_async
def _route(user: User, appointment_id: UUID, call_id: Any) -> str:
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    return services.signal_route(chat=chat, user=user, call_id=call_id)


@database_sync_to_async
def _lost(call_id: UUID, channel: str) -> bool:
    return services.call_connection_lost(call_id=call_id, channel=channel, now=timezone.now())


def running_call_json(appointment_id: UUID) -> dict[str, Any] | None:
    """The chat's running call for the socket's `hello` (from its database thread), so that a
    reloaded page can rejoin it."""
    call = services.running_call(appointment_id=appointment_id)
    return services.call_json(call) if call is not None else None


# The socket side ------------------------------------------------------------------------------


class CallSocket:
    """The call frames of one chat socket, and the calls it is a party's socket for."""

    def __init__(
        self,
        *,
        user: User,
        appointment_id: UUID,
        channel_name: str,
        channel_layer: Any,
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.user, self.appointment_id = user, appointment_id
        self.channel_name, self.channel_layer, self.send = channel_name, channel_layer, send
        self.signals = Budget(SIGNAL_BUDGET, SIGNAL_WINDOW)
        self.parties: set[UUID] = set()  # the calls this socket speaks for its user in

    async def receive(self, content: dict[str, Any]) -> None:
        kind = content["type"]
        try:
            await self._receive(kind, content)
        except DomainError as error:
            await self.send(error_frame(error, kind))

    async def _receive(self, kind: str, content: dict[str, Any]) -> None:
        call_id = content.get("callId")
        user, appointment_id, channel = self.user, self.appointment_id, self.channel_name
        if kind == "call.start":
            frames = await _start(user, appointment_id, channel)
            self.parties.add(UUID(frames[0]["call"]["id"]))
        elif kind == "call.accept":
            frames = await _accept(user, appointment_id, call_id, channel)
            self.parties.add(UUID(frames[0]["call"]["id"]))
        elif kind == "call.rejoin":
            frames, other = await _rejoin(user, appointment_id, call_id, channel)
            self.parties.add(UUID(frames[0]["call"]["id"]))
            if other:
                await self._to(other, "chat.call_rejoined", frames[0]["call"]["id"], {})
        elif kind == "call.signal":
            signal = checked_signal(content.get("signal"))
            other = await _route(user, appointment_id, call_id)
            await self._to(other, "chat.call_signal", call_id, {"signal": signal})
            return
        elif kind == "call.decline":
            await _decline(user, appointment_id, call_id)
            return
        else:  # call.hangup
            await _hangup(user, appointment_id, call_id)
            return
        for frame in frames:
            await self.send(frame)

    async def _to(self, channel: str, event: str, call_id: Any, extra: dict[str, Any]) -> None:
        """An event for the other party's socket alone; it passes that socket's access guard."""
        if channel:
            await self.channel_layer.send(
                channel,
                {"type": event, "callId": str(call_id), "from": str(self.user.pk), **extra},
            )

    def heard(self, call: dict[str, Any]) -> None:
        """A call's new state reached this socket: an ended call is nobody's any more."""
        if call["state"] == "ended":
            self.parties.discard(UUID(call["id"]))

    async def closed(self) -> None:
        """The socket went: each call it spoke in waits for its party to rejoin, then ends."""
        for call_id in self.parties:
            try:
                await _lost(call_id, self.channel_name)
            except Exception:  # the periodic run ends the call if this is lost
                logger.exception("A call's lost connection was not recorded")
        self.parties.clear()
