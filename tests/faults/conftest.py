"""What the fault tests share: a PostgreSQL cluster and gunicorn of their own with the demo
clinic, and a cookie-jar client that signs in through the real form."""

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

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


@dataclass
class Stack:
    base: str
    pgdir: Path
    env: dict[str, str]
    server: subprocess.Popen

    def send(self, client: "Browserless", body: bytes) -> tuple[int, dict, bytes, float]:
        return client.request(
            "POST",
            "/api/appointment-chat/messages",
            body,
            {
                "Content-Type": "application/json",
                "X-CSRFToken": client.csrf(),
                "Referer": self.base + "/",
            },
        )


@contextlib.contextmanager
def running_stack(extra_env: dict[str, str] | None = None, workers: int = 2) -> Iterator[Stack]:
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
        "DJANGO_LOG_LEVEL": "ERROR",
        **(extra_env or {}),
    }
    log = ROOT / "artifacts" / f"faults-gunicorn-{port}.log"
    log.parent.mkdir(exist_ok=True)
    run(sys.executable, "manage.py", "migrate", "--no-input", "-v0", env=env)
    # A cluster of its own, with debug off as in production: the demo is wanted all the same.
    run(sys.executable, "manage.py", "seed_demo", "--force", env=env)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vetchat.wsgi", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
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
        yield Stack(base, pgdir, env, server)
    finally:
        server.terminate()
        server.wait(timeout=15)
        run(str(POSTGRES), "stop", str(pgdir), env=base_env)
        shutil.rmtree(work, ignore_errors=True)


def stored_client_ids(env: dict[str, str], prefix: str) -> dict[str, int]:
    """How often each message whose clientId starts with `prefix` is stored."""
    code = (
        "from collections import Counter; from chat.models import Message;"
        "import json; print(json.dumps(Counter(Message.objects.filter("
        f"client_id__startswith='{prefix}').values_list('client_id', flat=True))))"
    )
    return json.loads(
        run(sys.executable, "manage.py", "shell", "-c", code, env=env).splitlines()[-1]
    )


def demo_appointment_id(env: dict[str, str]) -> str:
    code = (
        "from portal.management.commands.seed_demo import demo_appointment_id;"
        "print(demo_appointment_id('biscuit-today'))"
    )
    return run(sys.executable, "manage.py", "shell", "-c", code, env=env).strip().splitlines()[-1]
