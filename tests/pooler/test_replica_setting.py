"""DATABASE_REPLICA_URL: the alias and the router it adds, and what the scope does without it."""

import pytest
from django.db import DEFAULT_DB_ALIAS

from chat.models import Message
from chat.search import message_search
from tests.factories import send_message
from tests.test_settings import run_django
from vetchat.routers import ReplicaRouter, reading_from_replica


@pytest.mark.django_db
def test_without_a_replica_the_scope_changes_nothing(parent, appointment):
    send_message(parent, appointment, "Rex is limping")
    with reading_from_replica():
        assert ReplicaRouter().db_for_read(Message) == DEFAULT_DB_ALIAS
    assert [hit.seq for hit in message_search(user=parent, text="limping").hits] == [1]


def test_the_replica_url_adds_an_alias_mirroring_default_in_tests_and_must_name_its_database():
    code = (
        "from django.conf import settings as s;"
        "r = s.DATABASES['replica'];"
        "print(r['HOST'], r['PORT'], r['POOLER'], r['TEST']['MIRROR'], s.DATABASE_ROUTERS)"
    )
    url = "postgresql://vetchat_app@10.0.0.2:6432/vetchat?pooler=transaction"
    result = run_django(
        ["shell", "-c", code],
        DJANGO_SECRET_KEY="x" * 60,
        DATABASE_URL="postgresql://vetchat_app@10.0.0.1/vetchat",
        DATABASE_REPLICA_URL=url,
    )
    assert result.stdout.strip().splitlines()[-1] == (
        "10.0.0.2 6432 transaction default ['vetchat.routers.ReplicaRouter']"
    ), result.stderr
    refused = run_django(
        ["check"],
        DJANGO_SECRET_KEY="x" * 60,
        DATABASE_URL="postgresql://vetchat_app@10.0.0.1/vetchat",
        DATABASE_REPLICA_URL="postgresql://vetchat_app@10.0.0.2/other",
    )
    assert "DATABASE_REPLICA_URL must name the database DATABASE_URL names" in refused.stderr
