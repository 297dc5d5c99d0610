"""A process that stops hands on the pushes it queued: a page whose socket is up polls no more,
so a push lost with a stopping app server would leave a message unseen until the next one."""

import asyncio
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]

# Queues many pushes, as a busy app server might have when told to stop, and exits at once.
PUSHES = 50  # within a channel's capacity
STOPPING_SERVER = f"""
import django
django.setup()
from chat.push import group_send
for n in range({PUSHES}):
    group_send("chat.stopping", {{"type": "chat.changed", "rev": n}})
"""


@pytest.fixture
def layer(redis_layer):
    return redis_layer


async def test_a_process_that_exits_first_sends_what_it_queued(layer):
    # given a socket in a chat's group
    socket = await layer.new_channel()
    await layer.group_add("chat.stopping", socket)

    # when another process queues pushes to it and exits straight away
    subprocess.run(
        [sys.executable, "-c", STOPPING_SERVER],
        cwd=settings.BASE_DIR,
        check=True,
        timeout=60,
    )

    # then every push reached the socket, in order
    revs = [(await asyncio.wait_for(layer.receive(socket), 5))["rev"] for _ in range(PUSHES)]
    assert revs == list(range(PUSHES))
