"""uvicorn's WebSocket protocol, holding less for each open socket.

`vetchat.workers.WEBSOCKET_OPTIONS` names it as uvicorn's `ws` implementation. It is uvicorn's
own sans-I/O protocol (what `--ws auto` picks with `websockets` installed), changed only in what
an idle socket keeps, measured with `tracemalloc` over 2,000 idle sockets in one worker
(docs/benchmarks.md, "Lighter idle sockets"):

- the handshake's parsed request and response (every header as a `websockets` `Headers`, about
  5 KB) are dropped once the response is sent: nothing reads them after that;
- the queue of events for the application and the "writable" flag are a list and a future
  made when first awaited, not an `asyncio.Queue` and an `asyncio.Event`, which allocate four
  deques and one of 64 slots each, about 3.8 KB, however few events pass.
"""

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class Inbox:
    """The part of `asyncio.Queue` uvicorn's protocol uses (`put_nowait`, `get`, `empty`) for
    one reader, the application's `receive`, without preallocated deques."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class Flag:
    """`asyncio.Event`'s `set`, `clear` and `wait`, with its waiters made only when one waits."""

    __slots__ = ("_is_set", "_waiters")

    def __init__(self, *, is_set: bool) -> None:
        self._is_set = is_set
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._is_set

    def set(self) -> None:
        self._is_set = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._is_set = False

    async def wait(self) -> None:
        if self._is_set:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag(is_set=True)  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            # Read only to answer the handshake, which is now sent (or the client has gone).
            self.__dict__.pop("request", None)
            self.__dict__.pop("response", None)
