"""Django's database sessions, read with a hand-written query.

Every request of a signed-in user reads its session, and every open chat polls every 5 seconds:
compiling the ORM query each time cost as much as running it (docs/benchmarks.md). Writing,
expiry and clean-up stay Django's own. `vetchat.cached_sessions` puts a shared cache in front.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

_TABLE = connection.ops.quote_name(Session._meta.db_table)
_LOAD_SQL = f"SELECT session_data FROM {_TABLE} WHERE session_key = %s AND expire_date > %s"  # noqa: S608  # nosec B608  # Django's table name; values are parameters


class HandWrittenLoad:
    """Loads the session row with one hand-written query instead of the ORM."""

    session_key: str | None
    _session_key: str | None

    def _get_session_from_db(self) -> Session | None:
        with connection.cursor() as cursor:
            cursor.execute(_LOAD_SQL, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # unknown or expired: a new session starts, as in Django
            return None
        return Session(session_key=self.session_key, session_data=row[0])


class SessionStore(HandWrittenLoad, db.SessionStore):
    pass
