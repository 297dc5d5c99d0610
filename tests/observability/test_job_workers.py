"""A job worker counts and times every attempt by task, and serves its figures on its own port
when VETCHAT_METRICS_PORT is set."""

import asyncio
import socket
import urllib.request
from types import SimpleNamespace

import pytest
from procrastinate.contrib.django import app as django_app

from tests.observability.figures import figure
from vetchat.observability import job_measured, jobs_observed, serve_worker_metrics


def context(task: str) -> SimpleNamespace:
    return SimpleNamespace(job=SimpleNamespace(task_name=task))


def test_a_job_that_returns_is_counted_done_and_timed():
    done = figure("vetchat_jobs_total", task="tests.fine", outcome="done")
    timed = figure("vetchat_job_duration_seconds_count", task="tests.fine")

    async def run() -> str:
        return "result"

    assert asyncio.run(job_measured(run, context("tests.fine"), None)) == "result"
    assert figure("vetchat_jobs_total", task="tests.fine", outcome="done") == done + 1
    assert figure("vetchat_job_duration_seconds_count", task="tests.fine") == timed + 1


def test_a_job_that_raises_is_counted_failed_and_still_raises():
    failed = figure("vetchat_jobs_total", task="tests.broken", outcome="failed")

    async def run() -> None:
        raise RuntimeError("SMTP refused")

    with pytest.raises(RuntimeError):
        asyncio.run(job_measured(run, context("tests.broken"), None))
    assert figure("vetchat_jobs_total", task="tests.broken", outcome="failed") == failed + 1
    assert figure("vetchat_jobs_total", task="tests.broken", outcome="done") == 0


def test_the_apps_workers_run_every_job_through_the_measure():
    assert job_measured in django_app.worker_defaults["worker_middleware"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_started_with_a_port_serves_its_figures_there(settings):
    # given procrastinate's hook on an app, and a port set
    ran = []

    async def run_worker_async(**kwargs) -> None:
        ran.append(kwargs)

    fake_app = SimpleNamespace(worker_defaults={"delete_jobs": "successful"})
    fake_app.run_worker_async = run_worker_async
    jobs_observed(fake_app)
    settings.VETCHAT_METRICS_PORT = port = free_port()

    # when the worker starts
    asyncio.run(fake_app.run_worker_async(queues=["push"]))

    # then it ran as asked, with the measure, and its figures answer on the port
    assert ran == [{"queues": ["push"]}]
    assert fake_app.worker_defaults == {
        "delete_jobs": "successful",
        "worker_middleware": [job_measured],
    }
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        body = response.read().decode()
    assert "vetchat_jobs_total" in body
    assert "vetchat_job_queue_depth" not in body  # the queue is the nodes' to report


def test_serving_on_port_zero_says_which_port_it_took():
    port = serve_worker_metrics(host="127.0.0.1", port=0)

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert b"vetchat_job_duration_seconds" in response.read()
