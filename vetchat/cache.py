"""The shared cache (Redis), failing open.

Everything the cache holds is a shortcut or a limit: sessions live in PostgreSQL, pushes are
doorbells, and a limit that cannot count lets the request through. So while Redis is down each
cache call answers as an empty cache would (and logs it) instead of failing the request; this
covers libraries that call the cache themselves. The exception is allauth's guessing limits
(sign-in, second factor, sign-up, reset): they move to PostgreSQL (vetchat.limit_fallback).
`/readyz` still tells a load balancer that Redis is away: what it writes does not read back.
With Sentinel (a `redis+sentinel://` URL, vetchat.redis_hosts) the same holds for the seconds
a failover takes, and the next connection goes to the promoted replica.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import Redis
from redis.exceptions import ConnectionError, TimeoutError

from vetchat.limit_fallback import fallback_cache, is_limit_key
from vetchat.redis_hosts import connection_pool, is_sentinel_url

logger = logging.getLogger(__name__)

# One Redis client (and its connection pool) per process and server, however many cache objects
# there are. Under ASGI Django keeps its cache objects in context variables, so each asyncio task
# (each WebSocket, from its handshake's session read on) gets a cache object of its own, and
# with it a pool that kept a Redis connection open for as long as the socket: 2,053 Redis clients
# for 2,000 idle sockets, measured, and Redis refuses clients past 10,000 by default. Django's
# client also built a `redis.Redis` for every call, filling its table of ~170 response callbacks
# each time: 12% of the CPU of a cached poll, profiled. A `redis.Redis` over a pool is safe to
# share between threads; it takes a connection from the pool only while a command runs.
_clients: dict[tuple[str, str], Redis] = {}
_clients_lock = threading.Lock()
# The calls whose first argument is one key, as Django's database cache takes them too.
SINGLE_KEY_CALLS = {"get", "add", "set", "delete", "has_key", "touch", "incr"}


def _fail_open(name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
    method = getattr(RedisCacheClient, name)

    def call(self: RedisCacheClient, *args: Any) -> Any:
        try:
            return method(self, *args)
        except (ConnectionError, TimeoutError):
            if name in SINGLE_KEY_CALLS and is_limit_key(args[0]):
                # Guessing limits must hold through an outage: they count in PostgreSQL.
                logger.warning("Cache unreachable: %s of a sign-in limit kept in PostgreSQL", name)
                return getattr(fallback_cache(), name)(*args)
            logger.warning("Cache unreachable: %s answered as by an empty cache", name)
            return answer(*args)

    call.__name__ = name
    return call


class FailOpenClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        shared = repr((self._pool_class, sorted(self._pool_options.items())))
        self._shared_keys = [(server, shared) for server in self._servers]

    def get_client(self, key: str | None = None, *, write: bool = False) -> Redis:
        shared_key = self._shared_keys[self._get_connection_pool_index(write)]
        client = _clients.get(shared_key)
        if client is None:
            with _clients_lock:
                if shared_key not in _clients:
                    pool = connection_pool(
                        shared_key[0], pool_class=self._pool_class, **self._pool_options
                    )
                    _clients[shared_key] = self._client(connection_pool=pool)
                client = _clients[shared_key]
        return client

    get = _fail_open("get", lambda key, default: default)
    get_many = _fail_open("get_many", lambda keys: {})
    has_key = _fail_open("has_key", lambda key: False)
    # As if stored: a lock taken with add() (allauth's limits) must not spin on a dead cache.
    add = _fail_open("add", lambda key, value, timeout: True)
    set = _fail_open("set", lambda key, value, timeout: None)
    set_many = _fail_open("set_many", lambda data, timeout: [])
    touch = _fail_open("touch", lambda key, timeout: False)
    delete = _fail_open("delete", lambda key: False)
    delete_many = _fail_open("delete_many", lambda keys: None)
    incr = _fail_open("incr", lambda key, delta: delta)  # a first hit: never over a limit
    clear = _fail_open("clear", lambda: False)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        if isinstance(server, str) and is_sentinel_url(server):
            # One primary named by the sentinels the URL lists, not a server per comma.
            self._servers = [server]
        self._class = FailOpenClient
