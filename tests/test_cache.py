"""The shared cache fails open: with Redis unreachable it answers as an empty cache would."""

import logging

from vetchat.cache import FailOpenRedisCache


def test_an_unreachable_cache_answers_as_an_empty_one_and_says_so(tmp_path, caplog):
    cache = FailOpenRedisCache(
        f"unix://{tmp_path}/no-redis.sock", {"OPTIONS": {"socket_connect_timeout": 1}}
    )
    with caplog.at_level(logging.WARNING, logger="vetchat.cache"):
        assert cache.get("session", "fallback") == "fallback"
        assert cache.add("lock", True) is True  # a lock taken on a dead cache never spins
        assert cache.incr("ratelimit", 1) == 1  # never over a limit
        cache.set("key", "value")
        assert cache.get_many(["a", "b"]) == {}
        assert cache.delete("key") is False
    assert len(caplog.records) == 6
    assert "Cache unreachable: get" in caplog.records[0].getMessage()


def test_cache_objects_of_one_process_share_one_redis_client(tmp_path):
    # given two cache objects, as Django makes one per asyncio task (per WebSocket) under ASGI
    location, options = f"unix://{tmp_path}/redis.sock", {"OPTIONS": {"socket_timeout": 1}}
    first = FailOpenRedisCache(location, options)
    second = FailOpenRedisCache(location, options)
    # then they share one client, and its pool of connections, not one (and a connection) each
    client = first._cache.get_client(write=True)
    assert second._cache.get_client() is client
    assert second._cache.get_client(write=True).connection_pool is client.connection_pool
    # and another server, or other options, get a client of their own
    other = FailOpenRedisCache(location, {"OPTIONS": {"socket_timeout": 2}})
    assert other._cache.get_client() is not client
