"""The socket workers' WebSocket protocol (`vetchat.websocket_protocol`): once the handshake is
answered an open socket keeps neither its parsed request nor its response, and events still
reach the application in order."""

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from vetchat.websocket_protocol import LeanWebSocketProtocol
from vetchat.workers import WEBSOCKET_OPTIONS

pytestmark = pytest.mark.asyncio

HANDSHAKE = (
    b"GET /ws/inbox/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\nCookie: sessionid=abc\r\n\r\n"
)


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name)

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def masked_text(text: bytes) -> bytes:
    """A client's text frame (clients must mask; this mask is all zeros)."""
    return bytes([0x81, 0x80 | len(text)]) + b"\0\0\0\0" + text


async def test_an_open_socket_keeps_no_handshake_and_hears_its_frames_in_order():
    received: list[dict] = []
    accepted = asyncio.Event()

    async def app(scope: dict, receive: Any, send: Any) -> None:
        received.append(await receive())
        await send({"type": "websocket.accept"})
        accepted.set()
        while (event := await receive())["type"] != "websocket.disconnect":
            received.append(event)

    config = Config(app=app, lifespan="off", **WEBSOCKET_OPTIONS)
    config.load()
    # given the served configuration's protocol
    assert config.ws_protocol_class is LeanWebSocketProtocol
    protocol = LeanWebSocketProtocol(config, ServerState(), {})
    transport = Transport()
    protocol.connection_made(transport)

    # when a client's handshake is answered
    protocol.data_received(HANDSHAKE)
    await asyncio.wait_for(accepted.wait(), 2)

    # then the socket is open and holds neither the request nor the response
    assert transport.written.startswith(b"HTTP/1.1 101")
    assert not hasattr(protocol, "request")
    assert not hasattr(protocol, "response")
    # and the client's frames still reach the application, in order
    protocol.data_received(masked_text(b"one"))
    protocol.data_received(masked_text(b"two"))
    for _ in range(20):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    await asyncio.sleep(0)
    assert [event.get("text") for event in received] == [None, "one", "two"]
