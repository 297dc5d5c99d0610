"""The app behind PgBouncer in transaction pooling mode, where each transaction may run on
another server connection: the statements the app prepares by hand step aside, and real
traffic from two app servers at once is stored and read back whole."""

from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import psycopg
import pytest
from django.conf import settings
from django.db import ProgrammingError

from accounts.backends import EmailBackend
from chat.models import Message
from tests.pooler.conftest import default_connection, pooled_settings, pooled_url
from tests.servers import AsgiServer, SignedIn
from tests.signin import signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)


def other_client(pgbouncer: str) -> psycopg.Connection:
    host, port = pgbouncer.rsplit(":", 1)
    direct = pooled_settings(pgbouncer, pooler="")
    return psycopg.connect(
        host=host, port=port, dbname=direct["NAME"], user=direct["USER"], autocommit=True
    )


def test_a_statement_prepared_by_hand_is_unknown_to_the_next_transaction_behind_the_pooler(
    pgbouncer, parent
):
    # given the app's connection through PgBouncer, its statements prepared as without it
    with default_connection(pooled_settings(pgbouncer, pooler="")):
        assert EmailBackend().get_user(parent.pk) == parent  # prepared, then executed
        # when another client's transaction holds the server connection it was prepared on
        with other_client(pgbouncer) as other, other.transaction():
            other.execute("SELECT 1")
            # then the next transaction runs on another server connection, which never saw it
            with pytest.raises(ProgrammingError, match='prepared statement "vetchat_user"'):
                EmailBackend().get_user(parent.pk)


def test_with_pooler_transaction_the_statements_are_sent_whole_and_answer_anywhere(
    pgbouncer, parent
):
    with default_connection(pooled_settings(pgbouncer, pooler="transaction")):
        assert EmailBackend().get_user(parent.pk) == parent
        with other_client(pgbouncer) as other, other.transaction():
            other.execute("SELECT 1")
            assert EmailBackend().get_user(parent.pk) == parent


def signed_in(user) -> SignedIn:
    client = signed_in_client(user)
    return SignedIn(client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_two_app_servers_behind_pgbouncer_store_each_message_once_and_read_them_all_back(
    pgbouncer, appointment, parent, vet
):
    # given two app servers whose kept connections go through PgBouncer
    environment = {
        "DATABASE_URL": pooled_url(pgbouncer),
        "DJANGO_CONN_MAX_AGE": "600",
        # the app's settings as deployed: the test run's own add PostgreSQL `options`
        "DJANGO_SETTINGS_MODULE": "vetchat.settings",
    }
    servers = [AsgiServer(env=environment), AsgiServer(env=environment)]
    poll = f"/api/appointment-chat/messages?appointmentId={appointment.pk}&limit=200"
    each = 15
    sent = {f"{name} {n}" for name in ("parent", "vet") for n in range(each)}
    try:
        for server in servers:
            server.start()
        sides = [(signed_in(parent), servers[0], "parent"), (signed_in(vet), servers[1], "vet")]

        def converse(side: SignedIn, server: AsgiServer, name: str) -> None:
            for n in range(each):
                status, body = side.send(server, appointment.pk, f"{name} {n}")
                assert status == HTTPStatus.CREATED, body
                status, page = side.request(server, "GET", f"{poll}&after={n}")
                assert status == HTTPStatus.OK, page

        # when the parent and the vet send and poll at once, each on one server
        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(converse, *side) for side in sides]:
                done.result()

        # then each reads every message back, once, in one order
        pages = [side.request(server, "GET", poll) for side, server, _ in sides]
    finally:
        for server in servers:
            server.stop()
    for status, page in pages:
        assert status == HTTPStatus.OK, page
        assert [m["seq"] for m in page["messages"]] == list(range(1, 2 * each + 1))
        assert {m["content"] for m in page["messages"]} == sent
    stored = list(Message.objects.filter(chat__appointment=appointment).values_list("content"))
    assert sorted(content for (content,) in stored) == sorted(sent)
    # and it went through PgBouncer's transaction pool
    host, port = pgbouncer.rsplit(":", 1)
    with psycopg.connect(
        host=host,
        port=port,
        dbname="pgbouncer",
        user=pooled_settings(pgbouncer, pooler="")["USER"],
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
    ) as admin:
        cursor = admin.execute("SHOW STATS")
        columns = [column.name for column in cursor.description]
        stats = {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
    assert stats[pooled_settings(pgbouncer, pooler="")["NAME"]]["total_xact_count"] > 4 * each
