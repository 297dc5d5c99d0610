"""ASGI entry point: HTTP through Django, WebSockets through Channels.

`make run` serves both from here on one URL; production sends `/ws/` to ASGI workers and keeps
HTTP on sync workers (`vetchat.wsgi`), see README "Deploying" and deploy/nginx.conf.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")

# Django is set up before anything that imports models.
http_application = get_asgi_application()

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
