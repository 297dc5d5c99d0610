"""Real app servers for the tests that need more than one process: uvicorn serving
`vetchat.asgi` on the test database and a Redis of the caller's choosing, plus a small
HTTP/WebSocket client that signs in with a session cookie."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from websockets.sync.client import ClientConnection, connect

from vetchat.workers import WEBSOCKET_OPTIONS as WS_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
REDIS_SCRIPT = ROOT / "scripts" / "redis.sh"
# Any value of the right shape: the CSRF check compares the cookie with the header.
CSRF_TOKEN = "k" * 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url() -> str:
    """DATABASE_URL, pointed at the test database pytest-django created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class AsgiServer:
    def __init__(
        self,
        *,
        redis_url: str | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.redis_url = redis_url or os.environ["REDIS_URL"]
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "artifacts" / f"asgi-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "AsgiServer":
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": self.redis_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_CONN_MAX_AGE": "0",
            # These servers carry the tests' bursts; the limits have tests of their own.
            "DJANGO_RATE_LIMITS": "off",
            **self.env,
        }
        self.log.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "vetchat.asgi:application"),
                *("--host", "127.0.0.1", "--port", str(self.port)),
                *("--lifespan", "off", "--no-access-log"),
                # the WebSocket settings of the served layout (gunicorn's worker class)
                *(f"--{name.replace('_', '-')}={value}" for name, value in WS_OPTIONS.items()),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"server did not start; see {self.log}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class RedisServer:
    """A Redis of its own, for tests that stop it; the suite's Redis is never stopped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = ""

    def start(self) -> "RedisServer":
        self.url = subprocess.run(
            [str(REDIS_SCRIPT), "start", str(self.folder)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return self

    def stop(self) -> None:
        subprocess.run([str(REDIS_SCRIPT), "stop", str(self.folder)], check=True)


class SignedIn:
    """HTTP and WebSockets as one signed-in browser would speak them."""

    def __init__(self, session_key: str) -> None:
        self.session_key = session_key

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session_key}; csrftoken={CSRF_TOKEN}"

    def request(
        self, server: AsgiServer, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            server.url + path,
            data=data,
            method=method,
            headers={
                "Cookie": self.cookie,
                "X-CSRFToken": CSRF_TOKEN,
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def send(self, server: AsgiServer, appointment_id: Any, content: str) -> tuple[int, Any]:
        return self.request(
            server,
            "POST",
            "/api/appointment-chat/messages",
            {"appointmentId": str(appointment_id), "content": content},
        )

    def socket(
        self, server: AsgiServer, appointment_id: Any, *, after: int | None = None
    ) -> ClientConnection:
        query = "" if after is None else f"?after={after}"
        return connect(
            f"ws://127.0.0.1:{server.port}/ws/appointment-chat/{appointment_id}/{query}",
            additional_headers={"Cookie": self.cookie},
            origin=server.url,  # type: ignore[arg-type]
            open_timeout=5,
        )
