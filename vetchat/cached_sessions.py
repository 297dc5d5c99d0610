"""Sessions read from the shared cache (Redis) and written through to the database.

The poll and the WebSocket handshake then skip the session query. What makes a session stop
working at once is not cached: sign-out deletes the row and the cache entry, and the user (whose
password hash and `is_active` decide the rest) is still loaded from the database on every request
by `accounts.backends.EmailBackend.get_user`.

A cache that is down never fails a request: reads fall back to the database, and writes are
logged. A cache entry lives at most `SESSION_CACHE_SECONDS`, which bounds how long a sign-out
whose cache delete failed could be undone by a cache that comes back with old data.
"""

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db

from vetchat.sessions import HandWrittenLoad

logger = logging.getLogger(__name__)

SESSION_CACHE_SECONDS = 300


class SessionStore(HandWrittenLoad, cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # a cache that is down, or a key a cache refuses
            logger.warning("Session cache unavailable on read", exc_info=True)
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        # The row's expiry is not read; an expired row is never returned, and an entry lives
        # shorter than any session.
        self._cache_set(data, SESSION_CACHE_SECONDS)
        return data

    def save(self, must_create: bool = False) -> None:
        super(cached_db.SessionStore, self).save(must_create)
        self._cache_set(self._session, self.get_expiry_age())

    def delete(self, session_key: str | None = None) -> None:
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            logger.exception("Session cache unavailable on delete of a session")

    def _cache_set(self, data: dict[str, Any], expiry_age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(expiry_age, SESSION_CACHE_SECONDS))
        except Exception:
            logger.warning("Session cache unavailable on write", exc_info=True)
