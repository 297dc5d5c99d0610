"""Prometheus metrics of an app node and of a job worker, with the maintained client library.

What is counted, all named `vetchat_…`: HTTP requests and their time by route (the URL pattern,
never the path, so the labels stay few), method and status class (`RequestMetricsMiddleware`);
open WebSockets (the chat's consumers); pushes put in a socket server's queue and pushes
dropped (`chat.fanout`); resyncs, fetches with `after=<seq>` that brought messages back (the
chat's poll); rate-limit refusals by scope (`vetchat.ratelimit`, and allauth's through
`handler429`); at scrape time, each job queue's waiting jobs and the age of its oldest
(`JobQueueCollector`, one query); in a job worker, jobs done and failed by task and their time
(`job_measured`).

A node serves `GET /metrics` (`metrics`) to `Authorization: Bearer <VETCHAT_METRICS_TOKEN>`
only; without the token set it is a 404. gunicorn runs several processes, each counting on its
own: with `PROMETHEUS_MULTIPROC_DIR` set (one directory per node, shared by its sync and uvicorn
servers, emptied before they start) each process writes its figures to files there and the
endpoint sums them; gunicorn's `child_exit` hook (`vetchat.gunicorn_hooks`) marks a dead
worker's sockets as gone. Without the variable (tests, `make run`) the process's own registry
answers. A job worker serves its own figures on `VETCHAT_METRICS_PORT`, on loopback unless
`VETCHAT_METRICS_HOST` says otherwise (`jobs_observed`, procrastinate's app-ready hook).
"""

import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# The figures -----------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "vetchat_http_requests_total",
    "HTTP requests answered, by URL route, method and status class.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "vetchat_http_request_duration_seconds",
    "Time from the request reaching Django to its answer, by URL route and method.",
    ["route", "method"],
    # The poll answers in a few milliseconds; a transcript laid out in the request, in seconds.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
OPEN_SOCKETS = Gauge(
    "vetchat_open_websockets",
    "WebSockets open now, by kind (chat, inbox).",
    ["socket"],
    multiprocess_mode="livesum",
)
# Every process reports both kinds from its start, so a node without sockets says 0 rather than
# nothing.
for kind in ("chat", "inbox"):
    OPEN_SOCKETS.labels(socket=kind)
# The channel layer keeps one queue in Redis per socket server process, which carries a push
# once for all of that process's sockets it is for: pushes are counted per queue.
PUSHES_SENT = Counter(
    "vetchat_pushes_sent_total",
    "Pushes put in a socket server's queue (one per server process with sockets listening).",
)
PUSHES_DROPPED = Counter(
    "vetchat_pushes_dropped_total",
    "Pushes dropped: a socket server's queue over capacity (one per queue), or a round trip to "
    "Redis that failed (one per group send in it).",
    ["reason"],
)
RESYNCS = Counter(
    "vetchat_resyncs_total",
    "Fetches with after=<seq> that brought back messages the page did not hold.",
)
RESYNCED_MESSAGES = Counter(
    "vetchat_resynced_messages_total",
    "Messages brought back by those fetches.",
)
RATE_LIMITED = Counter(
    "vetchat_rate_limit_refusals_total",
    "Requests refused by a rate limit, by scope.",
    ["scope"],
)
JOBS = Counter(
    "vetchat_jobs_total",
    "Job attempts a worker ran, by task and outcome (done, failed).",
    ["task", "outcome"],
)
JOB_SECONDS = Histogram(
    "vetchat_job_duration_seconds",
    "Time a job attempt ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

# Recording, for the code that counts ----------------------------------------------------------

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def socket_opened(kind: str) -> None:
    OPEN_SOCKETS.labels(socket=kind).inc()


def socket_closed(kind: str) -> None:
    OPEN_SOCKETS.labels(socket=kind).dec()


def pushes_sent(*, sent: int, over_capacity: int) -> None:
    PUSHES_SENT.inc(sent)
    if over_capacity:
        PUSHES_DROPPED.labels(reason="over_capacity").inc(over_capacity)


def pushes_failed(count: int) -> None:
    PUSHES_DROPPED.labels(reason="failed").inc(count)


def resynced(messages: int) -> None:
    RESYNCS.inc()
    RESYNCED_MESSAGES.inc(messages)


def rate_limit_refused(scope: str) -> None:
    RATE_LIMITED.labels(scope=scope).inc()


class RequestMetricsMiddleware:
    """Counts and times every answer, outermost so that the whole stack is timed. The label is
    the route the URL resolved to (`api/appointments/<uuid:appointment_id>/`), "static" for a
    file WhiteNoise served, "unmatched" for a path no route took."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL
        # Each (route, method, status class)'s counter and histogram, found once: looking them
        # up by their labels was 4 of the 6.6 µs a request paid here (6 of 11 µs in
        # multiprocess mode), measured.
        self.series: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        if match is not None:
            route = match.route
        elif request.path.startswith(self.static_prefix):
            route = "static"
        else:
            route = "unmatched"
        method = request.method if request.method in _METHODS else "other"
        key = (route, method, f"{response.status_code // 100}xx")
        series = self.series.get(key)
        if series is None:
            series = HTTP_REQUESTS.labels(*key), HTTP_SECONDS.labels(route, method)
            self.series[key] = series
        counted, timed = series
        counted.inc()
        timed.observe(elapsed)
        return response


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's answer to a sign-in, sign-up or reset over its limit (its `handler429` seam,
    named in the root URLconf), counted under the refused page's URL name."""
    match = request.resolver_match
    rate_limit_refused(f"allauth:{match.url_name if match else 'unknown'}")
    return render(request, "429.html", status=HTTPStatus.TOO_MANY_REQUESTS)


# The job queue, read at scrape time ------------------------------------------------------------


@dataclass(frozen=True)
class JobQueue:
    name: str
    waiting: int
    oldest_wait_seconds: float


# A job waits from when it was deferred or, when scheduled later, from its scheduled time; one
# scheduled for later than `now` is not waiting yet. GREATEST skips a NULL scheduled_at.
_QUEUES_SQL = """
SELECT job.queue_name, count(*),
       coalesce(extract(epoch FROM %(now)s - min(greatest(job.scheduled_at, deferred.at))), 0)
FROM procrastinate_jobs job
LEFT JOIN LATERAL (
    SELECT min(event.at) AS at FROM procrastinate_events event
    WHERE event.job_id = job.id AND event.type = 'deferred'
) deferred ON true
WHERE job.status = 'todo' AND (job.scheduled_at IS NULL OR job.scheduled_at <= %(now)s)
GROUP BY job.queue_name
"""


def job_queues(*, now: datetime) -> list[JobQueue]:
    """Each queue's jobs waiting at `now` and how long the oldest has waited: one query. Every
    queue a task names is listed, an empty one with zeros."""
    from procrastinate.contrib.django import app

    with connection.cursor() as cursor:
        cursor.execute(_QUEUES_SQL, {"now": now})
        rows = {name: (waiting, float(age)) for name, waiting, age in cursor.fetchall()}
    names = sorted({task.queue for task in app.tasks.values()} | set(rows))
    return [JobQueue(name, *rows.get(name, (0, 0.0))) for name in names]


class JobQueueCollector(Collector):
    """The job queues as gauges, read from PostgreSQL when scraped. A database that does not
    answer leaves them out and says so in `vetchat_job_queue_readable`."""

    def __init__(self, now: Callable[[], datetime] = timezone.now) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        readable = GaugeMetricFamily(
            "vetchat_job_queue_readable", "1 when the job queue could be read at this scrape."
        )
        try:
            queues = job_queues(now=self.now())
        except DatabaseError:
            logger.warning("metrics: the job queue could not be read", exc_info=True)
            connection.close_if_unusable_or_obsolete()
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        waiting = GaugeMetricFamily(
            "vetchat_job_queue_depth",
            "Jobs due and waiting for a worker, by queue.",
            labels=["queue"],
        )
        age = GaugeMetricFamily(
            "vetchat_job_queue_oldest_age_seconds",
            "How long the oldest waiting job of each queue has waited (0 when none waits).",
            labels=["queue"],
        )
        for queue in queues:
            waiting.add_metric([queue.name], queue.waiting)
            age.add_metric([queue.name], queue.oldest_wait_seconds)
        yield waiting
        yield age


# The node's endpoint ---------------------------------------------------------------------------


class _Together:
    """Several collectors as one, for `generate_latest`."""

    def __init__(self, *collectors: Any) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Any]:
        for collector in self.collectors:
            yield from collector.collect()


def multiprocess_mode() -> bool:
    # The client library chose its kind of value by this variable when it was imported.
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape(*, jobs: Collector | None = None) -> bytes:
    """This node's figures in Prometheus's text format: every process's, summed, in
    multiprocess mode; this process's otherwise; and the job queue's."""
    processes = MultiProcessCollector(None) if multiprocess_mode() else REGISTRY
    return generate_latest(_Together(processes, jobs or JobQueueCollector()))


def bearer_matches(request: HttpRequest, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    scheme, _, credential = given.partition(" ")
    # Compared in constant time, so the answer's timing tells nothing of the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credential.strip().encode(), token.encode()
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """`GET /metrics` for Prometheus, with `Authorization: Bearer <VETCHAT_METRICS_TOKEN>`."""
    token = settings.VETCHAT_METRICS_TOKEN
    if not token:
        raise Http404
    if not bearer_matches(request, token):
        return HttpResponse(
            "A bearer token is required.",
            status=HTTPStatus.UNAUTHORIZED,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)


# The job workers -------------------------------------------------------------------------------


async def job_measured(call_next: Callable[[], Awaitable[Any]], context: Any, worker: Any) -> Any:
    """procrastinate's worker middleware: every attempt of every job, counted and timed."""
    task = context.job.task_name
    started = time.perf_counter()
    try:
        result = await call_next()
    except BaseException:
        JOBS.labels(task=task, outcome="failed").inc()
        raise
    finally:
        JOB_SECONDS.labels(task=task).observe(time.perf_counter() - started)
    JOBS.labels(task=task, outcome="done").inc()
    return result


def serve_worker_metrics(*, host: str, port: int) -> int:
    """The worker's own figures over HTTP on a thread of its own; returns the bound port."""
    server, _ = start_http_server(port, addr=host)
    return server.server_port


def jobs_observed(app: Any) -> None:
    """`PROCRASTINATE_ON_APP_READY`: every worker times its jobs, and one started with
    `VETCHAT_METRICS_PORT` serves its figures there. The hook runs in every process that loads
    Django (the web servers too), so the port is opened only when a worker starts running."""
    app.worker_defaults = {
        **app.worker_defaults,
        "worker_middleware": [*app.worker_defaults.get("worker_middleware", []), job_measured],
    }
    run_worker_async = app.run_worker_async

    async def run_worker_serving_metrics(**kwargs: Any) -> None:
        if settings.VETCHAT_METRICS_PORT:
            port = serve_worker_metrics(
                host=settings.VETCHAT_METRICS_HOST, port=settings.VETCHAT_METRICS_PORT
            )
            logger.info("Job worker metrics on %s:%s", settings.VETCHAT_METRICS_HOST, port)
        await run_worker_async(**kwargs)

    app.run_worker_async = run_worker_serving_metrics
