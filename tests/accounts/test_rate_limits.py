"""Guessing doors: sign-in, second factor, sign-up and reset are limited per client and per
account, and behind a proxy the client is the address the proxy saw."""

from http import HTTPStatus

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, TOTP_SECRET, PetParentFactory, VetFactory
from tests.queued_email import send_queued_emails
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

API = "/api/appointments/"


def try_password(client: Client, email: str, password: str, **headers: str):
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


def test_five_wrong_passwords_lock_the_account_for_a_while():
    parent = PetParentFactory()
    attacker = Client()
    for _ in range(5):
        assert try_password(attacker, parent.email, "guess").status_code == HTTPStatus.OK
    # even the right password is refused now, from anywhere
    owner = Client(REMOTE_ADDR="192.0.2.10")
    response = try_password(owner, parent.email, PASSWORD)
    assert response.status_code != HTTPStatus.FOUND
    assert "Too many failed login attempts" in response.text
    assert owner.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_ten_failures_from_one_address_stop_it_trying_other_accounts():
    attacker = Client()
    for n in range(10):
        try_password(attacker, f"victim{n}@example.com", "guess")
    target = PetParentFactory()
    try_password(attacker, target.email, PASSWORD)
    assert attacker.get(API).status_code == HTTPStatus.UNAUTHORIZED
    # someone else, elsewhere, signs in as usual
    elsewhere = Client(REMOTE_ADDR="192.0.2.20")
    assert try_password(elsewhere, target.email, PASSWORD).status_code == HTTPStatus.FOUND


def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    target = PetParentFactory()
    proxy = "127.0.0.1"  # every request arrives from nginx
    for n in range(10):
        try_password(
            Client(REMOTE_ADDR=proxy),
            f"victim{n}@example.com",
            "guess",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    blocked = Client(REMOTE_ADDR=proxy)
    try_password(blocked, target.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert blocked.get(API).status_code == HTTPStatus.UNAUTHORIZED
    other = Client(REMOTE_ADDR=proxy)
    response = try_password(other, target.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == HTTPStatus.FOUND
    # a client cannot pick its own address: only the proxy's entry (the last) counts
    spoofed = Client(REMOTE_ADDR=proxy)
    try_password(spoofed, target.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7")
    assert spoofed.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_guessing_second_factor_codes_is_cut_short():
    vet = VetFactory()
    client = Client()
    try_password(client, vet.email, PASSWORD)
    for _ in range(5):
        client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_sign_ups_from_one_address_are_limited():
    client = Client()
    answers = [
        client.post(
            "/accounts/signup/",
            {
                "name": "Bot",
                "email": f"bot{n}@example.com",
                "password1": "a-long-secret-phrase",
                "password2": "a-long-secret-phrase",
            },
        ).status_code
        for n in range(7)
    ]
    assert answers[:5] == [HTTPStatus.FOUND] * 5
    assert HTTPStatus.TOO_MANY_REQUESTS in answers[5:]
    assert User.objects.filter(email__startswith="bot").count() == 5


def test_password_reset_mails_to_one_address_are_limited(mailoutbox):
    PetParentFactory(email="inbox@example.com")
    for n in range(5):
        Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(
            "/accounts/password/reset/", {"email": "inbox@example.com"}
        )
    send_queued_emails()
    assert len(mailoutbox) == 3
