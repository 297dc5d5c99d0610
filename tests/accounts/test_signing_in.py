"""Signing in, and who each later request belongs to: sessions and users are loaded by
hand-written queries (vetchat/sessions.py, accounts/backends.py) that must behave as Django's."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from accounts.backends import EmailBackend
from accounts.models import User
from tests.factories import PASSWORD, AppointmentFactory, PetParentFactory

API = "/api/appointments/"


@pytest.fixture
def parent(db):
    return PetParentFactory(email="sam@example.com", image_url="https://example.com/sam.png")


@pytest.fixture
def signed_in(client, parent):
    response = client.post("/accounts/login/", {"login": "SAM@example.com", "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_signing_in_through_the_form_reaches_the_api(signed_in, parent):
    appointment = AppointmentFactory(pet_parent=parent)
    response = signed_in.get(API)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["appointments"]] == [str(appointment.pk)]


def test_a_wrong_password_signs_nobody_in(client, parent):
    response = client.post("/accounts/login/", {"login": parent.email, "password": "wrong-one"})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert client.get(API).status_code == 401


def test_an_expired_session_is_anonymous(signed_in):
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    # A cached session's entry expires with it (tests/accounts/test_session_cache.py).
    cache.delete(cached_db.KEY_PREFIX + signed_in.cookies["sessionid"].value)
    assert signed_in.get(API).status_code == 401


def test_an_unknown_session_key_is_anonymous(client, db):
    client.cookies["sessionid"] = "x" * 32
    assert client.get(API).status_code == 401


def test_deactivating_a_user_signs_them_out(signed_in, parent):
    User.objects.filter(pk=parent.pk).update(is_active=False)
    assert signed_in.get(API).status_code == 401


def test_a_password_change_elsewhere_signs_this_session_out(signed_in, parent):
    parent.set_password("a-brand-new-secret")
    parent.save()
    assert signed_in.get(API).status_code == 401


def test_a_deleted_user_is_anonymous(signed_in, parent):
    parent.delete()
    assert signed_in.get(API).status_code == 401


def test_signing_out_ends_the_session(signed_in):
    assert signed_in.post("/accounts/logout/").status_code == 302
    assert signed_in.get(API).status_code == 401


def test_the_loaded_user_is_the_one_the_orm_loads(parent):
    loaded = EmailBackend().get_user(str(parent.pk))
    expected = User.objects.get(pk=parent.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded._state.adding is False and loaded._state.db == "default"


@pytest.mark.parametrize("user_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_no_user_for_a_bad_or_unknown_id(db, user_id):
    assert EmailBackend().get_user(user_id) is None
