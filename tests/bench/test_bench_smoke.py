"""The benchmark harness, run tiny, so that `make bench` cannot rot unnoticed."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [
    "floor: /healthz",
    "poll, nothing new, If-None-Match (304)",
    "poll, nothing new, no ETag",
    "poll, 1 new message",
    "send, 16 senders in 16 chats",
    "send, 16 senders in 1 chat",
    "latest page, 10-message chat",
    "latest page, 100,000-message chat",
    "before page, 10-message chat",
    "before page, 100,000-message chat",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.bench
def test_smoke_run_prints_a_full_table():
    result = subprocess.run(
        ["scripts/bench.sh", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,  # the transcript step takes about 30 s of it on a busy machine
        # Its own database, not ours, and a port nothing else on the machine holds.
        env={
            "PATH": os.environ["PATH"],
            "BENCH_PORT": str(free_port()),
            "BENCH_LIVE_PORT": str(free_port()),
        },
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    for name in SCENARIOS:
        row = next(line for line in output.splitlines() if line.startswith(f"| {name} "))
        rps, p50, p99, ratio, errors = [cell.strip() for cell in row.split("|")[2:7]]
        assert float(rps) > 0 and float(p50) > 0 and float(p99) > 0 and float(ratio) > 0, row
        assert errors == "0", row
    # Speed is for `make bench` on a quiet machine: the smoke run only needs the line.
    assert re.search(r"open chats served with p99 < 100 ms .*: [\d,]+ \(", output), output
    assert re.search(r"peak RSS per worker: \d+ MB, \d+ MB", output)
    counts = re.search(r"\| poll, nothing new \(304\)\s+\|\s+(\d+) \|\s+(\d+) \|", output)
    assert counts and counts.group(1) == counts.group(2) and int(counts.group(1)) <= 3
    live = re.findall(
        r"^\|\s+(\d+) \|\s+(\d+) \|\s+([\d.-]+) \|\s+([\d.]+) \|\s+([\d.]+) \|", output, re.M
    )
    assert [row[0] for row in live] == ["0", "50"], output
    assert all(float(row[3]) > 0 and float(row[4]) > 0 for row in live)
    search = re.search(
        r"search p99 over [\d,]+ messages: parent ([\d.]+) ms, vet ([\d.]+) ms", output
    )
    assert search and float(search.group(1)) > 0 and float(search.group(2)) > 0, output
    searched = re.findall(r"^\| (parent|vet) \(.*\| (\d+) \| ([\d.]+) \| ([\d.]+) \|", output, re.M)
    assert len(searched) == 14 and any(int(row[1]) > 0 for row in searched), output
    assert "one chat of 30 messages" in output, output
    pdf = re.search(r"\| transcript PDF, laid out \(s\)\s+\|\s+([\d.]+) \|", output)
    rss = re.search(r"\| transcript PDF peak RSS \(MB\)\s+\|\s+(\d+) \|", output)
    assert pdf and float(pdf.group(1)) > 0 and rss and int(rss.group(1)) > 0, output
    # The red-flag matcher's cost on the send path (bench/clinic.py).
    assert re.search(r"^send p99, matcher on ÷ off: [\d.]+ ", output, re.M), output
    signal = re.search(r"^\| signal round trip p50 +\| +([\d.]+) \|$", output, re.M)
    assert signal and float(signal.group(1)) > 0, output
    # What each part of a send costs (bench/send_path.py).
    parts = re.findall(
        r"^\| (hash chain|live push|unread notification) \|.*\| ([\d.]+) \|$", output, re.M
    )
    assert [name for name, _ in parts] == ["hash chain", "live push", "unread notification"]
    assert all(float(ratio) > 0 for _, ratio in parts), output
    # and the same parts through the whole request, as a client sends it
    over_http = re.findall(
        r"^\| (hash chain|live push|unread notification), over HTTP \|.*\| ([\d.]+) \|$",
        output,
        re.M,
    )
    assert [name for name, _ in over_http] == [name for name, _ in parts], output
    assert all(float(ratio) > 0 for _, ratio in over_http), output


@pytest.mark.bench
def test_side_by_side_smoke_run_compares_the_304_poll_and_the_send():
    ports = f"{free_port()},{free_port()}"
    # HEAD as the earlier commit: a shallow checkout holds it too
    result = subprocess.run(
        [sys.executable, "-m", "bench.beside", "HEAD", "--smoke", "--ports", ports],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
        env={"PATH": os.environ["PATH"]},  # its own databases, not ours
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for row in (r"poll, nothing new \(304\)", r"send, 16 senders in 16 chats"):
        summary = re.search(rf"\| {row} \| ([\d,]+) \| ([\d,]+) \|", result.stdout)
        assert summary, result.stdout
        assert all(int(figure.replace(",", "")) > 0 for figure in summary.groups())
    assert "errors: 0" in result.stdout


@pytest.mark.bench
@pytest.mark.django_db(transaction=True)
def test_instruction_count_of_the_304_poll():
    result = subprocess.run(
        [sys.executable, "-m", "bench.instructions", "--requests", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
        # the test database, where it builds the smoke data
        env={**os.environ, "DATABASE_URL": servers.test_database_url()},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "GET /api/appointment-chat/messages: 304 Not Modified, 3 requests" in result.stdout
    count = re.search(r"python instructions per request: ([\d,]+)", result.stdout)
    assert count and int(count[1].replace(",", "")) > 100_000, result.stdout
