"""Signing in with a one-time code emailed to the address (allauth's login by code), beside the
password: pet parents in one step, clinic accounts still with their second factor."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from tests.factories import TOTP_SECRET, PetParentFactory, StaffFactory, VetFactory
from tests.queued_email import send_queued_emails
from tests.totp import totp_code

pytestmark = pytest.mark.django_db

API = "/api/appointments/"
REQUEST = "/accounts/login/code/"
CONFIRM = "/accounts/login/code/confirm/"


def ask_for_code(client: Client, email: str):
    return client.post(REQUEST, {"email": email})


def emailed_code(to: str) -> str:
    send_queued_emails()
    [message] = [m for m in mail.outbox if m.to == [to]]
    mail.outbox.clear()
    return re.search(r"\n\n(\S{4,})\n\n", message.body).group(1)


def test_the_sign_in_page_offers_a_code_beside_the_password(client):
    page = client.get("/accounts/login/?next=/appointments/")

    assert page.status_code == HTTPStatus.OK
    assert 'name="password"' in page.text
    assert 'href="/accounts/login/code/?next=%2Fappointments%2F"' in page.text
    assert "Email me a sign-in code" in page.text


def test_a_parent_signs_in_with_the_emailed_code(client, parent):
    asked = ask_for_code(client, parent.email)
    assert asked.status_code == HTTPStatus.FOUND and asked.url == CONFIRM
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED

    done = client.post(CONFIRM, {"code": emailed_code(parent.email)})

    assert done.status_code == HTTPStatus.FOUND
    assert client.get(API).status_code == HTTPStatus.OK
    [record] = client.session["account_authentication_methods"]
    assert record["method"] == "code"


@pytest.mark.parametrize("factory", [VetFactory, StaffFactory])
def test_a_clinic_account_signing_in_by_code_still_passes_its_second_factor(client, factory):
    user = factory()
    ask_for_code(client, user.email)

    after_code = client.post(CONFIRM, {"code": emailed_code(user.email)})

    assert after_code.status_code == HTTPStatus.FOUND
    assert after_code.url == "/accounts/2fa/authenticate/"
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED
    client.post(after_code.url, {"code": "000000"})
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED
    done = client.post(after_code.url, {"code": totp_code(TOTP_SECRET)})
    assert done.status_code == HTTPStatus.FOUND
    assert client.get(API).status_code == HTTPStatus.OK


def test_an_unknown_address_gets_the_same_answer_as_a_known_one(client, parent):
    known = ask_for_code(Client(), parent.email)
    unknown = ask_for_code(client, "nobody.here@example.com")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    page = client.get(unknown.url)
    assert page.status_code == HTTPStatus.OK
    # no code signs anyone in from there
    client.post(CONFIRM, {"code": "ABCDEF"})
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_three_wrong_codes_end_the_attempt(client, parent):
    ask_for_code(client, parent.email)
    code = emailed_code(parent.email)

    for _ in range(3):
        client.post(CONFIRM, {"code": "WRONG1"})
    client.post(CONFIRM, {"code": code})

    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_codes_for_one_address_are_rate_limited(parent):
    answers = [ask_for_code(Client(), parent.email) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [HTTPStatus.FOUND] * 3
    # the fourth in a minute is refused on the form, and no fourth code goes out
    assert answers[3].status_code == HTTPStatus.OK
    assert "Too many" in answers[3].text
    send_queued_emails()
    assert len([m for m in mail.outbox if m.to == [parent.email]]) == 3


def test_an_inactive_account_cannot_sign_in_by_code(client):
    parent = PetParentFactory()
    ask_for_code(client, parent.email)
    code = emailed_code(parent.email)
    parent.is_active = False
    parent.save()

    client.post(CONFIRM, {"code": code})

    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED
