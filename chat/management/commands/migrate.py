"""Django's `migrate`, as the role that owns the tables when DATABASE_MIGRATION_URL names one,
then granting the app's own role (DATABASE_URL's) only the row rights it uses
(`vetchat.database_roles`). Without DATABASE_MIGRATION_URL it is Django's own."""

from typing import Any

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

from vetchat.database_roles import runtime_role_grant

# What the migration role's URL changes; the database's name stays the connection's, so the
# test runner's test database stays the one migrated.
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(DjangoMigrate):
    help = (
        f"{DjangoMigrate.help} With DATABASE_MIGRATION_URL, as that role, and the app's role "
        "(DATABASE_URL) is then granted only the row rights it uses."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = settings.VETCHAT_MIGRATION_DATABASE
        connection = connections[DEFAULT_DB_ALIAS]
        runtime = dict(connection.settings_dict)
        if (
            owner is None
            or options["database"] != DEFAULT_DB_ALIAS
            or owner["USER"] == runtime["USER"]
        ):
            super().handle(*args, **options)
            return
        connection.close()
        connection.settings_dict.update({name: owner[name] for name in CREDENTIALS})
        try:
            super().handle(*args, **options)
            runtime_role_grant(role=runtime["USER"])
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"Migrated as {owner['USER']}; {runtime['USER']} may read and write rows only."
                )
        finally:
            connection.close()
            connection.settings_dict.update(runtime)
