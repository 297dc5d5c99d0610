"""A send is answered once its push is in Redis, and a send retried with its clientId pushes its
message again: an app server killed after the commit takes no acknowledged message's push with
it, and pages whose socket is up (they poll no more) still hear of every message."""

import asyncio
import time
from http import HTTPStatus

import pytest
from channels.db import database_sync_to_async

from chat.fanout import Fanout
from chat.push import chat_group
from tests.chat.conftest import post
from tests.signin import signed_in_client

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def layer(redis_layer):
    return redis_layer


async def socket_in_chat(layer, appointment) -> str:
    socket = await layer.new_channel()
    await layer.group_add(chat_group(appointment.pk), socket)
    return socket


def send(user, appointment, client_id: str) -> tuple[int, dict]:
    body = {"appointmentId": str(appointment.pk), "content": "Rex limps", "clientId": client_id}
    response = post(signed_in_client(user), body)
    return response.status_code, response.json()


async def test_a_send_is_answered_once_its_push_is_in_redis(
    layer, appointment, parent, monkeypatch
):
    # given a socket in the chat, and a push thread slower than usual to reach Redis
    socket = await socket_in_chat(layer, appointment)
    fast = Fanout.group_send_many

    def slow(self, sends):
        time.sleep(0.05)
        return fast(self, sends)

    monkeypatch.setattr(Fanout, "group_send_many", slow)

    # when the parent's send is answered
    status, _ = await database_sync_to_async(send)(parent, appointment, "first-try")
    assert status == HTTPStatus.CREATED

    # then its push is already waiting in the socket's queue in Redis
    queue = layer.prefix + layer.non_local_name(socket)
    assert await layer.connection(0).zcard(queue) == 1


async def test_a_retried_send_pushes_its_message_again(layer, appointment, parent):
    socket = await socket_in_chat(layer, appointment)
    first = await database_sync_to_async(send)(parent, appointment, "retried")
    again = await database_sync_to_async(send)(parent, appointment, "retried")
    assert (first[0], again[0]) == (HTTPStatus.CREATED, HTTPStatus.OK)
    pushes = [(await asyncio.wait_for(layer.receive(socket), 2)) for _ in range(2)]
    assert [push["message"]["_id"] for push in pushes] == [first[1]["message"]["_id"]] * 2
