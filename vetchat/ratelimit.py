"""Fixed-window counters in the shared cache, for limits Django and allauth do not set.

Each rate is "N/period" (s, m, h, d). A window is counted in the cache under a key that names
the scope, the window and a hash of who is counted; the first hit over any window's limit
raises `RateLimited` with the seconds until that window ends. With Redis as the cache every
app server counts together; with a per-process cache each process counts on its own.
`client_ip` tells clients apart as the sign-in limits do, for whoever else needs to.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

from vetchat import observability
from vetchat.errors import RateLimited

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        count, _, period = text.partition("/")
        return cls(limit=int(count), seconds=PERIODS[period])


def rates_for(scope: str) -> list[Rate]:
    return [Rate.parse(text) for text in settings.VETCHAT_RATE_LIMITS.get(scope, [])]


def hit(*, scope: str, key: str, message: str = "Too many requests. Slow down.") -> None:
    """Count one action by `key` in `scope`; raise RateLimited when a window is full.

    A cache that cannot be reached lets the action through: a send must not fail because the
    counters are down (PostgreSQL, not Redis, holds the chat).
    """
    try:
        _count(scope=scope, key=key, message=message)
    except RateLimited:
        raise
    except Exception:
        logger.warning("Rate limit %s not counted: the cache is unreachable", scope, exc_info=True)


def _count(*, scope: str, key: str, message: str) -> None:
    now = time.time()
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    for rate in rates_for(scope):
        window = int(now // rate.seconds)
        count = _counted(f"ratelimit:{scope}:{rate.seconds}:{window}:{digest}", rate.seconds + 1)
        if count > rate.limit:
            retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
            observability.rate_limit_refused(scope)
            raise RateLimited(message, retry_after=retry_after)


def _counted(cache_key: str, timeout: int) -> int:
    """One more hit in a window's counter, and the count so far.

    With Redis, one round trip: SET NX then INCR, pipelined (Django's add() and incr() took
    three: SET NX, EXISTS and INCR). Elsewhere (the per-process cache), the same through the
    cache's API.
    """
    client = getattr(cache, "_cache", None)
    if isinstance(client, RedisCacheClient):
        key = cache.make_and_validate_key(cache_key)
        pipe = client.get_client(key, write=True).pipeline(transaction=False)
        # NX: a window's first hits, however many at once, never reset its count.
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=timeout)
        return 1


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, told apart as the sign-in limits tell it (allauth's rule).

    Behind DJANGO_TRUSTED_PROXY_COUNT proxies it is the entry that many places from the right
    of X-Forwarded-For, which no client can choose; without proxies, the socket's peer. None
    when it cannot be told (a header with fewer entries than there are proxies).
    """
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return None
