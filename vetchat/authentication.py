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
