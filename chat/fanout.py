"""Many channel-layer group sends in one or two Redis round trips, from a plain thread.

`channels_redis`' `group_send` pays for one group four round trips through asyncio when
sockets listen (prune the group, read it, prune each channel, add the message) and two when none
does; the push thread's share of the interpreter, which it takes from the request that sent,
was about 0.25 ms a message, measured. Here a message's pushes (its chat's group and the
recipients' user groups) go together on a blocking connection: one script prunes and reads every
group, and one more, only when some socket listens, prunes and fills every channel. What lands
in Redis is what `group_send` writes (the layer's own keys, serializer, capacities and expiries),
so the consumers' `receive` reads it unchanged, in the order given.
"""

import time
from collections import defaultdict
from typing import Any

import redis
import redis.sentinel
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer

from vetchat import observability

# KEYS: groups' keys; ARGV[1]: the newest score to drop. Returns each group's channel names.
_READ_GROUPS = """
local members = {}
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, ARGV[1])
    members[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
end
return members
"""

# KEYS: channels' keys, a key once per message for it; ARGV: n messages, n capacities, n
# scores, then the newest score to drop and the expiry. Returns how many were over capacity.
_FILL_CHANNELS = """
local n = #KEYS
local stale, expiry = ARGV[3 * n + 1], ARGV[3 * n + 2]
local over = 0
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, stale)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], ARGV[2 * n + i], ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over = over + 1
    end
end
return over
"""

Sends = list[tuple[str, dict[str, Any]]]


def blocking_client(host: dict[str, Any]) -> redis.Redis:
    """A blocking client for one of the layer's hosts, configured as its asyncio pool is."""
    host = dict(host)
    if "address" in host:
        return redis.Redis.from_url(host.pop("address"), **host)
    master_name = host.pop("master_name", None)
    if master_name is not None:
        sentinel = redis.sentinel.Sentinel(
            host.pop("sentinels"), sentinel_kwargs=host.pop("sentinel_kwargs", None)
        )
        return sentinel.master_for(master_name, **host)
    return redis.Redis(**host)


class Fanout:
    """Group sends for one thread: its own blocking connections, one per Redis host."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self._redis = isinstance(layer, RedisChannelLayer)
        if self._redis:
            clients = [blocking_client(host) for host in layer.hosts]
            self._read_groups = [client.register_script(_READ_GROUPS) for client in clients]
            self._fill_channels = [client.register_script(_FILL_CHANNELS) for client in clients]

    def group_send_many(self, sends: Sends) -> int:
        """Send each `(group, message)` in order; returns how many channels were over capacity.

        A layer other than Redis's takes them one by one, through its own `group_send`.
        """
        if not self._redis:
            for group, message in sends:
                async_to_sync(self.layer.group_send)(group, message)
            return 0
        try:
            sent, over = self._send(sends)
        except Exception:
            observability.pushes_failed(len(sends))
            raise
        observability.pushes_sent(sent=sent, over_capacity=over)
        return over

    def _send(self, sends: Sends) -> tuple[int, int]:
        """The sends through Redis: how many channels (one per socket server process with
        sockets listening) took their message, and how many were over capacity."""
        layer: RedisChannelLayer = self.layer
        by_host: dict[int, Sends] = defaultdict(list)
        for group, message in sends:
            layer.require_valid_group_name(group)  # raises TypeError, as group_send does
            by_host[layer.consistent_hash(group)].append((group, message))
        # (key, serialized message, capacity) per host, in the order of the sends.
        fills: dict[int, list[tuple[str, bytes, int]]] = defaultdict(list)
        for index, host_sends in by_host.items():
            members = self._read_groups[index](
                keys=[layer._group_key(group) for group, _ in host_sends],
                args=[int(time.time()) - layer.group_expiry],
            )
            for (_, message), names in zip(host_sends, members, strict=True):
                if names:
                    hosts, messages, capacities = layer._map_channel_keys_to_connection(
                        [name.decode() for name in names], message
                    )
                    for channel_host, keys in hosts.items():
                        fills[channel_host].extend(
                            (key, messages[key], capacities[key]) for key in keys
                        )
        over = sum(self._fill(index, items) for index, items in fills.items())
        return sum(len(items) for items in fills.values()) - over, over

    def _fill(self, index: int, items: list[tuple[str, bytes, int]]) -> int:
        now = time.time()
        # A score apart for each, so that one socket receives two messages in the given order.
        scores = [repr(now + position * 1e-6) for position in range(len(items))]
        return self._fill_channels[index](
            keys=[key for key, _, _ in items],
            args=[
                *[message for _, message, _ in items],
                *[capacity for _, _, capacity in items],
                *scores,
                int(now) - int(self.layer.expiry),
                self.layer.expiry,
            ],
        )
