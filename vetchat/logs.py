"""Structured logs: one JSON object a line, each with the request it belongs to; or, for a person
at a terminal (`make run`, DJANGO_LOG_FORMAT=text), one short line without the routine ones.

Logs leave the medical record's protection (they go to files, collectors and other people),
so they carry ids, never message text, names or email addresses: request lines log the path
without its query string, and anything that looks like an email address is masked. Nor do they
carry the secrets some links hold (a password-reset or email-confirmation key, a co-owner
invitation, an unsubscribe or sign-in link): whoever reads the log could follow the link.
"""

import json
import logging
import os
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# A proxy's id is kept (nginx: proxy_set_header X-Request-ID $request_id) when it looks like one.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# The paths whose next segment is a secret, as the URLconf mounts them (allauth's under
# accounts/), and query parameters that carry one. A slash may come URL-encoded, as it does in
# a `?next=` back to an invitation.
SECRET_PATHS = (
    "accounts/password/reset/key",
    "accounts/confirm-email",
    "co-owners/accept",
    "notifications/unsubscribe",
    "signin",
)
_SLASH = "(?:/|%2F)"
SECRET_SEGMENT = re.compile(
    rf"({_SLASH}(?:{'|'.join(path.replace('/', _SLASH) for path in SECRET_PATHS)}){_SLASH})"
    rf"(?!done{_SLASH})(?:(?!%2F)[^/?#&\s\"'])+",
    re.IGNORECASE,
)
SECRET_PARAMETER = re.compile(r"([?&](?:key|token)=)[^&#\s\"']+", re.IGNORECASE)
# A line without any of these holds none of the above: this check answers most lines in a
# fifth of the time the patterns take (1 µs against 5.7 µs for a poll's path).
_SECRET_HINTS = ("reset", "confirm-email", "accept", "unsubscribe", "signin", "key=", "token=")
# Extra fields of a record that are copied into the JSON line.
FIELDS = ("method", "path", "status", "duration_ms", "user_id")

access_log = logging.getLogger("vetchat.request")
# Made once: json.dumps(..., default=str) builds a new encoder for every line.
_ENCODER = json.JSONEncoder(default=str)

# Every request writes a line, and no format in use shows the caller's file, line or function:
# not looking them up is what Python's logging HOWTO ("Optimization") suggests. The process id
# and thread stay: gunicorn's own lines show the process.
logging._srcfile = None


def redact(path: str) -> str:
    """The path (and query, if any) with every secret it carries replaced by `…`."""
    lowered = path.lower()
    if not any(hint in lowered for hint in _SECRET_HINTS):
        return path
    return SECRET_PARAMETER.sub(r"\1…", SECRET_SEGMENT.sub(r"\1…", path))


def mask(text: str) -> str:
    """A log line without email addresses or the secrets of links."""
    return redact(EMAIL.sub("[email]", text) if "@" in text else text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "message": mask(record.getMessage()),
        }
        for name in FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return _ENCODER.encode(entry)


class TextFormatter(logging.Formatter):
    """`14:03:27 INFO    request: GET /healthz 200 1.3 ms`: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} "
            f"{record.name.removeprefix('vetchat.')}: {mask(record.getMessage())}"
        )
        if hasattr(record, "duration_ms"):
            line += f" {record.duration_ms} ms"
        if record.exc_info:
            line += "\n" + mask(self.formatException(record.exc_info))
        return line


class TerminalFilter(logging.Filter):
    """Leaves out of a terminal's log what says nothing happened.

    The job queue logs at INFO every job it starts and ends (the stalled-jobs check runs every
    10 seconds), each periodic task it registers (in every process that loads the apps) and
    each job deferred. Its warnings and errors stay, and so does a job's end when the job
    returned something (a count of emails sent, transcripts filed, uploads purged, jobs
    retried) or is to be retried. A page's static files answered without error are left out
    too: each page load fetches several.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("procrastinate") and record.levelno < logging.WARNING:
            action = getattr(record, "action", "")
            if action == "job_success":
                return bool(getattr(record, "result", None))
            return action.startswith("job_")  # retried or aborted
        if record.name == access_log.name and getattr(record, "status", 500) < 400:
            return not getattr(record, "path", "").startswith("/" + settings.STATIC_URL.lstrip("/"))
        return True


class RequestLogMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and logs one line when it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        # 128 random bits as hex, as uuid4().hex gave, without building a UUID per request
        request_id = offered if REQUEST_ID.match(offered) else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            path = redact(request.path)
            access_log.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": str(user.pk) if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            request_id_var.reset(token)
