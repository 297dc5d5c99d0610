from django.http import HttpRequest
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """Session auth that answers 401, not 403, when nobody is signed in.

    DRF turns "not authenticated" into 403 unless the first authenticator names a scheme for
    the WWW-Authenticate header.
    """

    def authenticate_header(self, request: HttpRequest) -> str:
        return 'Session realm="vetchat"'
