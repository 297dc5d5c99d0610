"""Reads that may lag, sent to the replica; everything else to the primary.

A streaming replica (`DATABASE_REPLICA_URL`) replays the primary's writes a moment later: under
a second on one network, longer while it catches up after a restart or a burst. So only reads
whose callers accept that go there, each inside `reading_from_replica()`: search (a message sent
a moment ago may not be found yet) and transcripts (one may end a moment before the chat does).
The chat itself (its page, poll, socket and sends) reads the primary, so a sender always sees
what they sent. A read inside a transaction on the primary stays there too: it may be reading
its own writes, or rows it has locked. Without a replica the scope changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Within it (a `with` block, or a decorated function), reads of this thread or task go to
    the replica when there is one."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str:
        if (
            _replica_reads.get()
            and replica_configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica replays the primary's migrations
