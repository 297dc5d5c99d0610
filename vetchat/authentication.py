from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib import auth
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from rest_framework import authentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """Session auth that answers 401, not 403, when nobody is signed in.

    DRF turns "not authenticated" into 403 unless the first authenticator names a scheme for
    the WWW-Authenticate header.
    """

    def authenticate_header(self, request: HttpRequest) -> str:
        return 'Session realm="vetchat"'

    def enforce_csrf(self, request: Request) -> None:
        # CSRF lets a safe method through whatever it carries, so only writes are checked.
        if request.method not in SAFE_METHODS:
            super().enforce_csrf(request)


class WebSocketAuthMiddleware(BaseMiddleware):
    """Puts the signed-in user into a WebSocket's scope, exactly as HTTP requests get theirs.

    Channels' `SessionMiddleware` loads the session through `settings.SESSION_ENGINE`
    (`vetchat.sessions` / `vetchat.cached_sessions`), and the user comes from Django's own
    `django.contrib.auth.get_user`, the function `AuthenticationMiddleware` calls: the same
    backend (`accounts.backends.EmailBackend.get_user`, which refuses inactive users), the same
    session-hash check that signs out other sessions after a password change. HTTP and
    WebSockets therefore cannot drift apart. Channels' own `AuthMiddleware` is not used: it
    re-implements `get_user` and skips `SECRET_KEY_FALLBACKS`.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        scope["user"] = await user_of_session(scope["session"])
        return await super().__call__(scope, receive, send)


@database_sync_to_async
def user_of_session(session: SessionBase) -> AbstractBaseUser | AnonymousUser:
    """The user a session belongs to, or AnonymousUser."""
    return auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]


def websocket_auth_stack(inner: Any) -> Any:
    return CookieMiddleware(SessionMiddleware(WebSocketAuthMiddleware(inner)))
