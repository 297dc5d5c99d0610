import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "sentinel.sh"


def consecutive_free_ports(count: int) -> int:
    """The first of `count` loopback ports in a row that nothing holds, from the kernel's choice
    of a free one (other test workers and a running cluster pick theirs the same way)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65536:
            continue
        taken: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                taken.append(socket.socket())
                taken[-1].bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for held in taken:
                held.close()
        return first
    raise RuntimeError(f"no {count} free ports in a row")


@dataclass
class SentinelSet:
    """A primary, a replica and three sentinels started by scripts/sentinel.sh in `folder`."""

    folder: Path
    port: int
    url: str = ""

    def run(self, action: str) -> str:
        result = subprocess.run(
            [str(SCRIPT), action, str(self.folder), str(self.port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            pytest.fail(f"scripts/sentinel.sh {action} failed: {result.stderr}")
        return result.stdout.strip()

    def start(self) -> str:
        self.url = self.run("start")
        return self.url

    def stop(self) -> None:
        self.run("stop")

    def primary(self) -> str | None:
        """redis1 or redis2 as two sentinels agree, or None while they do not."""
        result = subprocess.run(
            [str(SCRIPT), "primary", str(self.folder)], capture_output=True, text=True, timeout=30
        )
        return result.stdout.strip() or None

    def status(self) -> dict[str, str]:
        """Each process's name: "up <port> <role>" or "down <port>"."""
        lines = self.run("status").splitlines()
        return dict(line.split(" ", 1) for line in lines)

    def client(self, name: str) -> redis.Redis:
        """A client of redis1 or redis2 itself, past the sentinels."""
        password = (self.folder / "password").read_text().strip()
        return redis.Redis(port=self.port_of(name), password=password)

    def port_of(self, name: str) -> int:
        return self.port + {"redis1": 0, "redis2": 1}[name]

    def pid_of(self, name: str) -> int:
        return int((self.folder / f"{name}.pid").read_text())


@pytest.fixture(scope="module")
def sentinel_set(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSet]:
    """A Redis with Sentinel of the module's own, on free ports; the module fails (it does not
    skip) where Debian's redis-sentinel is missing: scripts/packages.sh test installs it."""
    running = SentinelSet(tmp_path_factory.mktemp("sentinel"), consecutive_free_ports(5))
    running.start()
    try:
        yield running
    finally:
        running.stop()
