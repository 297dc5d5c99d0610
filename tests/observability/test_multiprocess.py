"""Several processes of one node write to one PROMETHEUS_MULTIPROC_DIR and the endpoint sums
them; a dead worker's open sockets stop counting once gunicorn's hook marks it."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from vetchat import gunicorn_hooks, observability

ROOT = Path(__file__).resolve().parents[2]

# What one worker process records: two requests, one open socket, three pushes.
WORKER = """
import os
from vetchat import observability as o
o.HTTP_REQUESTS.labels("api/appointment-chat/messages", "GET", "2xx").inc(2)
o.socket_opened("chat")
o.pushes_sent(sent=3, over_capacity=0)
print(os.getpid())
"""


class NoJobs:
    def collect(self) -> list:
        return []


def worker(directory: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        cwd=ROOT,
        env={"PROMETHEUS_MULTIPROC_DIR": str(directory), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return int(done.stdout)


def figures() -> dict[tuple[str, tuple], float]:
    text = observability.scrape(jobs=NoJobs()).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_two_processes_are_summed_and_a_dead_ones_sockets_leave(tmp_path, monkeypatch):
    # given two worker processes of one node, each having counted
    first, second = worker(tmp_path), worker(tmp_path)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    requests = (
        "vetchat_http_requests_total",
        (("method", "GET"), ("route", "api/appointment-chat/messages"), ("status", "2xx")),
    )
    sockets = ("vetchat_open_websockets", (("socket", "chat"),))

    # then the endpoint reports their sums
    summed = figures()
    assert summed[requests] == 4
    assert summed[sockets] == 2
    assert summed[("vetchat_pushes_sent_total", ())] == 6

    # when gunicorn reaps the first
    gunicorn_hooks.child_exit(server=None, worker=SimpleNamespace(pid=first))

    # then its socket is no longer open, and what it counted still counts
    after = figures()
    assert after[sockets] == 1
    assert after[requests] == 4
    assert second != first
