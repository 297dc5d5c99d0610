"""Headers the answers carry: every answer its Permissions-Policy, every dynamic answer its CSP
and a ban on caching it."""

from collections.abc import Callable
from functools import lru_cache

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

# allauth pages that draw an image from a data: URL: the authenticator app's QR code.
DATA_IMAGE_PAGES = {"mfa_activate_totp"}
_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


@lru_cache(maxsize=64)  # keyed by validated host names; bounded all the same
def _plain_policy(socket_origin: str, data_images: bool) -> str:
    """The policy of an answer that asked for nothing special, built once per origin: building
    it costs more than a whole cached poll."""
    update = {"connect-src": [socket_origin]}
    if data_images:
        update["img-src"] = ["data:"]
    return build_policy(update=update)


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` as the header says it:
    `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{name}=({' '.join(allowed)})" for name, allowed in features.items())


def permissions_policy_allowing(*features: str) -> str:
    """The policy of a page that needs some of the features every other answer has off (the
    chat's video visits: camera and microphone), for this origin only."""
    allowed = {name: ["self"] for name in features}
    return permissions_policy({**settings.PERMISSIONS_POLICY, **allowed})


class PermissionsPolicyMiddleware:
    """The browser features no page may use (`PERMISSIONS_POLICY`), on every answer: pages, API,
    files, static files and error pages alike, so no page and no frame in one can turn them
    on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy plus this host's WebSocket origin in `connect-src`.

    `'self'` covers same-origin WebSockets in current browsers only (CSP level 3), so the
    origin is named explicitly; it is the host Django already validated against ALLOWED_HOSTS.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        extras = self._extras(request)
        if (
            extras is not None
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and getattr(request, "_csp_nonce", None) is None
            and HEADER not in response
            and not any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            response[HEADER] = _plain_policy(*extras)
            # As django-csp does: a nonce asked for after this point would be in no header.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
            return response
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        extras = self._extras(request)
        if extras is None:
            return parts
        socket_origin, data_images = extras
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), socket_origin]
        if data_images:
            update["img-src"] = [*update.get("img-src", []), "data:"]
        parts.update = update
        return parts

    @staticmethod
    def _extras(request: HttpRequest) -> tuple[str, bool] | None:
        try:
            host = request.get_host()
        except DisallowedHost:  # the answer is an error page; there is no socket to allow
            return None
        scheme = "wss" if request.is_secure() else "ws"
        match = request.resolver_match
        return f"{scheme}://{host}", match is not None and match.url_name in DATA_IMAGE_PAGES


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
        if getattr(response, "private_cache", False):
            # An attachment's bytes never change under its ETag: the browser may keep its own
            # copy, revalidated on each use (`attachments.serving`).
            return response
        cache_control = response.get("Cache-Control")
        if cache_control is None:  # most answers: the header is written, not parsed and rebuilt
            response["Cache-Control"] = "private, no-store"
        elif "no-store" not in cache_control:
            patch_cache_control(response, private=True, no_store=True)
        return response
