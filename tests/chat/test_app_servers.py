"""Two app servers, one Redis: what only separate processes can prove (the in-memory layer
would pass these by construction). Each server is a real uvicorn process on the test database."""

import json
import time

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from tests.servers import AsgiServer, RedisServer, SignedIn
from tests.signin import signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def servers():
    started: list[AsgiServer] = []

    def start(**options) -> AsgiServer:
        server = AsgiServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def signed_in(user) -> SignedIn:
    client = signed_in_client(user)
    return SignedIn(client.cookies[settings.SESSION_COOKIE_NAME].value)


def receive(socket, timeout: float = 2) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def test_a_socket_on_one_server_hears_a_message_posted_to_another_within_a_second(
    servers, appointment, parent, vet
):
    # given the vet's socket on server A and the parent posting to server B
    a, b = servers(), servers()
    vet_side, parent_side = signed_in(vet), signed_in(parent)
    with vet_side.socket(a, appointment.pk) as socket:
        assert receive(socket) == {"type": "hello", "lastSeq": 0, "rev": 0, "otherLastReadSeq": 0}
        # when the parent sends
        started = time.monotonic()
        status, body = parent_side.send(b, appointment.pk, "Rex ate a sock")
        assert status == 201, body
        # then the vet's socket has it within a second, exactly as the API answered
        pushed = receive(socket, timeout=1)
        elapsed = time.monotonic() - started
    assert pushed == {"type": "message", "message": body["message"]}
    assert elapsed < 1


def test_a_socket_keeps_no_compression_state_and_takes_no_large_frames(
    servers, appointment, parent
):
    # given a browser-like client, which offers permessage-deflate
    server = servers()
    with signed_in(parent).socket(server, appointment.pk) as socket:
        assert receive(socket)["type"] == "hello"
        # then the server declines it: no zlib state held for the socket's life
        assert "Sec-WebSocket-Extensions" not in socket.response.headers
        # and a frame past 64 KiB closes the socket instead of being buffered
        socket.send(json.dumps({"type": "ping", "padding": "x" * 70_000}))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=2)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG


def test_after_a_server_restart_a_client_catches_up_on_everything_once_in_order(
    servers, appointment, parent, vet
):
    a, b = servers(), servers()
    vet_side, parent_side = signed_in(vet), signed_in(parent)
    with vet_side.socket(a, appointment.pk) as socket:
        assert receive(socket)["lastSeq"] == 0
        parent_side.send(b, appointment.pk, "before")
        seen = [receive(socket)["message"]["seq"]]
        # when server A dies and 20 messages are sent meanwhile
        a.stop(kill=True)
        for number in range(20):
            status, _ = parent_side.send(b, appointment.pk, f"meanwhile {number}")
            assert status == 201
    a.start()
    # then a new socket says how far the chat is, and one fetch after what was seen fills the gap
    with vet_side.socket(a, appointment.pk) as socket:
        assert receive(socket) == {"type": "hello", "lastSeq": 21, "rev": 21, "otherLastReadSeq": 0}
        status, page = vet_side.request(
            a, "GET", f"/api/appointment-chat/messages?appointmentId={appointment.pk}&after=1"
        )
    assert status == 200
    assert [m["seq"] for m in page["messages"]] == list(range(2, 22))
    assert [m["content"] for m in page["messages"]] == [f"meanwhile {n}" for n in range(20)]
    assert seen == [1]
    # and a socket that says what it saw gets the same in its hello, with no fetch at all
    with vet_side.socket(a, appointment.pk, after=1) as socket:
        hello = receive(socket)
    assert (hello["messages"], hello["hasMore"]) == (page["messages"], False)


def test_sending_works_while_redis_is_down_and_pushes_resume_when_it_returns(
    servers, appointment, parent, vet, tmp_path
):
    # given a server on a Redis of its own
    redis = RedisServer(tmp_path / "redis").start()
    try:
        server = servers(redis_url=redis.url)
        vet_side, parent_side = signed_in(vet), signed_in(parent)
        with vet_side.socket(server, appointment.pk) as socket:
            receive(socket)
            # when Redis stops
            redis.stop()
            # then sending still stores the message
            status, body = parent_side.send(server, appointment.pk, "still here?")
            assert status == 201, body
        status, page = vet_side.request(
            server, "GET", f"/api/appointment-chat/messages?appointmentId={appointment.pk}"
        )
        assert status == 200
        assert [m["content"] for m in page["messages"]] == ["still here?"]

        # and when Redis is back, sockets open and pushes flow again
        redis.start()
        with vet_side.socket(server, appointment.pk) as socket:
            assert receive(socket) == {
                "type": "hello",
                "lastSeq": 1,
                "rev": 1,
                "otherLastReadSeq": 0,
            }
            status, _ = parent_side.send(server, appointment.pk, "back")
            assert status == 201
            assert receive(socket)["message"]["content"] == "back"
    finally:
        redis.stop()


def test_an_idle_socket_still_hears_a_message(servers, appointment, parent, vet):
    # Each socket blocks on Redis for 5 s at a time: a read timeout at or under that drops it.
    server = servers()
    with signed_in(vet).socket(server, appointment.pk) as socket:
        receive(socket)
        time.sleep(12)
        status, _ = signed_in(parent).send(server, appointment.pk, "still there?")
        assert status == 201
        assert receive(socket)["message"]["content"] == "still there?"
