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

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from vetchat.authentication import websocket_auth_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # A page on another site cannot open a socket with our user's cookie.
        "websocket": AllowedHostsOriginValidator(
            websocket_auth_stack(URLRouter(websocket_urlpatterns))
        ),
    }
)
