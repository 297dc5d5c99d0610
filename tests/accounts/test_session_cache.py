"""Sessions cached in Redis (vetchat/cached_sessions.py): the request skips the session query,
and nothing that must sign a user out waits for the cache."""

from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import cache

from accounts.models import User
from tests.factories import PASSWORD, PetParentFactory

API = "/api/appointments/"
# A socket nothing listens on: a Redis that is down, without stopping the suite's own.
DEAD_REDIS = "unix:///nonexistent/vetchat-redis.sock"


@pytest.fixture
def parent(db):
    return PetParentFactory(email="kim@example.com")


@pytest.fixture
def signed_in(client, parent):
    response = client.post("/accounts/login/", {"login": parent.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    return client


def session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_test_command_runs_on_redis():
    assert settings.CACHES["default"]["BACKEND"] == "vetchat.cache.FailOpenRedisCache"
    assert settings.SESSION_ENGINE == "vetchat.cached_sessions"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"


def test_a_cached_session_is_read_without_the_session_query(signed_in, django_assert_num_queries):
    # given the session in the cache
    assert cache.get(cached_db.KEY_PREFIX + session_key(signed_in)) is not None
    # when a request of this user arrives, then only the user and the appointments are read
    with django_assert_num_queries(2) as captured:
        assert signed_in.get(API).status_code == HTTPStatus.OK
    assert not any("django_session" in query["sql"] for query in captured.captured_queries)


def test_a_session_missing_from_the_cache_is_read_from_the_database_and_cached(signed_in):
    cache.delete(cached_db.KEY_PREFIX + session_key(signed_in))
    assert signed_in.get(API).status_code == HTTPStatus.OK
    assert cache.get(cached_db.KEY_PREFIX + session_key(signed_in)) is not None


def test_a_cache_entry_never_outlives_its_session(signed_in):
    key = cache.make_and_validate_key(cached_db.KEY_PREFIX + session_key(signed_in))
    ttl = cache._cache.get_client(key).ttl(key)
    assert 0 < ttl <= 300


def test_signing_out_removes_the_session_from_the_cache(signed_in):
    key = session_key(signed_in)
    signed_in.post("/accounts/logout/")
    assert cache.get(cached_db.KEY_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert signed_in.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_deactivation_signs_out_a_cached_session_at_once(signed_in, parent):
    User.objects.filter(pk=parent.pk).update(is_active=False)
    assert signed_in.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_a_password_change_signs_out_a_cached_session_at_once(signed_in, parent):
    parent.set_password("another-long-secret")
    parent.save()
    assert signed_in.get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_a_redis_that_is_down_falls_back_to_the_database(signed_in, settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": DEAD_REDIS,
        }
    }
    assert signed_in.get(API).status_code == HTTPStatus.OK
    assert signed_in.post("/accounts/logout/").status_code == HTTPStatus.FOUND
    assert signed_in.get(API).status_code == HTTPStatus.UNAUTHORIZED
