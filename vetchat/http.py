"""How errors become HTTP answers: one JSON shape for the API, one status table for every door.

DRF is imported by the functions that need it, not here: this module is middleware, loaded by
every worker at start, and the ones that serve only sockets never answer through DRF (with what
it imports when installed, requests, YAML and Markdown among them, about 9 MB a worker).
"""

import sys
from collections.abc import Callable
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, InternalError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from vetchat.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    NotPermitted,
    OutOfStorage,
    RateLimited,
    TooLarge,
    Unprocessable,
    UnsupportedType,
)

if TYPE_CHECKING:
    from rest_framework.renderers import JSONRenderer
    from rest_framework.response import Response

STATUS_OF_ERROR: dict[type[DomainError], HTTPStatus] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    NotPermitted: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    TooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnsupportedType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    Unprocessable: HTTPStatus.UNPROCESSABLE_ENTITY,
    RateLimited: HTTPStatus.TOO_MANY_REQUESTS,
    OutOfStorage: HTTPStatus.INSUFFICIENT_STORAGE,
}
# The largest request body the API reads: a message with ten attachments and a full payload is
# under 30 KB, so 1 MB leaves room and still stops a client from tying up a worker with more.
MAX_API_BODY = 1024 * 1024
# A body over the limit is read and thrown away up to this size before answering, so that the
# client, still sending, gets the 413 rather than a reset connection; past it, the server
# answers at once and the client may only see the reset.
MAX_DRAINED_BODY = 64 * 1024 * 1024
# The upload door takes files up to the largest kind's limit (a video), streamed to disk; the
# multipart envelope and its other fields fit in this much more.
UPLOAD_PATH = "/api/appointment-chat/attachments"
UPLOAD_ENVELOPE = 64 * 1024


def max_body(request: HttpRequest) -> int:
    """The largest body this request's door reads."""
    if request.path == UPLOAD_PATH:
        return settings.VETCHAT_VIDEO_MAX_BYTES + UPLOAD_ENVELOPE
    return MAX_API_BODY


def status_of(error: DomainError) -> HTTPStatus:
    """The HTTP status of a domain error, for the API and the pages alike."""
    kind = next(k for k in type(error).__mro__ if k in STATUS_OF_ERROR or k is DomainError)
    return STATUS_OF_ERROR.get(kind, HTTPStatus.BAD_REQUEST)


def error_headers(error: DomainError) -> dict[str, str]:
    """Headers that go with a domain error's answer, on every door."""
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after)}
    return {}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    return str(detail)


def _field_errors(detail: Any) -> dict[str, str]:
    if isinstance(detail, dict):
        return {str(field): _flatten(value) for field, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


@cache
def _codes() -> dict[type[Exception], tuple[str, str | None]]:
    from rest_framework import exceptions

    return {
        exceptions.ParseError: ("malformed_request", None),
        exceptions.NotAuthenticated: ("not_authenticated", "Sign in to use the API."),
        exceptions.AuthenticationFailed: ("not_authenticated", None),
        exceptions.PermissionDenied: ("forbidden", None),
        exceptions.NotFound: ("not_found", None),
        exceptions.MethodNotAllowed: ("method_not_allowed", None),
        exceptions.NotAcceptable: ("not_acceptable", None),
        exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
        exceptions.Throttled: ("throttled", None),
    }


def exception_handler(exc: Exception, context: dict) -> "Response | None":
    from rest_framework import exceptions
    from rest_framework.response import Response
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.fields),
            status=status_of(exc),
            headers=error_headers(exc),
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields are invalid."
        response.data = error_body("invalid", message, fields)
        return response

    code, message = next(
        (value for cls, value in _codes().items() if isinstance(exc, cls)), ("error", None)
    )
    response.data = error_body(code, message or _flatten(getattr(exc, "detail", str(exc))))
    return response


@cache
def _json_renderer() -> "JSONRenderer":
    from rest_framework.renderers import JSONRenderer

    return JSONRenderer()


def json_response(
    body: Any, *, status: int = HTTPStatus.OK, headers: dict[str, str] | None = None
) -> HttpResponse:
    """JSON rendered as the API's DRF views render it, for a view that answers without DRF."""
    renderer = _json_renderer()
    return HttpResponse(
        renderer.render(body), content_type=renderer.media_type, status=status, headers=headers
    )


def domain_error_response(error: DomainError) -> HttpResponse:
    """A domain error as `exception_handler` answers it, for a view that answers without DRF."""
    return json_response(
        error_body(error.code, error.message, error.fields),
        status=status_of(error),
        headers=error_headers(error),
    )


class DomainErrorMiddleware:
    """Pages answer a domain error as the API does, with the same status, as a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        status = status_of(exception)
        if status == HTTPStatus.NOT_FOUND:
            return not_found(request, Http404(exception.message))
        if status == HTTPStatus.FORBIDDEN:
            return defaults.permission_denied(request, DjangoPermissionDenied(exception.message))
        response = defaults.bad_request(request, exception)
        response.status_code = status
        for name, value in error_headers(exception).items():
            response[name] = value
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiBodyLimitMiddleware:
    """Answers an API request whose body is over `MAX_API_BODY` with a JSON 413.

    First in the chain, so nothing reads the body before. Closing a socket that still holds
    unread request data makes the kernel send a reset, which throws away the answer before the
    client reads it (gunicorn closes after every response), so the body is read to its end and
    dropped first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _content_length(request)
        if not _is_api(request):
            return self.get_response(request)
        limit = max_body(request)
        if length <= limit:
            return self.get_response(request)
        if length <= MAX_DRAINED_BODY:
            while request.read(64 * 1024):
                pass
        return domain_error_response(
            TooLarge(f"Request bodies can be at most {limit // 1024 // 1024} MB.")
        )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 for what it refuses before any view runs: a Host not in ALLOWED_HOSTS,
    too many form fields. The API answers in its JSON shape; pages keep Django's page."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        body = error_body("disallowed_host", "This server does not serve that host name.")
    else:
        body = error_body("bad_request", "The request could not be understood.")
    return JsonResponse(body, status=HTTPStatus.BAD_REQUEST)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        error_body("not_found", "There is nothing at this address."),
        status=HTTPStatus.NOT_FOUND,
    )


OUTAGE_RETRY_SECONDS = 5
OUTAGE_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Briefly unavailable · vetchat</title></head><body><main>
<h1>Briefly unavailable</h1><p>The chat cannot reach its records for a moment. Nothing you
sent has been lost. Try again in a few seconds.</p></main></body></html>"""


# A write that reached a server still in recovery: a replica being promoted, or a primary being
# demoted, in the seconds a failover takes.
READ_ONLY_TRANSACTION = "25006"


def database_away(error: BaseException | None) -> bool:
    """The database is down, restarting or changing primaries: a connection lost or refused, a
    write refused by a server that is not the primary (yet, or any more), or a connection out of
    step with its server (the driver's own error, with no SQLSTATE: a pooler's server connection
    died in the middle of a command)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(getattr(error, "__cause__", None), "sqlstate", None)
    if isinstance(error, InternalError) and sqlstate is None:
        return True
    return isinstance(error, DatabaseError) and sqlstate == READ_ONLY_TRANSACTION


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still the current one.
    if database_away(sys.exc_info()[1]):
        connection.close()  # the next request starts on a fresh connection
        return database_unavailable(request)
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side. Please try again."),
        status=HTTPStatus.INTERNAL_SERVER_ERROR,
    )


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The database is down or restarting: 503 with Retry-After, which clients and balancers
    retry, not a 500. The page is plain HTML: the templates' user menu would need the
    database too."""
    headers = {"Retry-After": str(OUTAGE_RETRY_SECONDS)}
    if _is_api(request):
        return JsonResponse(
            error_body("unavailable", "The service is briefly unavailable. Try again shortly."),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            headers=headers,
        )
    return HttpResponse(OUTAGE_PAGE, status=HTTPStatus.SERVICE_UNAVAILABLE, headers=headers)
