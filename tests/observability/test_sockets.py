"""Open sockets as a gauge, moved by the chat's and the lists' sockets opening and closing."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from tests.chat.test_consumers import (
    ORIGIN,
    application,
    close_socket_connections,  # noqa: F401  (ends every socket a test opened)
    closed_with,
    opened,
    session_cookie,
    socket,
    tracked,
)
from tests.observability.figures import figure

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

OPEN = "vetchat_open_websockets"


async def test_a_chat_socket_is_counted_while_it_is_open(appointment, parent, vet):
    before = figure(OPEN, socket="chat")

    first = await opened(appointment.pk, parent)
    second = await opened(appointment.pk, vet)
    assert figure(OPEN, socket="chat") == before + 2

    await first.disconnect()
    assert figure(OPEN, socket="chat") == before + 1
    await second.disconnect()
    assert figure(OPEN, socket="chat") == before


async def test_a_refused_socket_is_never_counted_as_open(appointment):
    before = figure(OPEN, socket="chat")

    await closed_with(socket(appointment.pk))

    assert figure(OPEN, socket="chat") == before


async def test_the_lists_socket_is_counted_apart(parent):
    cookie = await database_sync_to_async(session_cookie)(parent)
    headers = [
        (b"origin", ORIGIN.encode()),
        (b"host", b"testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    inbox = tracked(WebsocketCommunicator(application(), "/ws/inbox/", headers))
    before = figure(OPEN, socket="inbox")

    connected, _ = await inbox.connect()
    assert connected
    assert (await inbox.receive_json_from())["type"] == "hello"
    assert figure(OPEN, socket="inbox") == before + 1

    await inbox.disconnect()
    assert figure(OPEN, socket="inbox") == before
