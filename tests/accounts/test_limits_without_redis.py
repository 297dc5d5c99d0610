"""Guessing limits hold while Redis is down: sign-in and second-factor attempts are counted in
PostgreSQL instead (vetchat.limit_fallback), so an outage lets nobody guess freely."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from tests.factories import PASSWORD, TOTP_SECRET, PetParentFactory, VetFactory
from tests.totp import totp_code
from vetchat.limit_fallback import TABLE

pytestmark = pytest.mark.django_db

API = "/api/appointments/"
LOCKED = "Too many failed login attempts"


@pytest.fixture
def redis_down(settings, tmp_path):
    """The shared cache as production configures it, on a Redis that is not running."""
    settings.CACHES = {
        "default": {
            "BACKEND": "vetchat.cache.FailOpenRedisCache",
            "LOCATION": f"unix://{tmp_path}/stopped-redis.sock",
            "KEY_PREFIX": "vetchat",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def try_password(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def counters_in_postgres() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        return cursor.fetchone()[0]


def test_twenty_wrong_passwords_with_redis_down_lock_the_account(redis_down):
    # given a pet parent, and Redis down
    parent = PetParentFactory()
    # when someone tries twenty wrong passwords, each from another address
    answers = [
        try_password(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), parent.email, f"guess-{n}")
        for n in range(20)
    ]
    # then only the first five were tried: the rest were refused unchecked
    assert all(answer.status_code == HTTPStatus.OK for answer in answers)
    assert not any(LOCKED in answer.text for answer in answers[:5])
    assert all(LOCKED in answer.text for answer in answers[5:])
    # and even the right password is refused for now, while the counts sit in PostgreSQL
    owner = Client(REMOTE_ADDR="198.51.100.1")
    assert LOCKED in try_password(owner, parent.email, PASSWORD).text
    assert owner.get(API).status_code == HTTPStatus.UNAUTHORIZED
    assert counters_in_postgres() > 0


def test_with_redis_down_one_address_cannot_try_twenty_accounts(redis_down):
    attacker = Client()
    answers = [try_password(attacker, f"victim{n}@example.com", "guess") for n in range(12)]
    assert [LOCKED in answer.text for answer in answers] == [False] * 10 + [True] * 2
    target = PetParentFactory()
    try_password(attacker, target.email, PASSWORD)
    assert attacker.get(API).status_code == HTTPStatus.UNAUTHORIZED
    # someone else signs in as usual, Redis or not
    elsewhere = Client(REMOTE_ADDR="192.0.2.200")
    assert try_password(elsewhere, target.email, PASSWORD).status_code == HTTPStatus.FOUND
    assert elsewhere.get(API).status_code == HTTPStatus.OK


def test_with_redis_down_second_factor_guesses_are_cut_short(redis_down):
    vet = VetFactory()
    client = Client()
    assert try_password(client, vet.email, PASSWORD).status_code == HTTPStatus.FOUND
    for _ in range(20):
        client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert LOCKED in response.text
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_with_redis_down_a_vet_still_signs_in_with_password_and_code(redis_down):
    vet = VetFactory()
    client = Client()
    assert try_password(client, vet.email, PASSWORD).status_code == HTTPStatus.FOUND
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(API).status_code == HTTPStatus.OK
