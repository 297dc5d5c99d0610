"""REDIS_URL's Sentinel form (vetchat.redis_hosts), read in one place: what it names, the clear
message a malformed one gets, and one-server URLs kept exactly as they were."""

import runpy
from pathlib import Path

import pytest
import redis
import redis.sentinel
from django.core.exceptions import ImproperlyConfigured

import vetchat.settings
from vetchat.cache import FailOpenRedisCache
from vetchat.redis_hosts import (
    SENTINEL_OPTIONS,
    SentinelAddress,
    channel_layer_host,
    connection_pool,
    sentinel_address,
)

URL = "redis+sentinel://127.0.0.1:26380,127.0.0.1:26381,127.0.0.1:26382/vetchat/3"
SETTINGS = Path(vetchat.settings.__file__)
SENTINELS = (("127.0.0.1", 26380), ("127.0.0.1", 26381), ("127.0.0.1", 26382))


def test_a_sentinel_url_names_the_sentinels_the_master_and_the_database():
    assert sentinel_address(URL) == SentinelAddress(
        sentinels=SENTINELS, master_name="vetchat", db=3
    )


def test_the_sentinel_port_and_the_database_have_defaults():
    address = sentinel_address("redis+sentinel://sentinel-a,[::1]:26390/cache")
    assert address == SentinelAddress(
        sentinels=(("sentinel-a", 26379), ("::1", 26390)), master_name="cache", db=0
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+sentinel://127.0.0.1:26379", "names no Sentinel master name"),
        ("redis+sentinel://127.0.0.1:26379/", "names no Sentinel master name"),
        ("redis+sentinel://127.0.0.1:26379/vetchat/zero", "the database must be a number"),
        ("redis+sentinel://127.0.0.1:port/vetchat/0", "'port' is not a port"),
        ("redis+sentinel://127.0.0.1:70000/vetchat/0", "'70000' is not a port"),
        ("redis+sentinel://127.0.0.1:26379,,127.0.0.1:26380/vetchat", "a sentinel without a host"),
        ("redis+sentinel:///vetchat/0", "a sentinel without a host"),
        ("redis+sentinel://user:secret@127.0.0.1:26379/vetchat", "the password alone"),
        ("redis+sentinel://user@127.0.0.1:26379/vetchat", "the password alone"),
        ("redis+sentinel://127.0.0.1:26379/vetchat?db=1", "takes no query"),
        ("redis+sentinel://[::1:26379/vetchat", "Invalid IPv6 URL"),
    ],
)
def test_a_malformed_sentinel_url_is_refused_with_what_is_wrong(url, message):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL") as refused:
        sentinel_address(url)
    assert message in str(refused.value)
    assert "redis+sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT,.../MASTER_NAME/DB" in str(
        refused.value
    )


def test_a_password_goes_to_the_servers_and_the_sentinels():
    url = "redis+sentinel://:s%40cret@127.0.0.1:26379,127.0.0.1:26380/vetchat/3"
    assert sentinel_address(url).password == "s@cret"
    host = channel_layer_host(url, socket_timeout=15)
    assert host["password"] == "s@cret"
    assert host["sentinel_kwargs"]["password"] == "s@cret"
    pool = connection_pool(url, pool_class=redis.ConnectionPool)
    assert pool.connection_kwargs["password"] == "s@cret"
    assert all(
        sentinel.connection_pool.connection_kwargs["password"] == "s@cret"
        for sentinel in pool.sentinel_manager.sentinels
    )


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/1", "rediss://cache.example:6380", "unix:///run/r.sock?db=2"]
)
def test_one_server_urls_are_used_as_given(url):
    assert sentinel_address(url) is None
    assert channel_layer_host(url, socket_timeout=15) == {"address": url, "socket_timeout": 15}
    pool = connection_pool(url, pool_class=redis.ConnectionPool, socket_timeout=1)
    assert type(pool) is redis.ConnectionPool
    expected = redis.ConnectionPool.from_url(url).connection_kwargs
    for name in ("host", "port", "path", "db", "ssl"):
        assert pool.connection_kwargs.get(name) == expected.get(name)
    assert pool.connection_kwargs["socket_timeout"] == 1


def test_the_channel_layer_gets_the_sentinel_form_channels_redis_takes():
    assert channel_layer_host(URL, socket_timeout=15, max_connections=1000) == {
        "sentinels": list(SENTINELS),
        "master_name": "vetchat",
        "sentinel_kwargs": SENTINEL_OPTIONS,
        "db": 3,
        "socket_timeout": 15,
        "max_connections": 1000,
    }


def test_the_cache_keeps_a_sentinel_url_whole_and_asks_the_sentinels_for_its_primary():
    cache = FailOpenRedisCache(URL, {"OPTIONS": {"socket_timeout": 1}})
    assert cache._servers == [URL]  # not a server per comma
    pool = cache._cache.get_client(write=True).connection_pool
    assert isinstance(pool, redis.sentinel.SentinelConnectionPool)
    assert pool.service_name == "vetchat"
    assert pool.connection_kwargs["db"] == 3
    assert pool.connection_kwargs["socket_timeout"] == 1
    sentinels = [
        client.connection_pool.connection_kwargs for client in pool.sentinel_manager.sentinels
    ]
    assert [(kwargs["host"], kwargs["port"]) for kwargs in sentinels] == list(SENTINELS)
    assert all(kwargs["socket_connect_timeout"] == 1 for kwargs in sentinels)


def test_settings_route_the_cache_and_the_channel_layer_through_the_sentinels(monkeypatch):
    monkeypatch.setenv("REDIS_URL", URL)
    settings = runpy.run_path(str(SETTINGS))
    assert settings["CACHES"]["default"]["LOCATION"] == URL
    assert settings["SESSION_ENGINE"] == "vetchat.cached_sessions"
    (host,) = settings["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"]
    assert host["sentinels"] == list(SENTINELS)
    assert (host["master_name"], host["db"], host["socket_timeout"]) == ("vetchat", 3, 15)


def test_settings_refuse_a_malformed_sentinel_url_at_start(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis+sentinel://127.0.0.1:26379")
    with pytest.raises(ImproperlyConfigured, match="names no Sentinel master name"):
        runpy.run_path(str(SETTINGS))
