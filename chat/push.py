"""Pushes to open sockets through the channel layer (Redis): a doorbell, never the record.

Every push is sent after the change has committed, before the request that made it answers (or
at most `ANSWER_AFTER_PUSH_SECONDS` later), and a push that fails is logged and dropped:
PostgreSQL's `(chat, seq)` is the log, so a client that missed a push catches up with
`after=<lastSeq>`. Nothing here ever fails or rolls back the change that caused it.
"""

import atexit
import functools
import hashlib
import logging
import os
import queue
import threading
import time
from typing import Any
from uuid import UUID

from channels.layers import get_channel_layer

from appointments.access import with_participants
from appointments.models import Appointment
from chat.events import (
    ChatMarkedUnread,
    ChatRead,
    Event,
    MessageChanged,
    MessageCreated,
    MessageResent,
)
from chat.fanout import Fanout, Sends
from chat.shapes import message_json

logger = logging.getLogger(__name__)


def chat_group(appointment_id: UUID) -> str:
    """Every socket open on one appointment's chat, on any app server."""
    return f"chat.{appointment_id.hex}"


def user_group(user_id: UUID) -> str:
    """Every socket of one user: they ask again together when the user's access changed."""
    return f"user.{user_id.hex}"


def session_group(session_key: str) -> str:
    """Every socket opened with one session: closed together when it signs out."""
    # The key itself is a credential; the group name is visible to anyone who can read Redis.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


class _Pusher:
    """One thread per process that hands pushes to the channel layer, in order.

    A request queues its pushes and waits for them: it pays no new event loop and Redis
    connection per push (`async_to_sync` costs both, about 3 ms each, measured), and a Redis that
    is slow or down holds a send `ANSWER_AFTER_PUSH_SECONDS` at most. Pushes from one process
    reach Redis in the order they were queued, so a chat's messages arrive in seq order and
    clients rarely need to backfill.
    The thread's own work is kept small too (`chat.fanout`: blocking calls, no event loop, one
    or two round trips for all of a message's pushes), since it shares the interpreter with the
    requests.
    """

    MAX_QUEUED = 10_000
    MAX_TOGETHER = 100  # pushes handed to Redis in the same round trips, at most

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Sends | threading.Event] | None = None
        self._pid = 0

    def flush(self, timeout: float) -> bool:
        """Wait until what this process queued so far has gone to Redis (or failed); False
        when `timeout` seconds were not enough."""
        with self._lock:
            if self._queue is None or self._pid != os.getpid():
                return True
            pending = self._queue
        done = threading.Event()
        pending.put(done)
        return done.wait(timeout)

    def push(self, sends: Sends) -> None:
        """Queue pushes that go to Redis together, in this order."""
        pending = self._started()
        if pending.qsize() >= self.MAX_QUEUED:
            groups = ", ".join(group for group, _ in sends)
            logger.error("Push queue full; dropped a push to %s (clients catch up by seq)", groups)
            return
        pending.put(sends)

    def _started(self) -> "queue.SimpleQueue[Sends | threading.Event]":
        with self._lock:
            # A forked worker inherits the object but not the thread.
            if self._queue is None or self._pid != os.getpid():
                pending: queue.SimpleQueue[Sends | threading.Event] = queue.SimpleQueue()
                thread = threading.Thread(target=self._run, args=(pending,), daemon=True)
                thread.name = "chat-push"
                thread.start()
                self._queue, self._pid = pending, os.getpid()
            return self._queue

    @staticmethod
    def _run(pending: "queue.SimpleQueue[Sends | threading.Event]") -> None:
        fanout = Fanout(get_channel_layer())
        while True:
            sends: Sends = []
            flushed: list[threading.Event] = []
            item = pending.get()
            # Whatever else waits goes in the same round trips.
            while True:
                if isinstance(item, threading.Event):
                    flushed.append(item)
                else:
                    sends += item
                if len(sends) >= _Pusher.MAX_TOGETHER:
                    break
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    break
            if sends:
                _Pusher._send(fanout, sends)
            for done in flushed:
                done.set()

    @staticmethod
    def _send(fanout: Fanout, sends: Sends) -> None:
        try:
            over = fanout.group_send_many(sends)
        except Exception:
            groups = ", ".join(group for group, _ in sends)
            logger.exception("Push to %s failed; clients catch up by seq", groups)
        else:
            if over:
                logger.info("%s channels over capacity; their pushes dropped", over)


_pusher = _Pusher()
# A process that stops (a deploy's SIGTERM, a job worker's restart) first hands on what it
# queued: an open page hears of a message by its push, and polls no more while its socket is up.
EXIT_FLUSH_SECONDS = 5
atexit.register(_pusher.flush, EXIT_FLUSH_SECONDS)
# A request answers once its pushes reached Redis (a millisecond or two): a server killed after
# answering can then not take an acknowledged message's push with it. A Redis that is slow or
# away holds an answer this long at most, and the push goes on in the background.
ANSWER_AFTER_PUSH_SECONDS = 0.2


def group_send(group: str, event: dict[str, Any]) -> None:
    """Queue a push from synchronous code (a request's after-commit work); never raises."""
    group_send_together([(group, event)])


def group_send_together(sends: Sends) -> None:
    """Queue pushes that reach Redis in the same round trips, in this order, and wait (at most
    `ANSWER_AFTER_PUSH_SECONDS`) until they have; never raises."""
    try:
        _pusher.push(sends)
        _pusher.flush(ANSWER_AFTER_PUSH_SECONDS)
    except Exception:
        groups = ", ".join(group for group, _ in sends)
        logger.exception("Push to %s not queued; clients catch up by seq", groups)


def _message(*, appointment_id: UUID, message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return chat_group(appointment_id), {"type": "chat.message", "message": message}


def _read(
    *, appointment_id: UUID, user_id: UUID, last_read_seq: int, name: str = "", clinic: bool = False
) -> tuple[str, dict[str, Any]]:
    return chat_group(appointment_id), {
        "type": "chat.read",
        "userId": str(user_id),
        "lastReadSeq": last_read_seq,
        "name": name,
        "clinic": clinic,
    }


def push_changed(*, appointment_id: UUID, rev: int) -> None:
    """A doorbell only: each page fetches what changed since the rev it holds, as it reads it."""
    group_send(chat_group(appointment_id), {"type": "chat.changed", "rev": rev})


def push_chat_status(*, appointment_id: UUID, status: str) -> None:
    group_send(chat_group(appointment_id), {"type": "chat.status", "status": status})


def push_chat_alert(*, appointment_id: UUID, alert: dict[str, Any]) -> None:
    """Something every open page of the chat must show at once (e.g. a red flag's banner);
    `alert` names its `kind`, and the page decides how to show it."""
    group_send(chat_group(appointment_id), {"type": "chat.alert", "alert": alert})


def recheck_access_of_user(user_id: UUID) -> None:
    """Every open chat socket of this user checks its access again now (a co-ownership revoked,
    taken off a care team, handed over) and closes if it is gone."""
    group_send(user_group(user_id), {"type": "access.recheck"})


def close_sockets_of_session(session_key: str) -> None:
    group_send(session_group(session_key), {"type": "socket.revoke"})


def _unread(*, user_id: UUID, appointment_id: UUID) -> tuple[str, dict[str, Any]]:
    return user_group(user_id), {"type": "user.unread", "appointmentId": str(appointment_id)}


def push_chat_event(event: Event) -> None:
    """The chat events' subscriber (registered in `ChatConfig.ready`); runs after commit.

    An event's pushes are queued together, so they reach Redis in the same round trips.
    """
    if isinstance(event, MessageCreated):
        # Nobody has read a message that was just stored.
        message = message_json(event.message, is_read=False)
        group_send_together(
            [
                _message(appointment_id=event.appointment_id, message=message),
                *(
                    _unread(user_id=recipient, appointment_id=event.appointment_id)
                    for recipient in _participants(event.appointment_id, _period())
                    if recipient != event.message.sender_id
                ),
            ]
        )
    elif isinstance(event, MessageResent):
        message = message_json(event.message, is_read=False)
        group_send_together([_message(appointment_id=event.appointment_id, message=message)])
    elif isinstance(event, MessageChanged):
        push_changed(appointment_id=event.appointment_id, rev=event.message.rev)
    elif isinstance(event, ChatRead):
        read = _read(
            appointment_id=event.appointment_id,
            user_id=event.user_id,
            last_read_seq=event.last_read_seq,
            name=event.user_name,
            clinic=event.clinic,
        )
        # The reader's other tabs: their lists show one unread count fewer.
        unread = _unread(user_id=event.user_id, appointment_id=event.appointment_id)
        group_send_together([read, unread])
    elif isinstance(event, ChatMarkedUnread):
        group_send(*_unread(user_id=event.user_id, appointment_id=event.appointment_id))


PARTICIPANTS_TTL = 30  # seconds


def _period() -> int:
    return int(time.monotonic() // PARTICIPANTS_TTL)


@functools.lru_cache(maxsize=4096)
def _participants(appointment_id: UUID, period: int) -> tuple[UUID, ...]:
    """Whose unread badge a message changes: everyone in the chat (the sender is skipped).

    Remembered per process for a while (`period`): a send then costs no query for it. Stale
    after the care team or the co-owners change, which is harmless: the ring only makes a list
    ask the API for its own counts, and the lists refresh every 20 s anyway.
    """
    row = (
        with_participants(Appointment.objects.filter(pk=appointment_id))
        .values_list(
            "pet_parent_id", "veterinarian_id", "team_vet_ids", "technician_ids", "co_owner_ids"
        )
        .first()
    )
    if row is None:
        return ()
    parent, vet, team_vets, technicians, co_owners = row
    return (parent, vet, *team_vets, *technicians, *co_owners)
