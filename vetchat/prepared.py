"""Queries PostgreSQL plans once per database connection instead of once per request.

The few queries every poll or send runs join several tables, and PostgreSQL spent longer
planning them than running them (docs/benchmarks.md). Django opens psycopg connections with
preparing turned off, so each such query is prepared here by hand: `PREPARE` on the driver's
connection the first time that connection runs it, `EXECUTE` through Django's cursor after
that, so Django's query log and counts still see it.

PREPARE is the connection's setup, like Django's own, not part of the request's work: it is
sent on the driver's connection, and a prepared statement outlives the transaction it was made
in, rolled back or not. A new connection (`CONN_MAX_AGE`, a reconnect after a restart) prepares
again on its first use.

Behind a transaction pooler (`?pooler=transaction` in the database's URL: PgBouncer's
`pool_mode=transaction`) each transaction may run on another server connection, where a statement
prepared on the last one is unknown. There the query is sent whole instead, its parameters cast
to the types PREPARE would have given them: the same one statement, planned every time.
"""

import re
import weakref
from collections.abc import Callable
from typing import Any

from django.db import connection

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class PreparedQuery:
    """A query written with `%(name)s` placeholders, and the PostgreSQL type of each name."""

    def __init__(self, name: str, sql: Callable[[], str], types: dict[str, str]) -> None:
        self.name = name
        self._sql = sql  # called once, when first prepared: models are loaded by then
        self._types = types
        arguments = ", ".join(f"%({name})s" for name in types)
        self._execute_sql = f"EXECUTE {name}({arguments})"
        self._plain_sql = ""  # the statement sent whole behind a pooler, made on first use
        # The psycopg connections that hold the statement. Each is used by its own thread
        # only, and leaves the set when it is closed and collected.
        self._prepared_on: weakref.WeakSet[object] = weakref.WeakSet()

    def execute(self, cursor: Any, params: dict[str, Any]) -> None:
        """Run the query on `cursor` (Django's, of the default connection)."""
        if connection.settings_dict.get("POOLER") == "transaction":
            cursor.execute(self._sql_whole(), params)
            return
        driver = connection.connection
        if driver not in self._prepared_on:
            driver.execute(self._prepare_sql())
            self._prepared_on.add(driver)
        cursor.execute(self._execute_sql, params)

    def _prepare_sql(self) -> str:
        numbers = {name: n for n, name in enumerate(self._types, start=1)}
        positional = _PLACEHOLDER.sub(lambda match: f"${numbers[match[1]]}", self._sql())
        types = ", ".join(self._types.values())
        return f"PREPARE {self.name}({types}) AS {positional}"

    def _sql_whole(self) -> str:
        if not self._plain_sql:
            types = self._types
            self._plain_sql = _PLACEHOLDER.sub(
                lambda match: f"{match[0]}::{types[match[1]]}", self._sql()
            )
        return self._plain_sql
