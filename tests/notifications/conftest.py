"""A real SMTP server and a real procrastinate worker for the notification tests.

The worker is `manage.py procrastinate worker` in a subprocess against the test database, so
the tests use the transactional database: the worker only sees what has been committed.
"""

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def empty_queue(django_db_setup, django_db_blocker) -> None:
    """Transactional tests commit jobs, and Django's flush leaves procrastinate's tables alone."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers,"
            " procrastinate_workers CASCADE"
        )


class Mailbox:
    """An aiosmtpd handler keeping every message it accepted; it can refuse the next few."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.attempts = 0
        self.slow = 0.0  # seconds each recipient takes to be accepted
        self.unknown: set[str] = set()  # addresses refused for good, as a server does
        self.refused: list[str] = []

    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: list
    ) -> str:
        if self.slow:
            await asyncio.sleep(self.slow)
        if address in self.unknown:
            self.refused.append(address)
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def stop(self) -> None:
        """The server goes away: connections to its port are refused."""
        self.controller.stop()

    def start(self) -> None:
        """Back on the same port (a stopped controller's event loop is closed: a new one)."""
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    with socket.socket() as probe:  # aiosmtpd's controller needs a port it can name up front
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    mailbox.port = controller.port
    mailbox.controller = controller
    yield mailbox
    mailbox.controller.stop(no_assert=True)  # the test may have stopped it


def test_database_url() -> str:
    """DATABASE_URL of the database pytest-django made, for processes started by the tests."""
    db = connection.settings_dict
    auth = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    host = db["HOST"] or ""
    if host.startswith("/"):
        location, query = "", f"?host={quote(host)}"
    else:
        location, query = host + (f":{db['PORT']}" if db["PORT"] else ""), ""
    return f"postgresql://{auth}@{location}/{quote(db['NAME'])}{query}"


test_database_url.__test__ = False  # a helper, not a test


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process = process
        self.log = log

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def worker(transactional_db, smtp, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start a worker: worker(VETCHAT_EMAIL_PREVIEWS="1", ...) with extra environment.

    It takes the email and the push jobs; `queues="push"` and `queues="notifications"` start
    the two workers `make run` and production run.
    """
    started: list[Worker] = []

    def start(*, queues: str = "notifications,push", **env: str) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        before = newest_worker_id()
        environment = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DJANGO_EMAIL_HOST": "127.0.0.1",
            "DJANGO_EMAIL_PORT": str(smtp.port),
            "DJANGO_CONN_MAX_AGE": "0",
            **env,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "procrastinate",
                "worker",
                "--queues",
                queues,
                "--fetch-job-polling-interval",
                "0.2",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        started.append(Worker(process, log))
        # Started means registered: a test's clock runs from there, however long the process
        # took to import Django on a busy machine.
        wait_until(
            lambda: newest_worker_id() > before or process.poll() is not None,
            timeout=90,
            what="the worker to start",
        )
        assert process.poll() is None, log.read_text()
        return started[-1]

    yield start
    for each in started:
        each.stop()


def wait_until(condition: Callable[[], object], timeout: float = 15, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"Still waiting after {timeout} s for {what or condition}")


def newest_worker_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return cursor.fetchone()[0]


def jobs_left(
    task: str = "notifications.tasks.notify_unread", statuses: tuple[str, ...] = ("todo", "doing")
) -> int:
    """Jobs of the task not finished yet (waiting, scheduled or running)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND status = ANY(%s)",
            [task, list(statuses)],
        )
        return cursor.fetchone()[0]
