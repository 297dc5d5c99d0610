from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from tenancy.models import ClinicMembership
from vetchat.prepared import PreparedQuery
from vetchat.sql_names import column, table

# Every column of a user: the session check needs the password hash, the rest of the app the
# remaining fields, and a user loaded here must be the same as one the ORM would load. Then the
# clinics the user works at (`User.clinic_ids`), which every access check of theirs asks.
_FIELDS = [field.attname for field in User._meta.concrete_fields]


def _user_sql() -> str:
    u, m = User, ClinicMembership
    columns = ", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in u._meta.concrete_fields)
    return f"""
        SELECT {columns}, ARRAY(
            SELECT m.{column(m, "clinic")} FROM {table(m)} m
            WHERE m.{column(m, "user")} = u.{column(u, "id")})
        FROM {table(u)} u WHERE u.{column(u, "id")} = %(id)s
    """  # noqa: S608  # nosec B608  # our own names; the id is a parameter


_USER = PreparedQuery("vetchat_user", _user_sql, {"id": "uuid"})


class EmailBackend(AuthenticationBackend):
    """allauth's sign-in by email, which also serves the admin's login form.

    Every request of a signed-in user loads that user, and every open chat polls every 5
    seconds, so the query is written out once instead of being compiled by the ORM each time
    (docs/benchmarks.md).
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        with connection.cursor() as cursor:
            _USER.execute(cursor, {"id": pk})
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(connection.alias, _FIELDS, row[:-1])
        user.__dict__["clinic_ids"] = frozenset(row[-1])
        return user if self.user_can_authenticate(user) else None
