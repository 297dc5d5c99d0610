"""A cursor for the few fixed queries every request makes, planned once per connection."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """Django's cursor (health check, error mapping, query log), binding on the server.

    Django binds parameters on the client, so PostgreSQL parses and plans the query text every
    time; for the chat's header query that planning took 0.49 ms against 0.15 ms to run it. A
    server-bound cursor lets psycopg prepare a query it has run `prepare_threshold` (5) times
    on the connection, so the query is planned once per connection. Only for queries whose
    text never changes: each distinct text takes a slot in psycopg's cache of prepared
    statements.
    """
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    factory = raw.cursor_factory
    raw.cursor_factory = psycopg.Cursor
    try:
        cursor = connection.cursor()
    finally:
        raw.cursor_factory = factory
    with cursor:
        yield cursor
