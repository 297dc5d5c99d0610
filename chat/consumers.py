"""The live chat socket: `/ws/appointment-chat/<appointmentId>/[?after=<lastSeq>]`.

A doorbell beside the HTTP API, which stays the one write path: messages are sent with
`POST /api/appointment-chat/messages`. The socket joins its chat's groups before it reads the
chat, so whatever commits later is pushed; its `hello` carries the chat's cursors (`lastSeq`,
`rev`, `otherLastReadSeq`) as they stood then, and, with `after=<lastSeq>` in the URL, the
messages since (`messages`, up to `RESYNC_LIMIT`, with `hasMore` when there are more to fetch
with `GET …?after=`). A reconnect that missed nothing costs two queries: the user, and the chat
with its running call. A push may repeat a message of the `hello`; clients keep each seq once.

Close codes (after the handshake, so a browser can tell them from a server that is down):
4400 an `after` that is not a seq (an `error` frame says so first); 4401 not signed in or
signed out since; 4404 no such appointment, or one this user may not see (the same answer for
both, as at every other door); 4403 one this user may see but not chat in (clinic staff, who
read chats in the admin; the API answers them 403); 4429 more frames than the per-connection
budget.

Access ends everywhere at once: a change of who may read a chat pushes a re-check to the user's
sockets, every event from the chat passes the access versions' guard first (`chat.access_versions`:
a lost push lets nothing through), and each socket wakes when its sign-in ends (idle or absolute
limit) and, well inside the channel layer's `group_expiry`, to renew its groups.
"""

import asyncio
import json
import logging
import os
import time
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from channels.db import database_sync_to_async
from django.core.cache import cache

from accounts.middleware import mfa_pending, session_ends_at
from accounts.models import User
from appointments.access import Action
from calls.signalling import CALL_FRAMES, CallSocket, running_call_json
from chat import access_versions
from chat.models import MAX_SEQ
from chat.push import chat_group, session_group, user_group
from chat.selectors import chat_messages
from chat.services import access_chat
from chat.shapes import messages_json, other_side_read
from vetchat import observability
from vetchat.errors import NotFound, NotPermitted
from vetchat.socket_entry import SignedInConsumer, session_and_user

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_PERMITTED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
# Frames one connection may send per window. Typing (at most every 2 s) and pings (every 25 s)
# stay far below it; a client over it is closed, and reconnects with its backoff.
FRAME_BUDGET = 20
FRAME_WINDOW = 10
# At most one typing notice per user per chat in this many seconds, across app servers.
TYPING_INTERVAL = 3
# A ping re-checks the session, the user and their access at most this often.
RECHECK_INTERVAL = 20
# Messages a `hello` carries at most; a client fetches the rest with `after=`.
RESYNC_LIMIT = 200
# Off only for `make bench`, which compares delivery with and without the per-event guard.
GUARD = os.environ.get("VETCHAT_SOCKET_GUARD", "on") != "off"


def display_name(user: User) -> str:
    return user.name or user.email.split("@", 1)[0]


def after_param(scope: dict[str, Any]) -> int | None:
    """The socket URL's `after`: None when absent; ValueError when it is not a seq."""
    values = parse_qs(scope.get("query_string", b"").decode("latin1")).get("after")
    if not values:
        return None
    after = int(values[-1])  # ValueError for anything but a whole number
    if not 0 <= after <= MAX_SEQ:
        raise ValueError(after)
    return after


@database_sync_to_async
def hello_for(user: User, appointment_id: UUID, after: int | None) -> dict[str, Any]:
    """The `hello` of a socket whose user may chat here (the access module's error if not), read
    in one trip to the database thread: the chat's cursors, its running call (so that a
    reloaded page rejoins it) and, with `after`, the messages since."""
    chat = access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    hello: dict[str, Any] = {
        "type": "hello",
        "lastSeq": chat.last_seq,
        "rev": chat.rev,
        "otherLastReadSeq": other_side_read(chat, user)["otherLastReadSeq"],
    }
    if chat.running_call_id is not None:
        hello["call"] = running_call_json(appointment_id)
    if after is not None:
        page = chat_messages(chat, limit=RESYNC_LIMIT, after=after)
        hello["messages"] = messages_json(page.rows, chat)
        hello["hasMore"] = page.has_more
        if page.rows:
            observability.resynced(len(page.rows))
    return hello


def signed_in(session_key: str | None, user_id: UUID) -> tuple[User, float] | None:
    """The socket's user and when their sign-in ends (epoch seconds), or None if it has: the
    session read afresh, as the next request would (signed out, expired, idle too long, the
    password changed, the account deactivated)."""
    session, user = session_and_user(session_key)
    if getattr(user, "pk", None) != user_id:
        return None
    ends = session_ends_at(session, user)
    return (user, ends) if ends > time.time() else None


@database_sync_to_async
def recheck(
    session_key: str | None, user_id: UUID, appointment_id: UUID
) -> tuple[int | None, float]:
    """Whether this socket may stay open: the close code if not (else None), and when its
    sign-in ends."""
    signed = signed_in(session_key, user_id)
    if signed is None:
        return CLOSE_UNAUTHENTICATED, 0.0
    user, ends = signed
    try:
        access_chat(user=user, appointment_id=appointment_id, action=Action.CHAT)
    except NotFound:
        return CLOSE_NOT_FOUND, ends
    except NotPermitted:
        return CLOSE_NOT_PERMITTED, ends
    return None, ends


class ChatConsumer(SignedInConsumer):
    async def connect(self) -> None:
        self.subscriptions = []
        self.window_started, self.frames = time.monotonic(), 0
        self.user: User = self.scope["user"]
        self.appointment_id: UUID = self.scope["url_route"]["kwargs"]["appointment_id"]
        # Accepted before refusing so that the close code reaches the client: a refused
        # handshake looks to a browser like a server that is down, and it would retry forever.
        if not self.user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        if mfa_pending(self.user, self.scope["session"]):
            await self.refuse(CLOSE_NOT_PERMITTED)
            return
        try:
            after = after_param(self.scope)
        except ValueError:
            await self.refuse_bad_after()
            return
        # The versions are read before access is decided: a change committed after this read
        # is a new version. The groups are joined before the chat is read: whatever commits
        # from here on is pushed, whatever committed before is in the hello. Nothing is passed
        # on before the socket is open.
        self.subscriptions = [chat_group(self.appointment_id), user_group(self.user.pk)]
        if self.scope["session"].session_key:
            self.subscriptions.append(session_group(self.scope["session"].session_key))
        self.versions = await access_versions.joined(
            self.channel_layer,
            channel=self.channel_name,
            groups=self.subscriptions,
            appointment_id=self.appointment_id,
            user_id=self.user.pk,
        )
        try:
            hello = await hello_for(self.user, self.appointment_id, after)
        except NotFound:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        except NotPermitted:
            await self.refuse(CLOSE_NOT_PERMITTED)
            return
        self.checked_at = time.monotonic()
        self.calls = CallSocket(
            user=self.user,
            appointment_id=self.appointment_id,
            channel_name=self.channel_name,
            channel_layer=self.channel_layer,
            send=self.send_json,
        )
        await self.accept()
        self.opened = True
        observability.socket_opened("chat")
        self.counted = True
        await self.send_json(hello)
        self.watch(session_ends_at(self.scope["session"], self.user))

    async def refuse_bad_after(self) -> None:
        await self.accept()
        await self.send_json(
            {
                "type": "error",
                "error": {
                    "code": "invalid",
                    "message": f"after must be a whole number from 0 to {MAX_SEQ}.",
                },
            }
        )
        await self.close(code=CLOSE_BAD_REQUEST)

    async def refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        self.gone = True
        if self.counted:
            observability.socket_closed("chat")
        if self.watcher is not None:
            self.watcher.cancel()
        for group in self.subscriptions:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.calls is not None:
            await self.calls.closed()

    # The socket's own clock --------------------------------------------------------------

    watcher: asyncio.TimerHandle | None = None
    calls: CallSocket | None = None  # the video calls' frames, once the socket is open
    gone = False  # disconnected: a check still running must not wake it again
    opened = False  # accepted as the user's chat socket: events are passed on from then
    counted = False  # among the open sockets (vetchat.observability), once accepted as open

    def watch(self, ends: float) -> None:
        """Wake when the sign-in ends, or in time to renew the groups, whichever comes first."""
        if self.gone:
            return
        renew = getattr(self.channel_layer, "group_expiry", 86400) / 2
        delay = max(0.0, min(ends - time.time(), renew))
        self.watcher = asyncio.get_running_loop().call_later(delay, self.wake)

    def wake(self) -> None:
        self.waking = asyncio.ensure_future(self.renew())

    async def renew(self) -> None:
        """Stay in the groups (the layer forgets a member after `group_expiry`, and the socket
        would hear nothing more), then close if the sign-in or the access ended. Renewed first:
        the check waits for the worker's one database thread, which a busy moment may hold."""
        if self.gone:
            return
        for group in self.subscriptions:
            await self.channel_layer.group_add(group, self.channel_name)
        code, ends = await recheck(
            self.scope["session"].session_key, self.user.pk, self.appointment_id
        )
        if code is not None:
            await self.close(code=code)
            return
        self.watch(ends)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Every event from the chat passes the access guard before it is sent on; none is
        passed on to a socket not (or never) opened."""
        if not self.opened and not message["type"].startswith("websocket."):
            return
        guarded = GUARD and message["type"].startswith("chat.")
        if guarded and not await self.versions_unchanged():
            return
        await super().dispatch(message)

    async def versions_unchanged(self) -> bool:
        """Whether this socket may still hear its chat: yes at once while nobody's access changed
        (one Redis read); otherwise after the access module said so (and closed if it did not)."""
        try:
            versions = await access_versions.current(
                self.channel_layer, appointment_id=self.appointment_id, user_id=self.user.pk
            )
        except Exception:
            logger.warning("Access versions unreadable; asking the database", exc_info=True)
            versions = (b"unreadable", None)
        if versions == self.versions:
            return True
        if not await self.still_allowed(now=True):
            return False
        self.versions = versions
        return True

    # From the client ---------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data) if text_data else None
        except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
            content = None
        # A call's signals spend a budget of their own (`calls.signalling`).
        signal = isinstance(content, dict) and content.get("type") == "call.signal"
        if not (self.calls.signals.take() if signal and self.calls else self.within_budget()):
            logger.warning("Socket closed: over its budget of %s frames", FRAME_BUDGET)
            await self.close(code=CLOSE_TOO_MANY)
            return
        await self.receive_json(content)

    def within_budget(self) -> bool:
        now = time.monotonic()
        if now - self.window_started >= FRAME_WINDOW:
            self.window_started, self.frames = now, 0
        self.frames += 1
        return self.frames <= FRAME_BUDGET

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "typing":
            await self.typing()
        elif kind == "ping":
            if not await self.still_allowed():
                return
            await self.send_json({"type": "pong"})
        elif kind in CALL_FRAMES and self.calls is not None:
            await self.calls.receive(content)
        else:
            await self.send_json(
                {
                    "type": "error",
                    "error": {
                        "code": "unknown_type",
                        "message": 'Send JSON objects of type "typing", "ping" or "call.…".',
                    },
                }
            )

    async def typing(self) -> None:
        key = f"typing:{self.appointment_id.hex}:{self.user.pk.hex}"
        try:
            first = await cache.aadd(key, 1, TYPING_INTERVAL)
        except Exception:
            logger.warning("Typing throttle unavailable; notice dropped", exc_info=True)
            return
        if first:
            await self.channel_layer.group_send(
                chat_group(self.appointment_id),
                {
                    "type": "chat.typing",
                    "userId": str(self.user.pk),
                    "name": display_name(self.user),
                },
            )

    async def still_allowed(self, *, now: bool = False) -> bool:
        """Re-check session, user and access now and then: closes a socket whose user was
        deactivated, signed out or changed password, even if its close push was lost."""
        if not now and time.monotonic() - self.checked_at < RECHECK_INTERVAL:
            return True
        self.checked_at = time.monotonic()
        code, _ = await recheck(
            self.scope["session"].session_key, self.user.pk, self.appointment_id
        )
        if code is not None:
            await self.close(code=code)
            return False
        return True

    # From the channel layer --------------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "read",
                "userId": event["userId"],
                "lastReadSeq": event["lastReadSeq"],
                "name": event.get("name", ""),
                "clinic": event.get("clinic", False),
            }
        )

    async def chat_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "changed", "rev": event["rev"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["userId"] != str(self.user.pk):
            await self.send_json(
                {"type": "typing", "userId": event["userId"], "name": event["name"]}
            )

    async def chat_status(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "chat", "status": event["status"]})

    async def chat_alert(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "alert", **event["alert"]})

    async def chat_call(self, event: dict[str, Any]) -> None:
        if self.calls is not None:
            self.calls.heard(event["call"])
        await self.send_json({"type": "call", "call": event["call"]})

    async def chat_call_signal(self, event: dict[str, Any]) -> None:
        """A signal from the other party of a call this socket speaks in (`calls.signalling`)."""
        await self.send_json(
            {
                "type": "call.signal",
                "callId": event["callId"],
                "from": event["from"],
                "signal": event["signal"],
            }
        )

    async def chat_call_rejoined(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "call.rejoined", "callId": event["callId"], "userId": event["from"]}
        )

    async def socket_revoke(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """The user may have lost access to some chat (a co-ownership revoked, taken off a care
        team): this socket asks the access module again, and closes if it said no."""
        await self.still_allowed(now=True)

    async def user_unread(self, event: dict[str, Any]) -> None:
        """For the user's lists (`InboxConsumer`); an open chat hears its own events."""


class InboxConsumer(SignedInConsumer):
    """`/ws/inbox/`: the signed-in user's doorbell for the appointment lists' unread badges.

    `{"type": "unread", "appointmentId"}` when a chat of theirs gained a message or they read
    one elsewhere; the page then asks `/api/appointments/` for the counts.
    """

    async def connect(self) -> None:
        self.subscriptions: list[str] = []
        user = self.scope["user"]
        if not user.is_authenticated or mfa_pending(user, self.scope["session"]):
            await self.accept()
            code = CLOSE_NOT_PERMITTED if user.is_authenticated else CLOSE_UNAUTHENTICATED
            await self.close(code=code)
            return
        self.subscriptions = [user_group(user.pk)]
        if self.scope["session"].session_key:
            self.subscriptions.append(session_group(self.scope["session"].session_key))
        for group in self.subscriptions:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        observability.socket_opened("inbox")
        self.counted = True
        await self.send_json({"type": "hello"})

    counted = False

    async def disconnect(self, code: int) -> None:
        if self.counted:
            observability.socket_closed("inbox")
        for group in self.subscriptions:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def user_unread(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "unread", "appointmentId": event["appointmentId"]})

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """The lists of a user who lost access to a chat refresh their rows; a socket whose
        sign-in ended (deactivated, the password changed) closes."""
        user = self.scope["user"]
        if await database_sync_to_async(signed_in)(self.scope["session"].session_key, user.pk):
            await self.send_json({"type": "unread", "appointmentId": ""})
        else:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def socket_revoke(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)
