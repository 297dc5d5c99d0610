"""Pushes counted as they reach a socket's channel, or as they are dropped: a channel over its
capacity, or a round trip to Redis that failed."""

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from chat.fanout import Fanout
from tests.observability.figures import figure

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


@pytest.fixture
def layer(redis_layer):
    return redis_layer


async def test_a_push_is_counted_once_per_socket_server_it_reaches(layer):
    # given two sockets on one server, and one on another (a layer of its own: its own queue)
    other_server = RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    for channel in (await layer.new_channel(), await layer.new_channel()):
        await layer.group_add("chat.counted", channel)
    elsewhere = await other_server.new_channel()
    await layer.group_add("chat.counted", elsewhere)
    sent = figure("vetchat_pushes_sent_total")

    # when a push goes to their chat, and one to a chat nobody listens to
    Fanout(layer).group_send_many([("chat.counted", {"type": "chat.changed", "rev": 1})])
    Fanout(layer).group_send_many([("chat.nobody", {"type": "chat.changed", "rev": 1})])

    # then it went into two servers' queues
    assert figure("vetchat_pushes_sent_total") == sent + 2
    assert (await other_server.receive(elsewhere))["rev"] == 1


async def test_a_push_to_a_channel_over_capacity_is_counted_as_dropped(layer):
    socket = await layer.new_channel()
    await layer.group_add("chat.full", socket)
    fanout = Fanout(layer)
    for rev in range(layer.capacity):
        fanout.group_send_many([("chat.full", {"type": "chat.changed", "rev": rev})])
    sent = figure("vetchat_pushes_sent_total")
    dropped = figure("vetchat_pushes_dropped_total", reason="over_capacity")

    assert fanout.group_send_many([("chat.full", {"type": "chat.changed", "rev": -1})]) == 1

    assert figure("vetchat_pushes_sent_total") == sent
    assert figure("vetchat_pushes_dropped_total", reason="over_capacity") == dropped + 1


async def test_sends_whose_round_trip_failed_are_counted_as_dropped(layer):
    fanout = Fanout(layer)
    fanout._read_groups = [_unreachable for _ in fanout._read_groups]
    failed = figure("vetchat_pushes_dropped_total", reason="failed")

    with pytest.raises(ConnectionError):
        fanout.group_send_many([("chat.a", {"type": "chat.changed"}), ("user.b", {"type": "x"})])

    assert figure("vetchat_pushes_dropped_total", reason="failed") == failed + 2


def _unreachable(**kwargs) -> None:
    raise ConnectionError("Redis went away")
