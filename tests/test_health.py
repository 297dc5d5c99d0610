"""Health answers, and what a database outage looks like from outside: 503, never a 500 page."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_touches_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK and response.content == b"ok"


@pytest.mark.django_db
def test_readyz_checks_the_database(client, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)  # a deployment without Redis
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.django_db
def test_readyz_checks_the_cache_where_redis_is_configured(client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    response = client.get("/readyz")
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def server_without_database(tmp_path):
    """gunicorn, as in production, pointed at a PostgreSQL that is not there."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": f"postgresql://vetchat@/vetchat?host={tmp_path}/no-server",
        "DJANGO_SECRET_KEY": "s" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vetchat.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            fetch(base + "/healthz")
            break
        except OSError:
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_without_a_database_the_app_says_unavailable_and_stays_alive(server_without_database):
    base = server_without_database
    # the process is alive: the balancer must not restart it
    assert fetch(base + "/healthz")[0] == HTTPStatus.OK
    # but it is not ready
    status, _, body = fetch(base + "/readyz")
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(body)["checks"]["database"] == "unavailable"
    # the API answers 503 JSON with Retry-After, not a 500
    signed_in = {"Cookie": "sessionid=" + "x" * 32}
    started = time.monotonic()
    status, headers, body = fetch(base + "/api/appointments/", signed_in)
    assert time.monotonic() - started < 10
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(body)["error"]["code"] == "unavailable"
    assert headers["Retry-After"] == "5"
    # and a page is a plain 503 page
    status, headers, body = fetch(base + "/appointments/", signed_in)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert b"Briefly unavailable" in body


@pytest.mark.django_db
def test_a_write_refused_by_a_server_in_recovery_is_a_503_not_a_500(rf):
    """In a failover's seconds a write may reach a replica being promoted, or a primary being
    demoted: PostgreSQL refuses it as it refuses one in a read-only transaction."""
    from django.db import DatabaseError, connection, transaction

    from vetchat.http import server_error

    request = rf.post("/api/appointment-chat/messages")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute("CREATE TEMPORARY TABLE refused (id int)")
    except DatabaseError as refused:
        assert refused.__cause__.sqlstate == "25006"
        response = server_error(request)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(response.content)["error"]["code"] == "unavailable"
    assert response["Retry-After"]


@pytest.mark.django_db
def test_a_connection_out_of_step_with_its_pooler_is_a_503_and_is_dropped(rf):
    """psycopg's own InternalError (no SQLSTATE), as when PgBouncer's server connection dies
    mid-command in a failover: 'received 2 results from command BEGIN'."""
    import psycopg
    from django.db import InternalError, connection

    from vetchat.http import server_error

    connection.ensure_connection()
    request = rf.post("/api/appointment-chat/messages")
    try:
        raise InternalError("out of step") from psycopg.InternalError(
            "received 2 results from command 'BEGIN'"
        )
    except InternalError:
        response = server_error(request)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    # closed: the next request opens a fresh one
    assert connection.connection is None or connection.connection.closed


@pytest.mark.django_db
def test_the_requests_own_database_error_is_still_a_500(rf):
    from django.db import DataError, connection, transaction

    from vetchat.http import server_error

    request = rf.post("/api/appointment-chat/messages")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
    except DataError:
        response = server_error(request)
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
