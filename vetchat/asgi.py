"""ASGI entry point: HTTP through Django, WebSockets through Channels.

`make run` serves both from here on one URL; production sends `/ws/` to ASGI workers and keeps
HTTP on sync workers (`vetchat.wsgi`), see README "Deploying" and deploy/nginx.conf.
"""

import os
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")

# Django is set up before anything that imports models.
django.setup(set_prefix=False)


class HttpApplication:
    """Django's HTTP handler, made at the first HTTP request: a worker that serves only sockets
    (production sends it /ws/ alone) never loads the middleware, WhiteNoise's index of every
    static file among them."""

    handler: ASGIHandler | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.handler is None:
            self.handler = ASGIHandler()
        await self.handler(scope, receive, send)


http_application = HttpApplication()

from asgiref.sync import markcoroutinefunction  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from vetchat.socket_entry import WebSocketEntry  # noqa: E402

# A page on another site cannot open a socket with our user's cookie.
websocket_application = WebSocketEntry(websocket_urlpatterns)


@markcoroutinefunction  # an ASGI 3 application, for servers that ask
def application(scope: dict[str, Any], receive: Any, send: Any) -> Any:
    """HTTP to Django, WebSockets to their consumers. It hands back the application's coroutine
    rather than awaiting it, so an open socket keeps no frame of it."""
    if scope["type"] == "websocket":
        return websocket_application(scope, receive, send)
    if scope["type"] == "http":
        return http_application(scope, receive, send)
    # Lifespan: the server carries on without it; Django's handler must not be made for it.
    raise ValueError(f"vetchat serves no {scope['type']} connections")
