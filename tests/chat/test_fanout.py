"""Pushes handed to Redis together (`chat.fanout`) reach sockets as the layer's own
`group_send` would deliver them, in the order given, within each channel's capacity."""

import pytest
import pytest_asyncio
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from chat.fanout import Fanout

# With the database tests, which pytest-django runs before the browser tests: Playwright keeps an
# event loop running in the main thread from the first browser test to the end of the session.
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


@pytest_asyncio.fixture
async def layer():
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        pytest.skip("the fan-out's own path is Redis's; other layers take group_send")
    yield layer
    await layer.flush()


async def test_a_socket_in_two_groups_receives_both_pushes_in_the_order_given(layer):
    # given a socket in its chat's group and its user's group
    socket = await layer.new_channel()
    await layer.group_add("chat.fanout", socket)
    await layer.group_add("user.fanout", socket)
    message = {"type": "chat.message", "message": {"_id": "m1", "seq": 1}}
    ring = {"type": "user.unread", "appointmentId": "a1"}

    # when both pushes go together
    over = Fanout(layer).group_send_many([("chat.fanout", message), ("user.fanout", ring)])

    # then it receives both, in that order
    assert over == 0
    assert await layer.receive(socket) == message
    assert await layer.receive(socket) == ring


async def test_what_it_writes_is_what_group_send_writes(layer):
    together, alone = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("chat.together", together)
    await layer.group_add("chat.alone", alone)
    message = {"type": "chat.message", "message": {"content": "Rex limps", "seq": 7}}

    Fanout(layer).group_send_many([("chat.together", message)])
    await layer.group_send("chat.alone", message)

    assert await layer.receive(together) == await layer.receive(alone) == message


async def test_groups_nobody_listens_to_are_sent_nothing_and_fail_nothing(layer):
    assert Fanout(layer).group_send_many([("chat.empty", {"type": "chat.changed"})]) == 0


async def test_a_channel_over_its_capacity_drops_the_push_and_says_so(layer):
    socket = await layer.new_channel()
    await layer.group_add("chat.full", socket)
    fanout = Fanout(layer)
    for seq in range(layer.capacity):
        assert fanout.group_send_many([("chat.full", {"type": "chat.changed", "rev": seq})]) == 0

    assert fanout.group_send_many([("chat.full", {"type": "chat.changed", "rev": -1})]) == 1
    assert (await layer.receive(socket))["rev"] == 0


async def test_an_invalid_group_name_is_refused_as_group_send_refuses_it(layer):
    with pytest.raises(TypeError):
        Fanout(layer).group_send_many([("not a group!", {"type": "chat.changed"})])
