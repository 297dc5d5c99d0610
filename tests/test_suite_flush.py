"""The suite's own footing: a test's end survives a reader that deadlocks its flush."""

import threading
import time

import psycopg
from django.db import connection

FLUSH_WAITING = """
    SELECT count(*) FROM pg_locks
    WHERE NOT granted AND mode = 'AccessExclusiveLock'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def test_a_flush_deadlocked_by_a_late_reader_runs_again(transactional_db):
    # given a reader holding the flush's last table, that reaches for its first table once the
    # flush waits; its long deadlock_timeout makes the flush the side PostgreSQL aborts
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    conninfo = connection.connection.info.dsn
    holding = threading.Event()

    def late_reader() -> None:
        with psycopg.connect(conninfo) as reader, psycopg.connect(conninfo) as watcher:
            reader.execute("SET deadlock_timeout = '10s'")
            reader.execute(f'SELECT FROM "{tables[-1]}" LIMIT 1')
            holding.set()
            while not watcher.execute(FLUSH_WAITING).fetchone()[0]:
                watcher.rollback()
                time.sleep(0.02)
            reader.execute(f'SELECT FROM "{tables[0]}" LIMIT 1')

    threading.Thread(target=late_reader, daemon=True).start()
    assert holding.wait(timeout=10)
    # then the test's end (the flush in teardown) passes: tests/conftest.py runs it again
