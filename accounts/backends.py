from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from vetchat.prepared import PreparedQuery

# Every column of a user: the session check needs the password hash, the rest of the app the
# remaining fields, and a user loaded here must be the same as one the ORM would load.
_FIELDS = [field.attname for field in User._meta.concrete_fields]
_COLUMNS = ", ".join(connection.ops.quote_name(f.column) for f in User._meta.concrete_fields)
_TABLE = connection.ops.quote_name(User._meta.db_table)
_PK = connection.ops.quote_name(User._meta.pk.column)
_USER = PreparedQuery(
    "vetchat_user",
    lambda: f"SELECT {_COLUMNS} FROM {_TABLE} WHERE {_PK} = %(id)s",  # noqa: S608  # nosec B608  # our own names
    {"id": "uuid"},
)


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
        user = User.from_db(connection.alias, _FIELDS, row)
        return user if self.user_can_authenticate(user) else None
