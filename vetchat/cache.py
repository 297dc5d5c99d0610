"""The shared cache (Redis), failing open.

Everything the cache holds is a shortcut or a limit: sessions live in PostgreSQL, pushes are
doorbells, and a limit that cannot count lets the request through. So while Redis is down each
cache call answers as an empty cache would (and logs it) instead of failing the request; this
covers libraries that call the cache themselves, such as allauth's sign-in limits. `/readyz`
still tells a load balancer that Redis is away: what it writes does not read back.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)


def _fail_open(name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
    method = getattr(RedisCacheClient, name)

    def call(self: RedisCacheClient, *args: Any) -> Any:
        try:
            return method(self, *args)
        except (ConnectionError, TimeoutError):
            logger.warning("Cache unreachable: %s answered as by an empty cache", name)
            return answer(*args)

    call.__name__ = name
    return call


class FailOpenClient(RedisCacheClient):
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
        self._class = FailOpenClient
