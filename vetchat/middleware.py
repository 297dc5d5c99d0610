"""Headers every dynamic answer carries: its CSP and a ban on caching it."""

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

# allauth pages that draw an image from a data: URL: the authenticator app's QR code.
DATA_IMAGE_PAGES = {"mfa_activate_totp"}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy plus this host's WebSocket origin in `connect-src`.

    `'self'` covers same-origin WebSockets in current browsers only (CSP level 3), so the
    origin is named explicitly; it is the host Django already validated against ALLOWED_HOSTS.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:  # the answer is an error page; there is no socket to allow
            return parts
        scheme = "wss" if request.is_secure() else "ws"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), f"{scheme}://{host}"]
        match = request.resolver_match
        if match is not None and match.url_name in DATA_IMAGE_PAGES:
            update["img-src"] = [*update.get("img-src", []), "data:"]
        parts.update = update
        return parts


class NoStoreMiddleware:
    """Pages and API answers carry medical data: no browser or proxy may keep a copy.

    Static files are answered by WhiteNoise above this middleware and stay cacheable.
    Conditional requests keep working: the chat poll sends its own `If-None-Match` and a
    `304` needs no stored copy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response
