"""`channels_redis`' layer, with a waiting consumer holding one future instead of two tasks.

Every socket's consumer waits on its own channel at all times. `RedisChannelLayer.receive` makes
each waiter an `asyncio.Queue` for its channel, a task that waits for the shared receive lock,
another that waits on that queue, and an `asyncio.wait` over both: about 5 KB for each idle
socket, measured with `tracemalloc` (docs/benchmarks.md, "Lighter idle sockets"). The protocol
is the same here: one waiter at a time reads the process's Redis list for everyone and hands out
what it reads, then passes the reading on to another waiter. A waiter is a future in a dict, and
a channel gets a buffer (a list, capped at the layer's capacity, oldest dropped first as
`BoundedQueue` does) only when a message arrives while its consumer is busy. Channels that are
not this process's (no "!") are read as before.
"""

import asyncio
from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

# A waiter's future set to this is told to read for everyone, not given a message.
_READ = object()


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiters: dict[str, asyncio.Future[Any]] = {}
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._reading = False
        self._waiters_loop: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:
            return await super().receive(channel)
        self.require_valid_channel_name(channel)  # raises TypeError
        real_channel = self.non_local_name(channel)
        if not real_channel.endswith(self.client_prefix + "!"):
            raise ValueError(f"{channel} is another process's channel")
        if buffered := self._buffers.get(channel):
            return self._take(channel, buffered)
        loop = asyncio.get_running_loop()
        if not self._waiters:
            self._waiters_loop = loop
        elif self._waiters_loop is not loop:
            raise RuntimeError(
                "Two event loops are trying to receive() on one channel layer at once!"
            )
        if channel in self._waiters:
            raise RuntimeError(f"Two coroutines are receiving on {channel} at once")
        waiter = self._waiters[channel] = loop.create_future()
        try:
            while True:
                if not self._reading:
                    self._reading = True
                    waiter = await self._read(real_channel, channel, waiter)
                else:
                    await waiter
                result = waiter.result()
                if result is not _READ:
                    return result
                # Told to read: the previous reader got its message or was cancelled.
                waiter = self._waiters[channel] = loop.create_future()
                self._reading = False
        except asyncio.CancelledError:
            self._buffers.pop(channel, None)
            raise
        finally:
            if self._waiters.get(channel) is waiter:
                del self._waiters[channel]
            if waiter.done() and not waiter.cancelled() and waiter.result() is _READ:
                self._reading = False  # passed on below
            if not self._reading:
                self._pass_reading()

    async def _read(
        self, real_channel: str, channel: str, waiter: asyncio.Future[Any]
    ) -> asyncio.Future[Any]:
        """Read the process's list for every waiter until this one has its message."""
        try:
            while not waiter.done():
                names, message = await self.receive_single(real_channel)
                for name in names if isinstance(names, list) else [names]:
                    self._deliver(name, message)
        finally:
            self._reading = False
        return waiter

    def _deliver(self, channel: str, message: dict[str, Any]) -> None:
        waiter = self._waiters.get(channel)
        if waiter is not None and not waiter.done():
            waiter.set_result(message)
            return
        buffer = self._buffers.setdefault(channel, [])
        if len(buffer) >= self.capacity:
            # The consumer has stopped reading: drop rather than grow without end.
            del buffer[0]
        buffer.append(message)

    def _take(self, channel: str, buffer: list[dict[str, Any]]) -> dict[str, Any]:
        message = buffer.pop(0)
        if not buffer:
            del self._buffers[channel]
        return message

    def _pass_reading(self) -> None:
        """Tell one waiter still waiting to read for everyone."""
        for waiter in self._waiters.values():
            if not waiter.done():
                self._reading = True
                waiter.set_result(_READ)
                return
