"""Where sign-in and second-factor limits are counted while Redis is away: a table in
PostgreSQL.

Every other thing the cache holds fails open (vetchat.cache), but a guessing limit that lets
everything through while Redis is down would hand an attacker the outage: 20 wrong passwords
would all be tried. So allauth's counters (sign-in, second factor, sign-up, reset; keys under
`allauth:rl:`) move to this table for as long as Redis cannot be reached. It is Django's
database cache, which takes the same calls allauth makes (add as a lock, get, set, delete);
the counts start afresh in it, and Redis's are used again once it is back.
"""

from functools import cache

from django.core.cache.backends.db import DatabaseCache

TABLE = "vetchat_limit_fallback"
# A key as the Redis cache client sees it: "<KEY_PREFIX>:<version>:allauth:rl:…".
LIMIT_KEY_MARK = ":allauth:rl:"


def is_limit_key(key: object) -> bool:
    return isinstance(key, str) and LIMIT_KEY_MARK in key


@cache
def fallback_cache() -> DatabaseCache:
    # Culling deletes the oldest third of the rows once there are more than MAX_ENTRIES; with
    # counters that would forget live windows, so the ceiling is far above any outage's count.
    return DatabaseCache(TABLE, {"OPTIONS": {"MAX_ENTRIES": 1_000_000}})
