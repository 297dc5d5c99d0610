"""Live chat under load: how fast a sent message reaches the other side's socket while many
idle sockets are open, and what those sockets cost in server memory.

Production layout on one box: HTTP on gunicorn's sync workers (the POST), WebSockets on
gunicorn with 2 uvicorn workers, one Redis between them. Run by scripts/bench.sh after
`bench.run`, on its dataset; `--smoke` opens a few sockets only,
BENCH_LIVE_SOCKETS=0,1000,5000,10000 chooses the idle socket counts and BENCH_LIVE_SENDS the
sends measured at each. Every send is heard by two listeners: one on that server, which passes
each event through the per-event access guard, and one on a second server started with the guard
off (VETCHAT_SOCKET_GUARD=off), so the guard's cost is read from the same sends.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket as sockets
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect as connect_sync

from bench.run import ROOT, open_log, session_for, start_gunicorn, stop

HTTP_PORT = int(os.environ.get("BENCH_PORT", "8765"))
WS_PORT = int(os.environ.get("BENCH_LIVE_PORT", HTTP_PORT + 1))
CSRF = "b" * 32


def free_port() -> int:
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


UNGUARDED_PORT = free_port()


def start_asgi(port: int = WS_PORT, **env: str) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    server = subprocess.Popen(
        [
            *(gunicorn, "vetchat.asgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "2", "--worker-class", "vetchat.workers.UvicornWorker"),
            *("--log-level", "warning"),
            # A socket's handler sometimes outlives its closed socket, and uvicorn's shutdown waits
            # for it: gunicorn's default of 30 s then passed in idle waiting at every stop() of a
            # smoke run. Five, as scripts/run.sh gives the served app.
            *("--graceful-timeout", "5"),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "0", **env},
        start_new_session=True,
        stdout=open_log(),  # not the caller's pipe, which a server left behind would hold
        stderr=subprocess.STDOUT,
    )
    # Ready once a socket's handshake is answered. Not /healthz: production sends these workers
    # /ws/ alone, and an HTTP request would load Django's HTTP stack into the worker measured.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            inbox = f"ws://127.0.0.1:{port}/ws/inbox/"
            with connect_sync(inbox, origin=f"http://127.0.0.1:{port}", open_timeout=1):
                return server
        except (OSError, InvalidHandshake, TimeoutError):
            time.sleep(0.2)
    stop(server)
    raise RuntimeError("the ASGI server did not answer a socket's handshake within 60 s")


def raise_open_files_limit(sockets: int) -> None:
    """Each idle socket is a file here and one in a worker (which inherits this limit): 10,000
    sockets need more than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets + 1_000
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            sys.exit(f"{sockets:,} sockets need {wanted:,} open files; the hard limit is {hard:,}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def workers_rss_mb(server: subprocess.Popen) -> float:
    children = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    total = 0
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        total += int(line.split()[1])
    return total / 1024


async def open_socket(session: str, appointment_id: str, port: int = WS_PORT) -> ClientConnection:
    socket = await connect(
        f"ws://127.0.0.1:{port}/ws/appointment-chat/{appointment_id}/",
        additional_headers={"Cookie": f"sessionid={session}"},
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        ping_interval=None,  # idle: the page's own ping is every 25 s
        open_timeout=60,
    )
    hello = json.loads(await socket.recv())
    assert hello["type"] == "hello", hello
    return socket


def post(session: str, appointment_id: str, content: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{HTTP_PORT}/api/appointment-chat/messages",
        data=json.dumps({"appointmentId": appointment_id, "content": content}).encode(),
        headers={
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310 - loopback
        return response.status


def timed_post(session: str, appointment_id: str, content: str) -> float:
    started = time.perf_counter()
    assert post(session, appointment_id, content) == 201
    return (time.perf_counter() - started) * 1000


async def heard(listener: ClientConnection, started: float) -> float:
    """Milliseconds from `started` to the next message pushed to this listener."""
    while True:
        event = json.loads(await asyncio.wait_for(listener.recv(), 10))
        if event["type"] == "message":
            return (time.perf_counter() - started) * 1000


async def deliveries(
    listeners: list[ClientConnection], session: str, appointment_id: str, n: int
) -> tuple[list[list[float]], list[float]]:
    """Milliseconds from the start of each POST to its push on each listener, and of the POST."""
    loop = asyncio.get_running_loop()
    latencies: list[list[float]] = [[] for _ in listeners]
    posts = []
    for number in range(n):
        started = time.perf_counter()
        sending = loop.run_in_executor(None, timed_post, session, appointment_id, f"b{number}")
        times = await asyncio.gather(*(heard(listener, started) for listener in listeners))
        for own, took in zip(latencies, times, strict=True):
            own.append(took)
        posts.append(await sending)
        await asyncio.sleep(0.02)
    return latencies, posts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(levels: list[int], sends: int, targets: list[tuple[str, str]], measured) -> list:
    listener_session, sender_session, appointment_id = measured
    listener = await open_socket(listener_session, appointment_id)
    unguarded = await open_socket(listener_session, appointment_id, UNGUARDED_PORT)
    idle: list[ClientConnection] = []
    rows = []
    for level in levels:
        while len(idle) < level:
            batch = targets[len(idle) % len(targets) :][: min(200, level - len(idle))]
            idle.extend(await asyncio.gather(*(open_socket(s, a) for s, a in batch)))
        await asyncio.sleep(2)  # let the workers settle before reading their memory
        rss = workers_rss_mb(SERVERS["asgi"])
        listeners = [listener, unguarded]
        await deliveries(listeners, sender_session, appointment_id, 5)  # warm-up
        (latencies, bare), posts = await deliveries(
            listeners, sender_session, appointment_id, sends
        )
        rows.append(
            (
                level,
                rss,
                statistics.median(latencies),
                percentile(latencies, 0.99),
                statistics.median(posts),
                statistics.median(bare),
                percentile(bare, 0.99),
            )
        )
        print(f"live step: {level} idle sockets done", flush=True)
    for socket in [listener, unguarded, *idle]:
        await socket.close()
    return rows


SERVERS: dict[str, subprocess.Popen] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few sockets, a few sends")
    smoke = parser.parse_args().smoke or os.environ.get("BENCH_SMOKE") == "1"
    levels = [0, 50] if smoke else [0, 1_000, 5_000, 10_000]
    if os.environ.get("BENCH_LIVE_SOCKETS"):
        levels = [int(level) for level in os.environ["BENCH_LIVE_SOCKETS"].split(",")]
    sends = int(os.environ.get("BENCH_LIVE_SENDS", "20" if smoke else "200"))
    raise_open_files_limit(max(levels))

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()
    from appointments.models import Appointment

    appointments = list(
        Appointment.objects.select_related("pet_parent", "veterinarian").order_by("starts_at")[:500]
    )
    sessions: dict = {}

    def session(user) -> str:
        return sessions.setdefault(user.pk, session_for(user))

    measured_chat, others = appointments[0], appointments[1:]
    measured = (
        session(measured_chat.veterinarian),
        session(measured_chat.pet_parent),
        str(measured_chat.pk),
    )
    targets = [(session(a.pet_parent), str(a.pk)) for a in others]

    try:
        SERVERS["http"] = start_gunicorn()
        SERVERS["asgi"] = start_asgi()  # stopped below whether or not it started in time
        SERVERS["unguarded"] = start_asgi(UNGUARDED_PORT, VETCHAT_SOCKET_GUARD="off")
        floor = []
        for _ in range(50):
            started = time.perf_counter()
            url = f"http://127.0.0.1:{HTTP_PORT}/healthz"
            urllib.request.urlopen(url, timeout=5).read()  # nosec B310 - our loopback server
            floor.append((time.perf_counter() - started) * 1000)
        print(f"GET /healthz p50: {statistics.median(floor):.2f} ms")
        rows = asyncio.run(run(levels, sends, targets, measured))
    finally:
        for server in SERVERS.values():
            stop(server)  # one still closing thousands of sockets after 30 s is killed

    base_rss = rows[0][1]
    print()
    print(
        "vetchat live benchmark: POST to gunicorn (2 sync workers), the other side's socket on "
        f"gunicorn with 2 uvicorn workers, one Redis; {sends} sends per row"
    )
    print()
    print(
        f"| {'idle sockets':>12} | {'ASGI RSS MB':>11} | {'MB / 1,000 idle':>15} | "
        f"{'delivery p50 ms':>15} | {'delivery p99 ms':>15} | {'POST p50 ms':>11} | "
        f"{'no guard p50 ms':>15} | {'no guard p99 ms':>15} |"
    )
    print(
        f"|{'-' * 14}|{'-' * 13}|{'-' * 17}|{'-' * 17}|{'-' * 17}|{'-' * 13}|{'-' * 17}|{'-' * 17}|"
    )
    for level, rss, p50, p99, post_p50, bare_p50, bare_p99 in rows:
        per_1000 = f"{(rss - base_rss) / level * 1000:.1f}" if level else "-"
        print(
            f"| {level:>12,} | {rss:>11.0f} | {per_1000:>15} | {p50:>15.2f} | {p99:>15.2f} "
            f"| {post_p50:>11.2f} | {bare_p50:>15.2f} | {bare_p99:>15.2f} |"
        )
    print()
    print(
        "no guard: the same sends heard on a second ASGI server started with the per-event "
        "access guard off (VETCHAT_SOCKET_GUARD=off)"
    )


if __name__ == "__main__":
    main()
