"""What happened to a chat, told to whoever subscribed: the seam push, notifications and the
record hang off.

Services publish inside their transaction. Subscribers registered with `in_transaction=True`
run at once, inside it (a job deferred there is rolled back with the send); the others run only
after commit, so nobody hears of a message that was never stored. One failing subscriber is
logged and never fails the change or stops the others: PostgreSQL's `(chat, seq)` is the event
log, and a client that missed a push catches up with `after=<lastSeq>`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from django.db import transaction

from chat.selectors import MessageRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageCreated:
    appointment_id: UUID
    chat_id: int
    message: MessageRow
    clinic_id: int


@dataclass(frozen=True)
class MessageResent:
    """A send retried with its `clientId` found the message stored the first time. The first
    answer may have been lost with a server that died after the commit, and its push with it:
    the message is pushed again (clients keep each seq once), and nothing else happens."""

    appointment_id: UUID
    message: MessageRow


@dataclass(frozen=True)
class MessageChanged:
    """A stored message was edited, retracted or acknowledged; `message` is how it now stands."""

    appointment_id: UUID
    chat_id: int
    message: MessageRow
    change: str  # "edited", "retracted" or "acknowledged"


@dataclass(frozen=True)
class ChatRead:
    """A participant's read cursor moved forward to `last_read_seq`."""

    appointment_id: UUID
    chat_id: int
    user_id: UUID
    last_read_seq: int
    user_name: str = ""
    clinic: bool = False  # the reader is on the clinic's side


@dataclass(frozen=True)
class ChatMarkedUnread:
    """A participant marked the chat unread for themselves from `from_seq`."""

    appointment_id: UUID
    chat_id: int
    user_id: UUID
    from_seq: int


Event = MessageCreated | MessageResent | MessageChanged | ChatRead | ChatMarkedUnread
Subscriber = Callable[[Event], None]

_in_transaction: list[Subscriber] = []
_after_commit: list[Subscriber] = []


def subscribe(subscriber: Subscriber, *, in_transaction: bool = False) -> Subscriber:
    """Register a subscriber for every chat event; it picks the events it cares about."""
    subscribers = _in_transaction if in_transaction else _after_commit
    if subscriber not in subscribers:
        subscribers.append(subscriber)
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    for subscribers in (_in_transaction, _after_commit):
        if subscriber in subscribers:
            subscribers.remove(subscriber)


def publish(event: Event) -> None:
    """Hand the event to the in-transaction subscribers now and to the others after commit."""
    for subscriber in _in_transaction:
        subscriber(event)  # their failure is the change's failure: they share its transaction
    for subscriber in _after_commit:
        transaction.on_commit(partial(_deliver, subscriber, event))


def _deliver(subscriber: Subscriber, event: Event) -> None:
    try:
        subscriber(event)
    except Exception:
        logger.exception("Chat event subscriber %r failed on %s", subscriber, type(event).__name__)
