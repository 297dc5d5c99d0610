"""How long a sign-in lasts: 12 idle hours for clinic accounts, "remember me" for pet parents
only and never past 14 days."""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client

from accounts.middleware import ACTIVE_AT, SIGNED_IN_AT
from tests.factories import PASSWORD, PetParentFactory, StaffFactory, VetFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

API = "/api/appointments/"


def signed_in(user, *, remember: bool) -> Client:
    client = Client()
    sign_in(client, user, remember=remember)
    assert client.get(API).status_code == HTTPStatus.OK
    return client


def age(client: Client, **ago: timedelta) -> None:
    """Move the session's clocks into the past, as if time had passed."""
    session = client.session
    now = int(time.time())
    for key, delta in ago.items():
        session[{"active": ACTIVE_AT, "signed_in": SIGNED_IN_AT}[key]] = now - int(
            delta.total_seconds()
        )
    session.save()


def session_cookie(response) -> object:
    return response.cookies[settings.SESSION_COOKIE_NAME]


@pytest.mark.parametrize("factory", [VetFactory, StaffFactory])
def test_clinic_accounts_are_signed_out_after_twelve_idle_hours(factory):
    client = signed_in(factory(), remember=False)
    age(client, active=timedelta(hours=11, minutes=59))
    assert client.get(API).status_code == HTTPStatus.OK
    age(client, active=timedelta(hours=12, minutes=1))
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_a_pet_parent_stays_signed_in_over_a_quiet_day():
    client = signed_in(PetParentFactory(), remember=True)
    age(client, active=timedelta(hours=13))
    assert client.get(API).status_code == HTTPStatus.OK


def test_no_sign_in_outlives_fourteen_days():
    client = signed_in(PetParentFactory(), remember=True)
    age(client, signed_in=timedelta(days=14, minutes=1))
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_background_polls_do_not_keep_a_vet_signed_in():
    client = signed_in(VetFactory(), remember=False)
    age(client, active=timedelta(hours=6))
    for _ in range(3):
        client.get(API)
    before = client.session[ACTIVE_AT]
    age(client, active=timedelta(hours=12, minutes=1))
    assert client.get(API).status_code == HTTPStatus.UNAUTHORIZED
    assert before <= int(time.time()) - 6 * 3600 + 5


def test_a_page_view_counts_as_activity():
    client = signed_in(VetFactory(), remember=False)
    age(client, active=timedelta(hours=11))
    client.get("/dashboard/")
    age_now = int(time.time()) - client.session[ACTIVE_AT]
    assert age_now < 60


def test_remember_me_keeps_a_pet_parents_cookie_for_fourteen_days():
    client = Client()
    parent = PetParentFactory()
    response = client.post(
        "/accounts/login/", {"login": parent.email, "password": PASSWORD, "remember": "on"}
    )
    assert session_cookie(response)["max-age"] == 14 * 24 * 3600


@pytest.mark.parametrize("factory", [VetFactory, StaffFactory])
def test_remember_me_is_ignored_for_clinic_accounts(factory):
    client = signed_in(factory(), remember=True)
    response = client.get("/accounts/email/")
    assert client.session.get_expire_at_browser_close()
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    assert cookie is None or not cookie["max-age"]
