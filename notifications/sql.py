"""The notifications' hand-written SQL: the one query every message send pays for.

The ORM took several times as long to compile the recipient's query as PostgreSQL took to run
it (0.2 ms), on the send path the benchmark watches. Identifiers come from the models and are
quoted; the answer is a small dataclass. tests/notifications/test_sql.py compares it with the
ORM's.

The query is a prepared statement of each database connection: PostgreSQL then plans its joins
once per connection instead of once per message, which took more than half of its 0.5 ms
(measured: 0.52 ms planned each time, 0.19 ms prepared). Connections are kept for
`CONN_MAX_AGE`; a new one prepares it again on its first send.
"""

import weakref
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Model
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from appointments.models import Appointment, AppointmentMember, CoOwnership
from notifications.models import Preference


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a message is for, how they want to hear of it, and whether their job already waits."""

    user_id: UUID
    role: str
    is_active: bool
    job_waiting: bool
    preference: Preference  # the stored one, or the defaults (unsaved) when they never chose


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


_PREFERENCE_FIELDS = (
    "email_enabled",
    "delay",
    "quiet_from",
    "quiet_until",
    "web_push_enabled",
    "digest_hours",
)


@cache
def _recipient_sql() -> str:
    a, u, p, j = Appointment, User, Preference, ProcrastinateJob
    m, co = AppointmentMember, CoOwnership
    preference = ", ".join(f"p.{_column(p, name)}" for name in _PREFERENCE_FIELDS)
    family = f"s.{_column(u, 'role')} = '{User.Role.PET_PARENT}'"
    return f"""
        WITH s AS (SELECT * FROM {_table(u)} WHERE {_column(u, "id")} = %(sender)s),
             a AS (SELECT * FROM {_table(a)} WHERE {_column(a, "id")} = %(appointment)s),
             other_side AS (
                 SELECT CASE WHEN {family} THEN a.{_column(a, "veterinarian")}
                             ELSE a.{_column(a, "pet_parent")} END AS id
                 FROM a, s
                 UNION
                 SELECT m.{_column(m, "user")} FROM {_table(m)} m, a, s
                 WHERE m.{_column(m, "appointment")} = a.{_column(a, "id")} AND {family}
                 UNION
                 SELECT co.{_column(co, "user")} FROM {_table(co)} co, a, s
                 WHERE co.{_column(co, "pet")} = a.{_column(a, "pet")} AND NOT {family}
                   AND co.{_column(co, "user")} IS NOT NULL
                   AND co.{_column(co, "revoked_at")} IS NULL
             )
        SELECT u.{_column(u, "id")}, u.{_column(u, "role")}, u.{_column(u, "is_active")},
               EXISTS (
                   SELECT 1 FROM {_table(j)} j
                   WHERE j.{_column(j, "queueing_lock")}
                         = 'unread:' || u.{_column(u, "id")}::text || ':' || %(chat)s
                     AND j.{_column(j, "status")} = 'todo'
               ),
               p.{_column(p, "user")} IS NOT NULL, {preference}
        FROM other_side
        JOIN {_table(u)} u ON u.{_column(u, "id")} = other_side.id
        LEFT JOIN {_table(p)} p ON p.{_column(p, "user")} = u.{_column(u, "id")}
        WHERE u.{_column(u, "id")} <> %(sender)s
        ORDER BY u.{_column(u, "id")}
    """  # noqa: S608  # nosec B608  # identifiers from our models, quoted; values are parameters


_PREPARED = "vetchat_unread_recipients"
# The psycopg connections that hold the prepared statement. Each is only used by its own
# thread, and leaves the set when it is closed and collected.
_prepared_on: "weakref.WeakSet[object]" = weakref.WeakSet()


def _execute_prepared(cursor: Any, params: dict[str, Any]) -> None:
    """Run the recipient query as the connection's prepared statement, preparing it first.

    PREPARE is sent on the driver's connection, not through Django's cursor: it is the
    connection's setup, like Django's own, not a query of the send; a prepared statement
    outlives the transaction it was made in, rolled back or not.
    """
    driver = connection.connection
    if driver not in _prepared_on:
        positional = _recipient_sql() % {"appointment": "$1", "sender": "$2", "chat": "$3"}
        driver.execute(f"PREPARE {_PREPARED}(uuid, uuid, text) AS {positional}")
        _prepared_on.add(driver)
    cursor.execute(f"EXECUTE {_PREPARED}(%(appointment)s, %(sender)s, %(chat)s)", params)


def recipients_of(*, appointment_id: UUID, sender_id: UUID, chat_id: int) -> list[Recipient]:
    """Who a message is for: the other side of the chat (a pet parent's message: the
    appointment's vet and care team; the clinic's: the pet's owner and co-owners), in one query
    along primary keys and the queue's lock index; `job_waiting`: their unread job for this
    chat is already queued."""
    with connection.cursor() as cursor:
        _execute_prepared(
            cursor, {"chat": str(chat_id), "sender": sender_id, "appointment": appointment_id}
        )
        rows = cursor.fetchall()
    recipients = []
    for user_id, role, is_active, job_waiting, chose, *values in rows:
        preference = (
            Preference(user_id=user_id, **dict(zip(_PREFERENCE_FIELDS, values, strict=True)))
            if chose
            else Preference(user_id=user_id)
        )
        recipients.append(Recipient(user_id, role, is_active, job_waiting, preference))
    return recipients
