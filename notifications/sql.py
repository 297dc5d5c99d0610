"""The notifications' hand-written SQL: the one query every message send pays for.

The ORM took several times as long to compile the recipient's query as PostgreSQL took to run
it (0.2 ms), on the send path the benchmark watches. Identifiers come from the models and are
quoted; the answer is a small dataclass. tests/notifications/test_sql.py compares it with the
ORM's.

The query is a prepared statement of each database connection (`vetchat.prepared`): planning
its joins took more than half of its 0.5 ms (measured: 0.52 ms planned each time, 0.19 ms
prepared).
"""

from dataclasses import dataclass
from functools import cache
from uuid import UUID

from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from appointments.models import Appointment
from appointments.participants import care_team_ids_sql, co_owner_ids_sql, family_sql
from notifications.models import Preference
from vetchat.prepared import PreparedQuery
from vetchat.sql_names import column as _column
from vetchat.sql_names import table as _table


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a message is for, how they want to hear of it, and whether their job already waits."""

    user_id: UUID
    role: str
    is_active: bool
    job_waiting: bool
    preference: Preference  # the stored one, or the defaults (unsaved) when they never chose


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
    preference = ", ".join(f"p.{_column(p, name)}" for name in _PREFERENCE_FIELDS)
    family = family_sql(f"s.{_column(u, 'role')}")
    care_team = care_team_ids_sql(f"a.{_column(a, 'id')}")
    co_owners = co_owner_ids_sql(f"a.{_column(a, 'pet')}")
    return f"""
        WITH s AS (SELECT * FROM {_table(u)} WHERE {_column(u, "id")} = %(sender)s),
             a AS (SELECT * FROM {_table(a)} WHERE {_column(a, "id")} = %(appointment)s),
             other_side AS (
                 SELECT CASE WHEN {family} THEN a.{_column(a, "veterinarian")}
                             ELSE a.{_column(a, "pet_parent")} END AS id
                 FROM a, s
                 UNION
                 SELECT unnest({care_team}) FROM a, s
                 WHERE {family}
                 UNION
                 SELECT unnest({co_owners}) FROM a, s
                 WHERE NOT {family}
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


_RECIPIENTS = PreparedQuery(
    "vetchat_unread_recipients",
    _recipient_sql,
    {"appointment": "uuid", "sender": "uuid", "chat": "text"},
)


def recipients_of(*, appointment_id: UUID, sender_id: UUID, chat_id: int) -> list[Recipient]:
    """Who a message is for: the other side of the chat (a pet parent's message: the
    appointment's vet and care team; the clinic's: the pet's owner and co-owners), in one query
    along primary keys and the queue's lock index; `job_waiting`: their unread job for this
    chat is already queued."""
    with connection.cursor() as cursor:
        _RECIPIENTS.execute(
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
