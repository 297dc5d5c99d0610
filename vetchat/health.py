"""Health answers for load balancers and orchestrators."""

import logging
import os
import uuid
from http import HTTPStatus

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no session, database or cache, so a database
    outage never makes the balancer restart healthy app servers."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: this server can do its work now; 503 takes it out of rotation."""
    checks = {"database": _database()}
    if os.environ.get("REDIS_URL"):
        checks["cache"] = _cache()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE,
    )


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.warning("readyz: the database does not answer", exc_info=True)
        connection.close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


def _cache() -> str:
    probe = uuid.uuid4().hex
    try:
        cache.set("readyz", probe, timeout=10)
        answered = cache.get("readyz") == probe
    except Exception:
        log.warning("readyz: the cache does not answer", exc_info=True)
        return "unavailable"
    return "ok" if answered else "unavailable"
