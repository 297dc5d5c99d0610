"""`?pooler=transaction` in a database URL: what it turns off, and what stays the same."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from chat.services import chat_get_or_create
from clinic.selectors import clinic_snapshot
from safety.selectors import reply_times
from tests.chat.conftest import URL
from tests.chat.test_queries import counts_for
from tests.factories import first_clinic
from tests.test_database import wire
from vetchat.settings import database_from_url


def test_the_url_option_turns_off_what_lives_in_a_server_session():
    database = database_from_url(
        "postgresql://vetchat_app@127.0.0.1:6433/vetchat?pooler=transaction"
    )
    assert database["POOLER"] == "transaction"
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "pooler" not in database["OPTIONS"]  # not passed on to libpq, which would refuse it
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "127.0.0.1",
        "6433",
        "vetchat",
    )


def test_without_it_nothing_changes():
    database = database_from_url("postgresql://vetchat_app@/vetchat?host=/run/postgresql")
    assert database["POOLER"] == ""
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_an_unknown_pooler_is_refused_with_a_sentence():
    with pytest.raises(ImproperlyConfigured, match="the one pooler setting is pooler=transaction"):
        database_from_url("postgresql://vetchat_app@127.0.0.1/vetchat?pooler=session")


@pytest.mark.django_db
def test_behind_a_transaction_pooler_the_poll_prepares_and_executes_nothing(
    client_for, parent, appointment, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "POOLER", "transaction")
    chat_get_or_create(appointment_id=appointment.pk)
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk), "after": 0}
    with wire() as messages:
        response = client.get(URL, query)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["lastSeq"] == 0
    sent = [message for message in messages if "\tQuery\t" in message]
    assert sent  # the trace shows the queries, so their absence below means something
    assert not any("PREPARE" in message or "EXECUTE" in message for message in sent)


@pytest.mark.django_db
def test_the_chat_runs_as_many_queries_behind_a_transaction_pooler(
    client_for, parent, vet, monkeypatch
):
    clinic_snapshot(first_clinic().pk)
    reply_times(first_clinic().pk)
    prepared = counts_for(5, client_for, parent, vet)
    monkeypatch.setitem(connection.settings_dict, "POOLER", "transaction")
    assert counts_for(5, client_for, parent, vet) == prepared
