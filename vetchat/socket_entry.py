"""The WebSockets' way in: origin and route checked, then the consumer, with nothing between.

Channels' usual stack (origin validator, cookies, session, user, URL router) nests five
coroutines, each keeping its own copy of the scope for as long as the socket is open: about 6 KB
of every idle socket. Here the checks that need no I/O are made by a plain function that hands
the consumer's coroutine straight back to the server, and the consumer finds its signed-in user
as it connects (`SignedInConsumer`): an open socket keeps one scope, and no frame but its
consumer's.
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http import parse_cookie
from django.urls import Resolver404, URLPattern, URLResolver
from django.urls.resolvers import RegexPattern

# Whoever a session belongs to: a signed-in user, or AnonymousUser.
User = AbstractBaseUser | AnonymousUser


def header(scope: dict[str, Any], name: bytes) -> str | None:
    """The first value of a request header, as Channels' middlewares read it."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin1")
    return None


class WebSocketEntry:
    """Routes a socket to its consumer if its page is one of ours (`ALLOWED_HOSTS`, as
    Channels' `AllowedHostsOriginValidator` decides) and its path is a route; denies it
    otherwise."""

    def __init__(self, routes: list[URLPattern]) -> None:
        self.resolver = URLResolver(RegexPattern(r"^/"), routes)
        self.origins = AllowedHostsOriginValidator(None)

    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = header(scope, b"origin")
        try:
            route = self.resolver.resolve(scope["path"])
        except Resolver404:
            route = None
        if route is None or not self.origins.valid_origin(
            urlparse(origin) if origin is not None else None
        ):
            return WebsocketDenier()(scope, receive, send)
        consumer = route.func.consumer_class(**route.func.consumer_initkwargs)
        url_route = {"args": route.args, "kwargs": route.kwargs}
        return consumer({**scope, "url_route": url_route}, receive, send)


class SignedInConsumer(AsyncJsonWebsocketConsumer):
    """A consumer whose scope gets `session` and `user` before `connect` runs, and that waits
    for the socket and its channel with one future rather than `asyncio.wait`."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Channels' `AsyncConsumer.__call__`, with `dispatch_from` for `await_many_dispatch`.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = partial(self.channel_layer.receive, self.channel_name)
        self.base_send = partial(send_unless_gone, send)
        with suppress(StopConsumer):
            await dispatch_from([receive, self.channel_receive], self.dispatch)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        cookies = parse_cookie(header(self.scope, b"cookie") or "")
        session_key = cookies.get(settings.SESSION_COOKIE_NAME)
        self.scope["session"], self.scope["user"] = await database_sync_to_async(session_and_user)(
            session_key
        )
        await super().websocket_connect(message)


async def send_unless_gone(send: Callable[[Any], Awaitable], message: dict[str, Any]) -> None:
    """Send to the client, unless it has just gone (uvicorn raises `ClientDisconnected`, an
    OSError): the socket's disconnect is next in line and must still run, to leave its groups
    and record a call's lost party, which an exception here would skip."""
    with suppress(OSError):
        await send(message)


async def dispatch_from(sources: list[Callable[[], Awaitable]], dispatch: Callable) -> None:
    """Channels' `await_many_dispatch`: each source's next message, dispatched one at a time as
    they come. An idle socket waits here for as long as it is open, so the wait is a future
    woken by whichever source is done first, with none of `asyncio.wait`'s frames and sets."""
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(source()) for source in sources]
    try:
        while True:
            waiter = loop.create_future()

            def wake(_: asyncio.Task, waiter: asyncio.Future = waiter) -> None:
                if not waiter.done():
                    waiter.set_result(None)

            for task in tasks:
                task.add_done_callback(wake)
            try:
                await waiter
            finally:
                for task in tasks:
                    task.remove_done_callback(wake)
            for index, task in enumerate(tasks):
                if task.done():
                    await dispatch(task.result())
                    tasks[index] = loop.create_task(sources[index]())
    finally:
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def session_and_user(
    session_key: str | None,
) -> tuple[SessionBase, AbstractBaseUser | AnonymousUser]:
    """The session of this key and its user, exactly as HTTP requests get theirs.

    The session comes through `settings.SESSION_ENGINE`, the user from Django's own
    `django.contrib.auth.get_user`, the function `AuthenticationMiddleware` calls: the same
    backend (`accounts.backends.EmailBackend.get_user`, which refuses inactive users), the same
    session-hash check that signs out other sessions after a password change. HTTP and
    WebSockets therefore cannot drift apart. Channels' own `AuthMiddleware` is not used: it
    re-implements `get_user` and skips `SECRET_KEY_FALLBACKS`.
    """
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return session, auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
