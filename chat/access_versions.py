"""Access versions: the guard every live event passes before it reaches a socket.

Whenever who may read a chat changes (a care team or the co-owners change, a hand-over, an
account deactivated, its role or password changed, a sign-out), a fresh random token is written
for that appointment or that user in the channel layer's Redis. A socket remembers the pair of
tokens it was last allowed under; an event that finds another pair makes it ask the access module
again (the database) before anything is delivered, and close if the answer is no. So a lost
close push never lets a later event through, and a chat nobody's access changed in costs one Redis
read per event and no query.

Random tokens rather than counters: a key that expired or a Redis that restarted reads as a new
pair (a re-check), never as the same one.
"""

import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import redis
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from chat.fanout import blocking_client

logger = logging.getLogger(__name__)

# Longer than any session lives (accounts.middleware.MAX_SESSION_AGE), so a socket never outlives
# its token without noticing.
TTL = 15 * 24 * 60 * 60

Versions = tuple[bytes | None, bytes | None]


def appointment_key(layer: RedisChannelLayer, appointment_id: UUID) -> str:
    return f"{layer.prefix}:access:appointment:{appointment_id.hex}"


def user_key(layer: RedisChannelLayer, user_id: UUID) -> str:
    return f"{layer.prefix}:access:user:{user_id.hex}"


class _Writer:
    """A blocking connection per process to the layer's first host, where every version lives."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: redis.Redis | None = None
        self._pid = 0

    def client(self, layer: RedisChannelLayer) -> redis.Redis:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client, self._pid = blocking_client(layer.hosts[0]), os.getpid()
            return self._client


_writer = _Writer()


def access_changed(*, appointment_ids: Iterable[UUID] = (), user_ids: Iterable[UUID] = ()) -> None:
    """New versions for these appointments and users; called after the change committed.

    Never raises: the change stands, and sockets that ping re-check within a minute anyway.
    """
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        return  # one process, in memory: its sockets hear the close push itself
    keys = [appointment_key(layer, pk) for pk in appointment_ids]
    keys += [user_key(layer, pk) for pk in user_ids]
    if not keys:
        return
    try:
        with _writer.client(layer).pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, secrets.token_hex(8), ex=TTL)
            pipe.execute()
    except redis.RedisError:
        logger.exception("Access versions not written for %s keys", len(keys))


async def current(layer: Any, *, appointment_id: UUID, user_id: UUID) -> Versions:
    """The versions a socket of this user on this appointment's chat is allowed under now."""
    if not isinstance(layer, RedisChannelLayer):
        return (None, None)
    connection = layer.connection(0)
    values = await connection.mget(appointment_key(layer, appointment_id), user_key(layer, user_id))
    return values[0], values[1]


async def joined(
    layer: Any, *, channel: str, groups: list[str], appointment_id: UUID, user_id: UUID
) -> Versions:
    """`current()`, then the socket's channel added to its groups, as `group_add` adds it:
    in one round trip to a single Redis (a reconnect storm pays for each), one after the
    other otherwise."""
    if not isinstance(layer, RedisChannelLayer) or len(layer.hosts) > 1:
        versions = await current(layer, appointment_id=appointment_id, user_id=user_id)
        for group in groups:
            await layer.group_add(group, channel)
        return versions
    layer.require_valid_channel_name(channel)
    now = time.time()
    async with layer.connection(0).pipeline(transaction=False) as pipe:
        pipe.mget(appointment_key(layer, appointment_id), user_key(layer, user_id))
        for group in groups:
            layer.require_valid_group_name(group)
            key = layer._group_key(group)
            pipe.zadd(key, {channel: now})
            pipe.expire(key, layer.group_expiry)
        answers = await pipe.execute()
    return answers[0][0], answers[0][1]
