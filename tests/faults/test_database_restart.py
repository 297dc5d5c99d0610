"""PostgreSQL restarted under load: gunicorn keeps answering (503 JSON while the database is
away, never a 500), recovers without a restart of its own, and every send it acknowledged is
stored exactly once while clients retry with their clientId."""

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = ROOT / "scripts" / "postgres.sh"
REQUEST_TIMEOUT = 10  # the bound: no request may hang longer


def run(*command: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browserless:
    """A client with a cookie jar that signs in through the real form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict, bytes, float]:
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                answer = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            answer = error.code, dict(error.headers), error.read()
        return (*answer, time.monotonic() - started)

    def sign_in(self, email: str, password: str) -> None:
        page = self.request("GET", "/accounts/login/")[2].decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = f"csrfmiddlewaretoken={token}&login={email}&password={password}".encode()
        self.request(
            "POST",
            "/accounts/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base + "/"},
        )
        assert self.request("GET", "/api/appointments/")[0] == HTTPStatus.OK


@pytest.fixture
def stack():
    """A PostgreSQL cluster and gunicorn of their own, with the demo clinic."""
    # Not pytest's tmp_path: the cluster runs as the postgres user when we are root, and must
    # reach its folder.
    work = Path(tempfile.mkdtemp(prefix="vetchat-faults-"))
    work.chmod(0o711)
    pgdir = work / "pg"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    database_url = run(str(POSTGRES), "start", str(pgdir), "fast", env=base_env).strip()
    port = free_port()
    env = {
        **base_env,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "f" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_RATE_LIMITS": "off",
        "DJANGO_LOG_LEVEL": "CRITICAL",
    }
    run(sys.executable, "manage.py", "migrate", "--no-input", "-v0", env=env)
    run(sys.executable, "manage.py", "seed_demo", env=env)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vetchat.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, pgdir, env
    finally:
        server.terminate()
        server.wait(timeout=15)
        run(str(POSTGRES), "stop", str(pgdir), env=base_env)
        shutil.rmtree(work, ignore_errors=True)


def demo_appointment_id(env: dict[str, str]) -> str:
    code = (
        "from portal.management.commands.seed_demo import demo_appointment_id;"
        "print(demo_appointment_id('biscuit-today'))"
    )
    return run(sys.executable, "manage.py", "shell", "-c", code, env=env).strip().splitlines()[-1]


@pytest.mark.faults
def test_a_database_restart_under_load_costs_no_message_and_no_500(stack):
    base, pgdir, env = stack
    appointment_id = demo_appointment_id(env)
    parent = Browserless(base)
    parent.sign_in("parent@example.com", "vetchat-demo")
    poll = f"/api/appointment-chat/messages?appointmentId={appointment_id}&markRead=false"

    answers: list[tuple[float, int, str, float]] = []  # started, status, content type, seconds
    acknowledged: dict[str, int] = {}
    stop = threading.Event()

    def record(started: float, status: int, headers: dict, seconds: float) -> None:
        answers.append((started, status, headers.get("Content-Type", ""), seconds))

    def poller() -> None:
        while not stop.is_set():
            started = time.monotonic()
            status, headers, _, seconds = parent.request("GET", poll)
            record(started, status, headers, seconds)

    def sender(number: int) -> None:
        client_index = 0
        while not stop.is_set():
            client_id = f"fault-{number}-{client_index}"
            body = json.dumps(
                {"appointmentId": appointment_id, "content": client_id, "clientId": client_id}
            ).encode()
            while True:  # retry the same clientId until the server acknowledges it
                started = time.monotonic()
                status, headers, _, seconds = parent.request(
                    "POST",
                    "/api/appointment-chat/messages",
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-CSRFToken": parent.csrf(),
                        "Referer": base + "/",
                    },
                )
                record(started, status, headers, seconds)
                if status in {HTTPStatus.OK, HTTPStatus.CREATED}:
                    acknowledged[client_id] = acknowledged.get(client_id, 0) + 1
                    break
                time.sleep(0.2)
            client_index += 1

    workers = [threading.Thread(target=poller), *(
        threading.Thread(target=sender, args=(n,)) for n in range(3)
    )]  # fmt: skip
    for worker in workers:
        worker.start()
    time.sleep(2)
    down_from = time.monotonic()
    base_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    run(str(POSTGRES), "stop", str(pgdir), env=base_env)
    time.sleep(2)  # the database is away for a while, not only for a blink
    run(str(POSTGRES), "start", str(pgdir), "fast", env=base_env)
    up_at = time.monotonic()
    time.sleep(4)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    # given load before, during and after the outage
    during = [a for a in answers if down_from + 0.5 <= a[0] <= up_at - 0.5]
    assert during, "no request reached the app while the database was away"
    # then nothing ever answered 500, or hung past the bound
    statuses = {status for _, status, _, _ in answers}
    assert statuses <= {HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.SERVICE_UNAVAILABLE}, statuses
    assert max(seconds for *_, seconds in answers) < REQUEST_TIMEOUT
    # and every refusal was the JSON 503
    refusals = [a for a in answers if a[1] == HTTPStatus.SERVICE_UNAVAILABLE]
    assert refusals and all(ctype.startswith("application/json") for _, _, ctype, _ in refusals)
    # the app came back by itself
    after = [a for a in answers if a[0] > up_at + 1.5]
    assert after and all(status in {HTTPStatus.OK, HTTPStatus.CREATED} for _, status, *_ in after)
    assert parent.request("GET", poll)[0] == HTTPStatus.OK

    # every acknowledged send is stored exactly once
    code = (
        "from collections import Counter; from chat.models import Message;"
        "import json; print(json.dumps(Counter(Message.objects.filter("
        "client_id__startswith='fault-').values_list('client_id', flat=True))))"
    )
    stored = json.loads(
        run(sys.executable, "manage.py", "shell", "-c", code, env=env).splitlines()[-1]
    )
    assert set(stored) >= set(acknowledged)
    assert all(count == 1 for count in stored.values()), stored
