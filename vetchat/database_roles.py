"""The app's database role owns nothing.

The role that owns the tables runs the migrations (DATABASE_MIGRATION_URL); the app's own role
(DATABASE_URL) gets only the row rights it uses. A role that owns no table cannot ALTER, DROP
or TRUNCATE it, nor disable or replace its triggers, and without the TRUNCATE and TRIGGER rights
it cannot empty a table or add a trigger either: whoever takes over the app can write rows as
the app does, and every chat change it writes still goes through the chain's triggers.
"""

import re

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper

ROW_RIGHTS = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Rights the app's role never needs on tables that are only ever appended to, or whose rows are
# never deleted; the tables' triggers refuse the same, this makes it two locks.
WITHHELD = {
    "chat_chat": ("DELETE",),
    "chat_message": ("DELETE",),
    "chat_messagerevision": ("UPDATE", "DELETE"),
    "chat_chainlink": ("UPDATE", "DELETE"),
    "audit_auditevent": ("UPDATE", "DELETE"),
}
ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


def _refuse_unless_it_owns_nothing(cursor: CursorWrapper, role: str) -> None:
    cursor.execute(
        """
        SELECT rolsuper, pg_has_role(%s, current_user, 'MEMBER'),
               (SELECT datdba = r.oid FROM pg_database WHERE datname = current_database()),
               ARRAY(
                   SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relowner = r.oid AND n.nspname NOT LIKE 'pg\\_%%'
                     AND n.nspname <> 'information_schema'
                   ORDER BY c.relname LIMIT 5
               )
        FROM pg_roles r WHERE r.rolname = %s
        """,
        [role, role],
    )
    row = cursor.fetchone()
    if row is None:
        raise ImproperlyConfigured(f"The app's database role {role} (DATABASE_URL) does not exist.")
    superuser, member, owns_database, owned = row
    if superuser or member or owns_database or owned:
        why = (
            "is a superuser"
            if superuser
            else "is a member of the migration role"
            if member
            else "owns the database"
            if owns_database
            else f"owns {', '.join(owned)}"
        )
        raise ImproperlyConfigured(
            f"The app's database role {role} (DATABASE_URL) {why}: it must own nothing. Give "
            "the tables to the migration role (ALTER TABLE … OWNER TO, or REASSIGN OWNED BY "
            f"{role} TO <migration role>) and run migrate again."
        )


def runtime_role_grant(*, role: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Give the app's role exactly the row rights it uses on every table of the public schema,
    taking back any other right; run as the tables' owner after every migration."""
    if not ROLE_NAME.fullmatch(role):
        raise ImproperlyConfigured(f"{role!r} is not a database role name this app grants to.")
    connection = connections[using]
    grantee = connection.ops.quote_name(role)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _refuse_unless_it_owns_nothing(cursor, role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {grantee}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {grantee}")
        cursor.execute(f"GRANT {', '.join(ROW_RIGHTS)} ON ALL TABLES IN SCHEMA public TO {grantee}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {grantee}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {grantee}")
        for table, rights in WITHHELD.items():
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{table}"])
            if cursor.fetchone()[0]:
                cursor.execute(
                    f"REVOKE {', '.join(rights)} ON {connection.ops.quote_name(table)} "
                    f"FROM {grantee}"
                )
