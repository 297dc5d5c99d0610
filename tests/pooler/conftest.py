"""A PgBouncer in transaction pooling mode (scripts/pgbouncer.sh) in front of the test run's
PostgreSQL, one per test worker on a port of its own; its wildcard entry reaches the worker's
test database. A missing pgbouncer fails these tests (`scripts/packages.sh test` installs it)."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.servers import ROOT, free_port

SCRIPT = ROOT / "scripts" / "pgbouncer.sh"


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup: None) -> Iterator[str]:
    """HOST:PORT of the worker's PgBouncer. It stops before the test database is dropped, which
    its idle server connections would otherwise keep open."""
    folder = Path(tempfile.mkdtemp(prefix="vetchat-test-pgbouncer-"))
    upstream = connection.settings_dict
    started = subprocess.run(
        [
            *(str(SCRIPT), "start", str(folder), str(free_port())),
            upstream["HOST"] or "/var/run/postgresql",
            upstream["PORT"] or "5432",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PgBouncer did not start: {started.stderr.strip()}", pytrace=False)
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder)], check=True)
        shutil.rmtree(folder, ignore_errors=True)


def pooled_settings(pgbouncer: str, *, pooler: str) -> dict[str, Any]:
    """The test database's connection settings, through PgBouncer; `pooler` as the URL's
    `?pooler=` would set it. Only the connection options PgBouncer passes on are kept: it
    refuses a client that sends PostgreSQL's `options` (the test run's own connection does)."""
    host, port = pgbouncer.rsplit(":", 1)
    direct = connection.settings_dict
    options = {key: value for key, value in direct["OPTIONS"].items() if key != "options"}
    return {
        **direct,
        "HOST": host,
        "PORT": port,
        "OPTIONS": options,
        "POOLER": pooler,
        "DISABLE_SERVER_SIDE_CURSORS": pooler == "transaction",
    }


def pooled_url(pgbouncer: str) -> str:
    """DATABASE_URL of an app server that reaches the test database through PgBouncer."""
    direct = connection.settings_dict
    return f"postgresql://{direct['USER']}@{pgbouncer}/{direct['NAME']}?pooler=transaction"


@contextmanager
def default_connection(settings_dict: dict[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    """This thread's default connection made with `settings_dict` meanwhile, as a server
    configured so would make it."""
    direct = connections[DEFAULT_DB_ALIAS]
    through = direct.__class__(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = through
    try:
        yield through
    finally:
        through.close()
        connections[DEFAULT_DB_ALIAS] = direct
