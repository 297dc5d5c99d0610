"""The kept database connection: checked without a round trip, replaced when the server ended
it, and running the poll's queries as statements it prepared once."""

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.services import chat_get_or_create
from tests.chat.conftest import URL

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def from_another_connection(sql: str, params: list) -> None:
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute(sql, params)


def next_request() -> None:
    """What Django does to its kept connection as a request starts."""
    connection.close_if_unusable_or_obsolete()


@contextmanager
def wire() -> Iterator[list[str]]:
    """What the connection sends and receives meanwhile, a line per message as libpq traces it."""
    messages: list[str] = []
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        try:
            yield messages
        finally:
            pgconn.untrace()
        trace.seek(0)
        messages.extend(trace.read().decode().splitlines())


def test_a_kept_connection_is_checked_without_a_round_trip():
    pid = backend_pid()
    next_request()
    with wire() as messages:
        connection.close_if_health_check_failed()
    assert messages == []
    assert backend_pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it():
    pid = backend_pid()
    # as a restart or an idle timeout would
    from_another_connection("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the server's farewell reaches the socket
    next_request()
    # then the request's first query runs, on a new connection, without an error
    assert backend_pid() != pid


def test_a_healthy_connection_with_a_message_waiting_is_kept():
    pid = backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("LISTEN vetchat_test")
    from_another_connection("NOTIFY vetchat_test", [])  # waits on the socket, unread
    time.sleep(0.2)
    next_request()
    with wire() as messages:
        connection.close_if_health_check_failed()
    assert any('Query\t "SELECT 1"' in message for message in messages)  # SELECT 1 decided
    assert backend_pid() == pid
    with connection.cursor() as cursor:
        cursor.execute("UNLISTEN *")  # the connection outlives the test


def test_the_poll_runs_prepared_statements_prepared_once_per_connection(
    client_for, parent, appointment
):
    chat_get_or_create(appointment_id=appointment.pk)
    connection.close()  # a connection that has prepared nothing yet
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk), "after": 0}
    assert client.get(URL, query).status_code == HTTPStatus.OK
    with CaptureQueriesContext(connection) as captured, wire() as messages:
        assert client.get(URL, query).status_code == HTTPStatus.OK
    assert [q["sql"].split("(")[0] for q in captured.captured_queries] == [
        "EXECUTE vetchat_user",
        "EXECUTE vetchat_chat_header",
    ]
    assert not any("PREPARE" in message for message in messages)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
        assert [name for (name,) in cursor.fetchall()] == ["vetchat_chat_header", "vetchat_user"]

    # a new connection prepares them again, and answers the same
    connection.close()
    assert client.get(URL, query).json()["lastSeq"] == 0
