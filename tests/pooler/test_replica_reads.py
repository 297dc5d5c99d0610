"""Reads that may lag go to the replica, inside `reading_from_replica` only: search and
transcripts. The chat's own reads and every write stay on the primary, so a sender always sees
what they sent; without a replica configured nothing moves."""

from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext

from chat.models import Message
from chat.services import access_chat, message_send
from tests.chat.conftest import URL
from tests.factories import send_message
from vetchat.routers import REPLICA, reading_from_replica

SEARCH_API = "/api/appointment-chat/search"

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup: None) -> Iterator[None]:
    """The `replica` alias DATABASE_REPLICA_URL adds, a mirror of the test database as its
    TEST MIRROR makes it in a test run: a connection of its own, seeing committed rows only.
    Added before each test's database access is set up, which checks the aliases it names."""
    settings = connections.settings
    settings[REPLICA] = {
        **settings[DEFAULT_DB_ALIAS],
        "TEST": {**settings[DEFAULT_DB_ALIAS]["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
    }
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del settings[REPLICA]


@pytest.fixture
def replica() -> BaseDatabaseWrapper:
    return connections[REPLICA]


class Both:
    """The SQL each connection ran meanwhile."""

    def __init__(self, replica: BaseDatabaseWrapper) -> None:
        self.primary = CaptureQueriesContext(connection)
        self.replica = CaptureQueriesContext(replica)

    def __enter__(self) -> "Both":
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def on_primary(self, text: str) -> bool:
        return any(text in query["sql"] for query in self.primary.captured_queries)

    def on_replica(self, text: str) -> bool:
        return any(text in query["sql"] for query in self.replica.captured_queries)


def test_search_reads_from_the_replica(replica, client_for, parent, vet, appointment):
    send_message(parent, appointment, "Rex is limping")
    client = client_for(parent)
    for path in (SEARCH_API, "/search/"):
        with Both(replica) as sql:
            response = client.get(path, {"q": "limping"})
        assert response.status_code == HTTPStatus.OK
        assert "limping" in response.content.decode()
        assert sql.on_replica("ts_headline")
        assert not sql.on_primary("ts_headline")
        assert sql.on_primary("vetchat_user")  # the session's user: not part of the search


def test_a_transcript_is_read_from_the_replica_and_its_export_recorded_on_the_primary(
    replica, client_for, parent, appointment
):
    send_message(parent, appointment, "Rex is limping")
    with Both(replica) as sql:
        response = client_for(parent).get(f"/appointments/{appointment.pk}/transcript.json")
    assert response.status_code == HTTPStatus.OK
    assert "Rex is limping" in response.content.decode()
    assert sql.on_replica('FROM "chat_message"')
    assert not sql.on_primary('FROM "chat_message"')
    assert sql.on_primary('INSERT INTO "audit_auditevent"')
    assert not sql.on_replica("INSERT")


def test_the_chat_reads_and_writes_only_the_primary(replica, client_for, parent, appointment):
    client = client_for(parent)
    with Both(replica) as sql:
        sent = client.post(
            URL,
            {"appointmentId": str(appointment.pk), "content": "Rex is limping"},
            content_type="application/json",
        )
        polled = client.get(URL, {"appointmentId": str(appointment.pk), "after": 0})
        page = client.get(f"/appointments/{appointment.pk}/")
    assert sent.status_code == HTTPStatus.CREATED
    assert [m["content"] for m in polled.json()["messages"]] == ["Rex is limping"]
    assert page.status_code == HTTPStatus.OK
    assert sql.replica.captured_queries == []


def test_inside_the_scope_writes_and_reads_in_a_transaction_stay_on_the_primary(
    replica, parent, appointment
):
    chat = access_chat(user=parent, appointment_id=appointment.pk)
    with Both(replica) as sql, reading_from_replica():
        message_send(chat=chat, sender=parent, content="Rex is limping")
    assert sql.on_primary('INSERT INTO "chat_message"')
    assert sql.on_primary("FOR UPDATE")
    assert not any(sql.on_replica(word) for word in ("INSERT", "UPDATE", "DELETE"))

    with Both(replica) as sql, reading_from_replica():
        with transaction.atomic():
            assert Message.objects.filter(seq=1).count() == 1  # may read its own writes
        assert Message.objects.filter(seq=2).count() == 0  # may lag
    assert sql.on_primary('"chat_message"."seq" = 1')
    assert [query["sql"] for query in sql.replica.captured_queries] == [
        'SELECT COUNT(*) AS "__count" FROM "chat_message" WHERE "chat_message"."seq" = 2'
    ]
