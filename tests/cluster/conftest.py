"""The cluster of scripts/cluster.sh, started once for the failover tests on ports of its own:
HAProxy, three app nodes, Patroni with etcd, PgBouncer, Redis with Sentinel. A missing part
fails the tests: `scripts/packages.sh test` installs every one."""

import os
import random
import shutil
import socket
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.cluster import sockets_backend

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "scripts" / "cluster.sh"
PORTS_USED = 70  # CLUSTER_PORT and the ones above it (scripts/cluster.sh)


def free_base() -> int:
    """A CLUSTER_PORT whose whole range is free now, below the ephemeral ports (32768 and up)
    that the machine's outgoing connections take."""
    for _ in range(50):
        base = random.randrange(10000, 32000, 100)  # nosec B311  # not a secret
        try:
            for port in range(base, base + PORTS_USED):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free range of ports for the cluster")


@dataclass
class Cluster:
    base: str
    dir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [str(CLUSTER), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"cluster.sh {' '.join(args)}:\n{result.stderr}"
        return result.stdout.strip()

    def kill(self, name: str) -> str:
        """SIGKILL a part, or whoever holds a role now (pg-primary); the name of what died."""
        return self.run("kill", name).splitlines()[-1]

    def restart(self, name: str) -> str:
        return self.run("restart", name).splitlines()[-1]

    def busiest_node(self) -> str:
        """The node holding the most sockets now, by HAProxy's own count: the one whose death
        the sockets feel (a node marked up late, or down for a moment, may hold none)."""
        figures = sockets_backend(int(self.env["CLUSTER_PORT"]) + 1)
        nodes = [name for name in figures if name.startswith("node")]
        return max(nodes, key=lambda node: figures[node]["scur"])

    def job_workers_answering(self) -> int:
        """How many of the nodes' six job workers serve their figures now (each on its port)."""
        base = int(self.env["CLUSTER_PORT"])
        answering = 0
        for port in (base + 40 + 2 * node + worker for node in (1, 2, 3) for worker in (0, 1)):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2):  # nosec B310  # our own loopback worker
                    answering += 1
            except OSError:
                pass
        return answering

    def node_env(self) -> dict[str, str]:
        """What the nodes run with (secrets, URLs), for a command run beside them."""
        pairs = (line.split("=", 1) for line in (self.dir / "env").read_text().splitlines())
        return {**self.env, **dict(pairs)}


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    # Not pytest's tmp_path: PostgreSQL runs as the postgres user, which must reach its folder.
    work = Path(tempfile.mkdtemp(prefix="vetchat-cluster-"))
    work.chmod(0o755)
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "DJANGO_", "PYTEST_", "VETCHAT_"))
    }
    env = {
        **inherited,
        "CLUSTER_DIR": str(work),
        "CLUSTER_PORT": str(free_base()),
        # The senders' own limits would refuse the load; the sign-in limits stay.
        "DJANGO_RATE_LIMITS": "off",
    }
    running = Cluster(base="", dir=work, env=env)
    try:
        running.base = running.run("up", timeout=600).splitlines()[-1].rstrip("/")
        yield running
    finally:
        subprocess.run([str(CLUSTER), "down"], cwd=ROOT, env=env, timeout=120, check=False)
        # The parts' logs outlive the cluster, for a failure's story.
        logs = ROOT / "artifacts" / f"cluster-{env['CLUSTER_PORT']}"
        logs.mkdir(parents=True, exist_ok=True)
        for log in work.glob("*.log"):
            shutil.copy(log, logs)
        shutil.rmtree(work, ignore_errors=True)
