"""The shared Redis behind Sentinel (scripts/sentinel.sh, a `redis+sentinel://` REDIS_URL): the
cache, the cached sessions, the rate limits, the sign-in limits and the channel layer work
through it, and when the primary is killed they all reach the promoted replica within 10 s,
in the same process, with nothing restarted."""

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.contrib.sessions.backends import cached_db
from django.core.cache import cache
from django.test import Client

from chat import access_versions
from chat.fanout import Fanout
from tests.factories import PASSWORD, PetParentFactory
from vetchat import ratelimit
from vetchat.errors import RateLimited
from vetchat.redis_hosts import channel_layer_host

pytestmark = pytest.mark.django_db

API = "/api/appointments/"
LOCKED = "Too many failed login attempts"
FAILOVER_SECONDS = 10
GROUP = "chat.sentinel"
OTHER = {"redis1": "redis2", "redis2": "redis1"}


@pytest.fixture
def through_sentinel(sentinel_set, settings, monkeypatch) -> Iterator[asyncio.AbstractEventLoop]:
    """The app's cache, sessions, limits and channel layer on the sentinel set, as settings.py
    configures them for such a REDIS_URL; and one event loop for the test, so that the channel
    layer keeps its asyncio pools across the failover as a running server does."""
    url = sentinel_set.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    settings.SESSION_ENGINE = "vetchat.cached_sessions"
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    options = {
        key: config["hosts"][0][key]
        for key in ("max_connections", "socket_connect_timeout", "socket_timeout")
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {**config, "hosts": [channel_layer_host(url, **options)]},
        }
    }
    settings.VETCHAT_RATE_LIMITS = {"sentinel": ["3/d"]}
    # The access versions' writer keeps one connection per process: a fresh one, to these hosts.
    monkeypatch.setattr(access_versions, "_writer", access_versions._Writer())
    cache.clear()
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(get_channel_layer().close_pools())
        loop.close()


def poll(seconds_left: Callable[[], float], check: Callable[[], Any]) -> Any:
    """`check()`'s answer once it answers without raising; its last error when time is up."""
    while True:
        try:
            return check()
        except Exception:
            if seconds_left() <= 0:
                raise
        time.sleep(0.05)


def cache_round_trip() -> None:
    probe = uuid.uuid4().hex
    cache.set("sentinel-probe", probe, timeout=30)
    # The cache fails open: an unreachable Redis reads as an empty cache, never as an error.
    assert cache.get("sentinel-probe") == probe


async def delivered(layer: Any, channel: str, send: Callable[[dict], Any]) -> None:
    """A push to GROUP reaches `channel` (through the layer's group_send or the fan-out)."""
    message = {"type": "chat.changed", "probe": uuid.uuid4().hex}
    await send(message)
    received = await asyncio.wait_for(layer.receive(channel), timeout=2)
    assert received == message


def try_password(address: str, email: str, password: str) -> str:
    answer = Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"login": email, "password": password}
    )
    assert answer.status_code == HTTPStatus.OK  # the form again, with why
    return answer.text


def test_a_killed_primary_is_replaced_within_ten_seconds_for_every_redis_user(
    sentinel_set, through_sentinel, settings, django_assert_num_queries
):
    loop = through_sentinel
    layer = get_channel_layer()
    fanout = Fanout(layer)

    def group_send(message: dict) -> Any:
        return layer.group_send(GROUP, message)

    async def fanout_send(message: dict) -> None:
        fanout.group_send_many([(GROUP, message)])

    # given everything working through the sentinels' primary
    old = sentinel_set.primary()
    new = OTHER[old]
    cache_round_trip()
    parent = PetParentFactory()
    signed_in = Client()
    answer = signed_in.post("/accounts/login/", {"login": parent.email, "password": PASSWORD})
    assert answer.status_code == HTTPStatus.FOUND
    session_key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    socket = loop.run_until_complete(layer.new_channel())
    loop.run_until_complete(layer.group_add(GROUP, socket))
    loop.run_until_complete(delivered(layer, socket, group_send))
    loop.run_until_complete(delivered(layer, socket, fanout_send))
    appointment_id, user_id = uuid.uuid4(), uuid.uuid4()
    access_versions.access_changed(appointment_ids=[appointment_id])
    versions = loop.run_until_complete(
        access_versions.current(layer, appointment_id=appointment_id, user_id=user_id)
    )
    assert versions[0] is not None
    ratelimit.hit(scope="sentinel", key="someone")
    ratelimit.hit(scope="sentinel", key="someone")
    # and three wrong passwords for the parent (the limit is five), each from another address
    for n in range(3):
        assert LOCKED not in try_password(f"192.0.2.{n + 1}", parent.email, f"guess-{n}")
    # all of it on the replica too, before the primary goes
    assert sentinel_set.client(old).wait(1, 2000) == 1

    # when the primary is killed
    os.kill(sentinel_set.pid_of(old), signal.SIGKILL)
    deadline = time.monotonic() + FAILOVER_SECONDS

    def seconds_left() -> float:
        return deadline - time.monotonic()

    # then within ten seconds the cache, the channel layer (its group_send and the fan-out
    # alike) and the access versions work again, in this process, on the promoted replica
    poll(seconds_left, cache_round_trip)
    poll(seconds_left, lambda: loop.run_until_complete(delivered(layer, socket, group_send)))
    poll(seconds_left, lambda: loop.run_until_complete(delivered(layer, socket, fanout_send)))
    poll(seconds_left, lambda: access_versions.access_changed(user_ids=[user_id]))
    after = loop.run_until_complete(
        access_versions.current(layer, appointment_id=appointment_id, user_id=user_id)
    )
    assert after[0] == versions[0]  # the appointment's version, carried over
    assert after[1] is not None  # the user's, written after the failover
    assert sentinel_set.primary() == new
    # and the session is still read from the cache, without a session query
    assert cache.get(cached_db.KEY_PREFIX + session_key) is not None
    with django_assert_num_queries(2) as captured:
        assert signed_in.get(API).status_code == HTTPStatus.OK
    assert not any("django_session" in query["sql"] for query in captured.captured_queries)
    # and the rate limit kept its count: the third hit passes, the fourth is refused
    ratelimit.hit(scope="sentinel", key="someone")
    with pytest.raises(RateLimited):
        ratelimit.hit(scope="sentinel", key="someone")
    # and the sign-in limit kept its count: two more wrong passwords, and then even the right
    # one is refused
    for n in range(3, 5):
        assert LOCKED not in try_password(f"192.0.2.{n + 1}", parent.email, f"guess-{n}")
    assert LOCKED in try_password("198.51.100.1", parent.email, PASSWORD)


def test_a_killed_primary_started_again_rejoins_as_a_replica_of_the_new_one(
    sentinel_set, through_sentinel
):
    # given the set whole again (a test before may have killed a primary), then its primary
    # killed and the replica promoted
    sentinel_set.start()
    old = sentinel_set.primary()
    new = OTHER[old]
    os.kill(sentinel_set.pid_of(old), signal.SIGKILL)
    deadline = time.monotonic() + FAILOVER_SECONDS
    poll(lambda: deadline - time.monotonic(), lambda: assert_primary(sentinel_set, new))
    poll(lambda: deadline - time.monotonic(), cache_round_trip)
    assert sentinel_set.status()[old].startswith("down")

    # when the set is started again
    assert sentinel_set.start() == sentinel_set.url

    # then the old primary is back as the new one's replica, and has what was written since
    status = sentinel_set.status()
    assert status[old] == f"up {sentinel_set.port_of(old)} replica"
    assert status[new] == f"up {sentinel_set.port_of(new)} primary"
    assert sentinel_set.primary() == new
    cache.set("after-rejoin", "kept")
    key = cache.make_and_validate_key("after-rejoin")
    assert sentinel_set.client(new).wait(1, 2000) == 1
    assert sentinel_set.client(old).get(key) is not None
    # and its own configuration file says so, for its next start
    config = (sentinel_set.folder / f"{old}.conf").read_text()
    assert f"replicaof 127.0.0.1 {sentinel_set.port_of(new)}" in config


def assert_primary(sentinel_set, name: str) -> None:
    assert sentinel_set.primary() == name
