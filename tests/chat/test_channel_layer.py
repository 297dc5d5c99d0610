"""The channel layer (`vetchat.channel_layer`): a consumer waiting on its channel costs a future,
not tasks and a queue, and every message still reaches its own channel, in order, whoever reads
Redis for the process and however waiters leave."""

import asyncio

import pytest
import pytest_asyncio
from channels.layers import get_channel_layer

from vetchat.channel_layer import RedisChannelLayer

# With the database tests, which pytest-django runs before the browser tests: Playwright keeps an
# event loop running in the main thread from the first browser test to the end of the session.
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


@pytest_asyncio.fixture
async def layer():
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        pytest.skip("the test settings use the in-memory layer")
    yield layer
    await layer.flush()


def message(number: int) -> dict:
    return {"type": "chat.message", "message": {"seq": number}}


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_waiting_sockets_hold_no_tasks_or_queues_of_their_own(layer):
    # given 20 sockets' channels
    channels = [await layer.new_channel() for _ in range(20)]
    tasks_before = len(asyncio.all_tasks())

    # when each waits for a message
    receiving = [asyncio.ensure_future(layer.receive(channel)) for channel in channels]
    await settle()

    # then the only tasks are the 20 waiting ones, and nothing is buffered
    assert len(asyncio.all_tasks()) == tasks_before + len(channels)
    assert layer._buffers == {}
    # and each gets its own message, whichever of them reads Redis
    for number, channel in reversed(list(enumerate(channels))):
        await layer.send(channel, message(number))
    assert await asyncio.gather(*receiving) == [message(n) for n in range(len(channels))]
    assert layer._waiters == {}


async def test_when_the_reading_socket_leaves_another_reads_on(layer):
    # given two waiting sockets
    first, second = await layer.new_channel(), await layer.new_channel()
    one = asyncio.ensure_future(layer.receive(first))
    await settle()
    two = asyncio.ensure_future(layer.receive(second))
    await settle()

    # when the one that reads Redis for both goes away
    one.cancel()
    await settle()

    # then the other still hears its message
    await layer.send(second, message(1))
    assert await asyncio.wait_for(two, 5) == message(1)
    assert one.cancelled()


async def test_messages_for_a_busy_socket_wait_for_it_in_order(layer):
    # given one socket waiting and another busy (not receiving)
    waiting, busy = await layer.new_channel(), await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(waiting))
    await settle()

    # when two messages for the busy one arrive before the waiting one's
    await layer.send(busy, message(1))
    await layer.send(busy, message(2))
    await layer.send(waiting, message(3))

    # then the busy one finds both, in order, when it next receives
    assert await asyncio.wait_for(receiving, 5) == message(3)
    assert await layer.receive(busy) == message(1)
    assert await layer.receive(busy) == message(2)
    assert layer._buffers == {}
