"""The logs of `make run` (DJANGO_LOG_FORMAT=text): a short line a request, and the job queue's
routine quiet; production keeps its JSON lines."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vetchat.logs import RequestIdFilter, TerminalFilter, TextFormatter

ROOT = Path(__file__).resolve().parent.parent

# Logs what the job worker and the web server log, through the LOGGING of the settings.
LOG_LIKE_A_RUN = textwrap.dedent(
    """
    import logging, logging.config
    from django.conf import settings
    logging.config.dictConfig(settings.LOGGING)
    periodic = logging.getLogger("procrastinate.periodic")
    worker = logging.getLogger("procrastinate.worker")
    periodic.info("Registering task notifications.tasks.retry_stalled_jobs")
    worker.info("Starting job retry_stalled_jobs[11]", extra={"action": "start_job"})
    nothing, two = ({"action": "job_success", "result": count} for count in (0, 2))
    worker.info("Job retry_stalled_jobs[11] ended: Success", extra=nothing)
    worker.info("Job retry_stalled_jobs[12] ended: Success", extra=two)
    worker.info("Job notify_unread[13] ended: Error, to retry", extra={"action": "job_error_retry"})
    worker.warning("Side task failed")
    request = logging.getLogger("vetchat.request")
    request.info(
        "GET /static/css/chat.css 200", extra={"path": "/static/css/chat.css", "status": 200}
    )
    page = {"method": "GET", "path": "/appointments/", "status": 200, "duration_ms": 12.5}
    request.info("GET /appointments/ 200", extra=page)
    logging.getLogger("notifications.push").warning("Web push to push.example failed: 410")
    """
)


@pytest.fixture(scope="module")
def logged() -> dict[str, list[str]]:
    """The lines on stderr with DJANGO_LOG_FORMAT=text (`make run`) and unset (production), from
    two processes started at once."""
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "vetchat.settings"}
    environ.pop("DJANGO_LOG_FORMAT", None)
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-c", LOG_LIKE_A_RUN],
            cwd=ROOT,
            env=environ | extra,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, extra in {"text": {"DJANGO_LOG_FORMAT": "text"}, "default": {}}.items()
    }
    lines = {}
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        lines[name] = stderr.splitlines()
    return lines


@pytest.fixture
def text_logs():
    """The root logger writing as `make run` does (the handler of LOGGING in text mode)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(TerminalFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_text_logs_are_one_readable_line_per_request(client, text_logs):
    client.get("/healthz")
    client.get("/no-such-page/")

    lines = text_logs.getvalue().splitlines()
    assert len(lines) == 2
    line = r"\d\d:\d\d:\d\d INFO    request: GET {path} {status} \d+(\.\d+)? ms"
    assert re.fullmatch(line.format(path="/healthz", status=200), lines[0])
    assert re.fullmatch(line.format(path="/no-such-page/", status=404), lines[1])


def test_text_logs_mask_email_addresses_as_json_logs_do(text_logs):
    logging.getLogger("accounts").warning("No account for philippa.q@example.org")
    assert text_logs.getvalue().endswith("accounts: No account for [email]\n")


def test_make_runs_logs_leave_out_the_job_queues_routine_and_keep_what_happened(logged):
    lines = logged["text"]

    messages = [line.split(": ", 1)[1] for line in lines]
    assert messages == [
        "Job retry_stalled_jobs[12] ended: Success",  # it retried two jobs
        "Job notify_unread[13] ended: Error, to retry",
        "Side task failed",
        "GET /appointments/ 200 12.5 ms",
        "Web push to push.example failed: 410",
    ]
    assert not any(line.startswith("{") for line in lines)


def test_production_logs_stay_json_with_every_line(logged):
    lines = logged["default"]

    entries = [json.loads(line) for line in lines]
    assert len(entries) == 9
    assert entries[0]["logger"] == "procrastinate.periodic"
    assert entries[6]["path"] == "/static/css/chat.css"
    assert entries[7]["message"] == "GET /appointments/ 200"
    assert entries[7]["duration_ms"] == 12.5
