"""The cluster of scripts/cluster.sh under load: a node restarted with thousands of chat sockets
on it, and what one node carries.

    python -m bench.cluster restart [--sockets 5000] [--node node1]
    python -m bench.cluster capacity [--seconds 10]

Both read CLUSTER_DIR and CLUSTER_PORT as scripts/cluster.sh does, and need the cluster up,
started with DJANGO_RATE_LIMITS=off (the nodes inherit it: a thousand sockets of one sign-in, or
wrk's requests, are over any one person's budget).

restart: opens `--sockets` sockets straight to one node's ASGI port, each as a chat page opens
its own (the demo appointment `biscuit-today`, its pet parent signed in), then runs
`scripts/cluster.sh restart NODE`. Each socket behaves as static/js/live.js: on close it waits
its backoff (1 s times 0.5 to 1, doubling, at most 10 s) and reconnects through HAProxy's one
URL with `?after=<lastSeq>`, so that its `hello` brings what it missed (chat/consumers.py); only
a `hello` with `hasMore` is followed by fetches. One message is sent while the node is down, so
each resync has something to bring. The time from a socket's close to its resync, the queries
PgBouncer passed per reconnect (its admin console's `SHOW STATS`, less the rate of the nodes'
health checks measured before), and the RSS of the node's socket server with the sockets on it
are printed; then the queries of a reconnect alone, with nothing missed and with one message
missed, over `--breakdown` more of each. `--kill` SIGKILLs the node instead and
starts it again after the storm, so that its start does not share the CPU with the reconnects.

capacity: sends, polls (unchanged, with its ETag: 304; unchanged without it; one new message)
and searches per second with wrk (bench/scenario.lua, as `make bench` drives it, beside the floor
of /healthz), aimed at one node's own port and at the one URL, and each node's memory by part.
"""

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import aiohttp
from websockets.asyncio.client import connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    WebSocketException,
)
from yarl import URL

from bench.live import percentile, raise_open_files_limit
from bench.run import ROOT, wrk
from tests.faults.conftest import Browserless

CLUSTER = ROOT / "scripts" / "cluster.sh"
PARENT = "parent@example.com"  # the demo appointment's pet parent
COOWNER = "coowner@example.com"  # sends the message the restarted node's sockets missed
PARENTS = [PARENT, "parent2@example.com", "parent3@example.com", COOWNER]
FIRST_RETRY_S = 1.0  # static/js/live.js
MAX_RETRY_S = 10.0
HANDSHAKE_TIMEOUT_S = 60  # HAProxy's `timeout server` (scripts/cluster.sh)
OPENING_AT_ONCE = 100  # handshakes in flight while the sockets are opened
SEARCHED = "limping"  # a word of the demo's conversation
STARTED_WITH = dict(os.environ)


# The cluster ------------------------------------------------------------------------------


@dataclass
class Cluster:
    dir: Path
    base: int
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> "Cluster":
        directory = Path(os.environ.get("CLUSTER_DIR", ROOT / ".cluster")).resolve()
        if not (directory / "env").is_file():
            sys.exit(f"No cluster in {directory}: start one with scripts/cluster.sh up")
        pairs = (line.split("=", 1) for line in (directory / "env").read_text().splitlines())
        base = int(os.environ.get("CLUSTER_PORT", "8400"))
        return cls(dir=directory, base=base, env=dict(pairs))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    def wsgi_port(self, node: int) -> int:
        return self.base + 20 + node

    def asgi_port(self, node: int) -> int:
        return self.base + 30 + node

    def cluster_sh(self, *args: str) -> str:
        # A node started again inherits this environment: the one the bench was started with
        # (not the cluster's, which `demo()` put in os.environ), the rate limits off as at `up`.
        env = {
            **{k: v for k, v in STARTED_WITH.items() if not k.startswith(("DATABASE_", "REDIS_"))},
            "CLUSTER_DIR": str(self.dir),
            "CLUSTER_PORT": str(self.base),
            "DJANGO_RATE_LIMITS": "off",
        }
        result = subprocess.run(
            [str(CLUSTER), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise RuntimeError(f"cluster.sh {' '.join(args)}:\n{result.stderr}")
        return result.stdout

    def queries(self) -> int:
        """Queries PgBouncer has passed to PostgreSQL so far, every database's together."""
        result = subprocess.run(
            [
                *("psql", "-h", "127.0.0.1", "-p", str(self.base + 4)),
                # The admin console: scripts/pgbouncer.sh names vetchat its admin and stats user.
                *("-U", "vetchat", "pgbouncer", "-AF", "\t", "-c", "SHOW STATS"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        header, *rows = result.stdout.splitlines()
        column = header.split("\t").index("total_query_count")
        return sum(int(row.split("\t")[column]) for row in rows if "\t" in row)

    def sockets_backend(self) -> dict[str, dict[str, int]]:
        return sockets_backend(self.base + 1)

    def node_rss_mb(self, node: int) -> dict[str, float]:
        """The resident memory of a node's processes by part: web (gunicorn's sync WSGI master
        and workers), sockets (the uvicorn ones), jobs (the procrastinate workers), the node's
        shell, and all of them."""
        leader = int((self.dir / f"node{node}.pid").read_text())
        table = subprocess.run(
            ["ps", "-e", "-o", "pid=,ppid=,rss=,args="], capture_output=True, text=True, check=True
        ).stdout
        processes = {}
        for line in table.splitlines():
            fields = line.split(None, 3)
            if len(fields) == 4:  # a process without a command line has nothing to match
                processes[int(fields[0])] = (int(fields[1]), int(fields[2]), fields[3])

        def part_of(pid: int) -> str | None:
            """Which part a descendant of the node's session belongs to, by its topmost
            command below the session's shell; None if it is not the node's."""
            part = "shell"
            while pid in processes:
                ppid, _, args = processes[pid]
                if "vetchat.wsgi" in args:
                    part = "web"
                elif "vetchat.asgi" in args:
                    part = "sockets"
                elif "procrastinate" in args:
                    part = "jobs"
                if pid == leader:
                    return part
                pid = ppid
            return None

        totals: Counter[str] = Counter()
        for pid, (_, rss, _) in processes.items():
            part = part_of(pid)
            if part is not None:
                totals[part] += rss / 1024
                totals["all"] += rss / 1024
        return {part: totals[part] for part in ("web", "sockets", "jobs", "shell", "all")}


def sockets_backend(stats_port: int) -> dict[str, dict[str, int]]:
    """HAProxy's figures of its `sockets` backend, by server (node1..node3) and for the
    backend: sockets open now (scur), connection errors (econ), retries (wretr) and
    redispatches (wredis) since HAProxy started."""
    stats = f"http://127.0.0.1:{stats_port}/;csv"
    with urllib.request.urlopen(stats, timeout=5) as answer:  # nosec B310  # our loopback HAProxy
        header, *rows = answer.read().decode().splitlines()
    names = header.removeprefix("# ").split(",")
    figures = {}
    for row in rows:
        values = dict(zip(names, row.split(","), strict=False))
        if values.get("pxname") == "sockets":
            figures[values["svname"]] = {
                key: int(values[key] or 0) for key in ("scur", "econ", "wretr", "wredis")
            }
    return figures


def signed_in(cluster: Cluster, email: str, password: str) -> Browserless:
    client = Browserless(cluster.url)
    client.sign_in(email, password)
    return client


def cookie(client: Browserless, name: str) -> str:
    return next(c.value for c in client.jar if c.name == name)


def demo() -> tuple[str, str]:
    """The demo's password and its appointment of today (the cluster's env, for the settings)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    django.setup()
    from portal.management.commands.seed_demo import DEMO_PASSWORD, demo_appointment_id

    return DEMO_PASSWORD, str(demo_appointment_id("biscuit-today"))


class QueryMeter:
    """PgBouncer's query count over a stretch, less what the nodes' health checks cost meanwhile
    (HAProxy asks each node's /readyz every few seconds)."""

    def __init__(self, cluster: Cluster, *, background_seconds: float = 5) -> None:
        self.cluster = cluster
        before, started = cluster.queries(), time.monotonic()
        time.sleep(background_seconds)
        self.rate = (cluster.queries() - before) / (time.monotonic() - started)

    def start(self) -> None:
        self.count, self.started = self.cluster.queries(), time.monotonic()

    def stop(self) -> float:
        """Queries since `start()`, less the background's."""
        return self.cluster.queries() - self.count - self.rate * (time.monotonic() - self.started)


# restart: a node restarted with its sockets on it ----------------------------------------


@dataclass
class Page:
    """One open chat page's socket, as static/js/live.js and the chat's catch-up drive it."""

    last_seq: int = 0
    resuming: bool = False  # opened first with `after=<last_seq>`, as a reconnect is
    opened: bool = False
    closed_at: float | None = None
    hello_seconds: float | None = None  # from the close to the next hello
    resync_seconds: float | None = None
    resynced_at: float | None = None
    fetched: int = 0


@dataclass
class Storm:
    cluster: Cluster
    appointment_id: str
    session: str
    pages: list[Page]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    first_close: asyncio.Event = field(default_factory=asyncio.Event)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # attempts closed before hello

    def socket_url(self, port: int, after: int | None = None) -> str:
        query = "" if after is None else f"?after={after}"
        return f"ws://127.0.0.1:{port}/ws/appointment-chat/{self.appointment_id}/{query}"

    async def live(self, page: Page, first_port: int, http: aiohttp.ClientSession) -> None:
        """The page's socket, from its first open until `stop`: every close is followed by a
        reconnect through the one URL, whose `hello` brings what the page missed."""
        port = first_port
        retries = 0
        while not self.stop.is_set():
            heard_hello = False
            resuming = page.opened or page.resuming
            try:
                async with connect(
                    self.socket_url(port, page.last_seq if resuming else None),
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    origin=self.cluster.url,  # type: ignore[arg-type]
                    ping_interval=None,  # the page's own ping is every 25 s
                    # A browser waits for the handshake as long as HAProxy does (its `timeout
                    # server`): one that gave up sooner would leave its attempt queued at the
                    # node and try again on top of it.
                    open_timeout=HANDSHAKE_TIMEOUT_S,
                    close_timeout=1,
                ) as socket:
                    hello = json.loads(await asyncio.wait_for(socket.recv(), HANDSHAKE_TIMEOUT_S))
                    if hello["type"] != "hello":
                        raise ConnectionError(f"no hello: {hello}")
                    heard_hello = True
                    retries = 0
                    if resuming:
                        self.take(page, hello["messages"])
                    else:
                        page.last_seq = hello["lastSeq"]
                    page.opened = True
                    if page.closed_at is not None and page.hello_seconds is None:
                        page.hello_seconds = time.monotonic() - page.closed_at
                        if hello["hasMore"]:
                            await self.resync(page, http)
                        self.resynced(page)
                    async for frame in socket:
                        event = json.loads(frame)
                        if event["type"] == "message":
                            page.last_seq = max(page.last_seq, event["message"]["seq"])
                reason = "closed"
            except InvalidStatus as error:
                reason = f"handshake answered {error.response.status_code}"
            except ConnectionClosed as error:
                reason = f"closed {error.rcvd.code}" if error.rcvd else "closed abnormally"
            except (
                WebSocketException,
                InvalidHandshake,
                ConnectionError,
                OSError,
                TimeoutError,
            ) as error:
                reason = type(error).__name__
            if not heard_hello:
                self.failures[reason] += 1
            if self.stop.is_set():
                return
            if page.closed_at is None and page.opened:
                page.closed_at = time.monotonic()
                self.first_close.set()
            if page.opened:  # from its first close on, through HAProxy's one URL
                port = self.cluster.base
            delay = min(FIRST_RETRY_S * 2**retries, MAX_RETRY_S)
            retries += 1
            # Jitter, as the page's: the sockets of a restarted server do not come back at once.
            await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311  # nosec B311  # not a secret

    @staticmethod
    def take(page: Page, messages: list[dict]) -> None:
        page.fetched += len(messages)
        for message in messages:
            page.last_seq = max(page.last_seq, message["seq"])

    @staticmethod
    def resynced(page: Page) -> None:
        if page.resync_seconds is None and page.closed_at is not None:
            page.resynced_at = time.monotonic()
            page.resync_seconds = page.resynced_at - page.closed_at

    async def resync(self, page: Page, http: aiohttp.ClientSession) -> None:
        """The rest of what the page missed, after what its `hello` brought: `after=<lastSeq>`,
        page by page, retried as the page's transport does while the answer is not 200."""
        failures = 0
        while not self.stop.is_set():
            query = urllib.parse.urlencode(
                {"appointmentId": self.appointment_id, "after": page.last_seq, "markRead": "false"}
            )
            try:
                async with http.get(
                    f"{self.cluster.url}/api/appointment-chat/messages?{query}"
                ) as answer:
                    self.statuses[answer.status] += 1
                    body = await answer.json() if answer.status == HTTPStatus.OK else None
            except (aiohttp.ClientError, TimeoutError):
                body = None
            if body is None:
                failures += 1
                await asyncio.sleep(min(FIRST_RETRY_S * 2 ** (failures - 1), MAX_RETRY_S))
                continue
            self.take(page, body["messages"])
            if body["hasMore"] and body["messages"]:
                continue
            return


def send_missed(cluster: Cluster, client: Browserless, appointment_id: str) -> None:
    """One message into the chat while the node is down, retried with its clientId until it is
    stored (a 502 or 503 while HAProxy has not yet marked the node down)."""
    client_id = f"bench-restart-{time.time_ns()}"
    body = json.dumps(
        {
            "appointmentId": appointment_id,
            "content": "Sent while a node restarted.",
            "clientId": client_id,
        }
    ).encode()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            status, _, _, _ = client.request(
                "POST",
                "/api/appointment-chat/messages",
                body,
                {
                    "Content-Type": "application/json",
                    "X-CSRFToken": client.csrf(),
                    "Referer": cluster.url + "/",
                },
            )
        except OSError:
            status = 0
        if status in {HTTPStatus.OK, HTTPStatus.CREATED}:
            return
        time.sleep(0.2)
    raise RuntimeError("the message sent while the node restarted was not stored in 15 s")


async def open_all(storm: Storm, port: int, http: aiohttp.ClientSession) -> list[asyncio.Task]:
    """Each page's socket task, started `OPENING_AT_ONCE` at a time; returns once all are open."""
    tasks = []
    for start in range(0, len(storm.pages), OPENING_AT_ONCE):
        batch = storm.pages[start : start + OPENING_AT_ONCE]
        tasks += [asyncio.create_task(storm.live(page, port, http)) for page in batch]
        deadline = time.monotonic() + 60
        while not all(page.opened for page in batch):
            if time.monotonic() > deadline:
                raise RuntimeError(f"sockets {start}-{start + len(batch)}: not open in 60 s")
            await asyncio.sleep(0.05)
        print(f"  {start + len(batch):,} sockets open", end="\r", flush=True)
    print()
    return tasks


async def restart_storm(args: argparse.Namespace) -> None:
    cluster = Cluster.from_environment()
    os.environ.update(cluster.env)
    password, appointment_id = demo()
    node = int(args.node.removeprefix("node"))
    raise_open_files_limit(args.sockets + 2 * OPENING_AT_ONCE)

    parent = signed_in(cluster, PARENT, password)
    coowner = signed_in(cluster, COOWNER, password)
    session = cookie(parent, "sessionid")
    pages = [Page() for _ in range(args.sockets)]
    storm = Storm(cluster, appointment_id, session, pages)
    jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1: an address, which aiohttp skips otherwise
    jar.update_cookies({"sessionid": session}, URL(cluster.url))
    async with aiohttp.ClientSession(
        cookie_jar=jar,
        connector=aiohttp.TCPConnector(limit=OPENING_AT_ONCE),
        timeout=aiohttp.ClientTimeout(total=10),
        headers={"Accept": "application/json"},
    ) as http:
        rss_empty = cluster.node_rss_mb(node)["sockets"]
        print(f"Opening {args.sockets:,} sockets on {args.node} (port {cluster.asgi_port(node)})")
        opening = time.monotonic()
        tasks = await open_all(storm, cluster.asgi_port(node), http)
        opened_in = time.monotonic() - opening
        storm.failures.clear()  # from here on, the reconnects' failures
        await asyncio.sleep(2)  # the worker settles before its memory is read
        rss_full = cluster.node_rss_mb(node)["sockets"]
        haproxy_before = cluster.sockets_backend()

        print("Measuring the health checks' queries for 5 s")
        meter = await asyncio.to_thread(QueryMeter, cluster)
        action = "kill" if args.kill else "restart"
        print(f"{'Killing' if args.kill else 'Restarting'} {args.node}")
        meter.start()
        # --kill: SIGKILL, and the node is started again only once the storm is over, so that
        # its start (five Django processes) does not share the CPU with the reconnects.
        restarting = asyncio.create_task(
            asyncio.to_thread(cluster.cluster_sh, "kill" if args.kill else "restart", args.node)
        )
        signalled = time.monotonic()
        await asyncio.wait_for(storm.first_close.wait(), 30)
        first_close = time.monotonic()
        sending = asyncio.create_task(
            asyncio.to_thread(send_missed, cluster, coowner, appointment_id)
        )
        deadline = first_close + args.within
        while not all(page.resync_seconds is not None for page in pages):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        storm_queries = meter.stop()
        await sending
        await restarting
        if args.kill:
            await asyncio.to_thread(cluster.cluster_sh, "restart", args.node)
        back_in = time.monotonic() - signalled
        haproxy_after = cluster.sockets_backend()

        resynced = [page for page in pages if page.resync_seconds is not None]
        seconds = [page.resync_seconds for page in resynced]
        hellos = [page.hello_seconds for page in pages if page.hello_seconds is not None]
        last = max((page.resynced_at for page in resynced), default=first_close)
        closed = sum(page.closed_at is not None for page in pages)
        last_close = max((p.closed_at for p in pages if p.closed_at), default=first_close)

        def spread(figures: dict[str, dict[str, int]]) -> str:
            return " / ".join(str(figures[f"node{n}"]["scur"]) for n in (1, 2, 3))

        def during(key: str) -> int:
            return haproxy_after["BACKEND"][key] - haproxy_before["BACKEND"][key]

        def share(limit: float) -> str:
            return f"{sum(s <= limit for s in seconds):,}"

        rows = [
            ("sockets opened on the node", f"{args.sockets:,} in {opened_in:.1f} s"),
            ("closed by the restart", f"{closed:,}"),
            ("  the last, after the first", f"{last_close - first_close:.2f} s"),
            ("reconnected and resynced", f"{len(resynced):,}"),
            ("  of which within 10 s of their close", share(10)),
            ("  of which within 2 s", share(2)),
            ("all resynced, after the first close", f"{last - first_close:.2f} s"),
            (
                "close to hello, p50 / p99",
                f"{fmt_seconds(hellos, 0.5)} / {fmt_seconds(hellos, 0.99)}",
            ),
            ("close to resynced, p50", fmt_seconds(seconds, 0.5)),
            ("p90", fmt_seconds(seconds, 0.9)),
            ("p99", fmt_seconds(seconds, 0.99)),
            ("max", fmt_seconds(seconds, 1)),
            ("reconnect attempts refused or failed", f"{sum(storm.failures.values()):,}"),
            ("resync answers by status", fmt_counts(storm.statuses)),
            (
                "messages each resync brought (mean)",
                f"{statistics.mean(p.fetched for p in pages):.2f}",
            ),
            (
                "queries per reconnect (PgBouncer)",
                f"{storm_queries / max(1, len(resynced)):.2f}",
            ),
            ("health checks' queries a second (subtracted)", f"{meter.rate:.1f}"),
            (f"{args.node} ready again, after `{action}` began", f"{back_in:.1f} s"),
            ("HAProxy: sockets per node before", spread(haproxy_before)),
            ("  after", spread(haproxy_after)),
            (
                "  connection errors / retries / redispatches",
                f"{during('econ')} / {during('wretr')} / {during('wredis')}",
            ),
            (f"{args.node}'s socket server RSS, no sockets", f"{rss_empty:.0f} MB"),
            (f"  with {args.sockets:,} sockets", f"{rss_full:.0f} MB"),
            ("  per 1,000 idle sockets", f"{(rss_full - rss_empty) / args.sockets * 1000:.1f} MB"),
        ]
        print()
        print(
            f"vetchat cluster: {args.node} {'killed' if args.kill else 'restarted'} with "
            f"{args.sockets:,} chat sockets on it "
            "(one 2-core machine runs every part and this client)"
        )
        print_rows(rows)
        if storm.failures:
            print(f"Failed reconnect attempts: {fmt_counts(storm.failures)}")
        print(
            f"The first socket closed {first_close - signalled:.2f} s after `cluster.sh {action} "
            f"{args.node}` began; times are from each socket's own close."
        )

        if args.breakdown:
            print()
            print(f"Counting the queries of {args.breakdown} more sockets and resyncs")
            other = 1 + node % 3
            try:
                await asyncio.to_thread(settle, cluster)
                breakdown = await measure_breakdown(
                    storm, cluster, cluster.asgi_port(other), http, args.breakdown
                )
            except RuntimeError as error:
                print(f"Not counted: {error}")
            else:
                print_rows(
                    [
                        (
                            f"a reconnect that missed nothing (node{other}'s port)",
                            f"{breakdown[0]:.2f}",
                        ),
                        ("a reconnect that missed one message", f"{breakdown[1]:.2f}"),
                    ],
                    "queries (PgBouncer)",
                )
        storm.stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def measure_breakdown(
    storm: Storm, cluster: Cluster, port: int, http: aiohttp.ClientSession, count: int
) -> tuple[float, float]:
    """Queries of a reconnect (`after=<lastSeq>`) that missed nothing, and of one that missed
    one message, each averaged over `count` of them."""
    figures = []
    for behind in (0, 1):
        after = max(0, storm_last_seq(storm) - behind)
        pages = [Page(last_seq=after, resuming=True) for _ in range(count)]
        extra = Storm(cluster, storm.appointment_id, storm.session, pages)
        meter = await asyncio.to_thread(QueryMeter, cluster)
        meter.start()
        tasks = await open_all(extra, port, http)
        figures.append(meter.stop() / count)
        extra.stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return figures[0], figures[1]


def settle(cluster: Cluster, *, within: float = 180, quiet: float = 30) -> None:
    """Wait until PgBouncer passes fewer than `quiet` queries a second: the nodes have worked
    off the storm's handshakes, whose queries would be counted as the next measure's."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = cluster.queries()
        time.sleep(2)
        if (cluster.queries() - before) / 2 < quiet:
            return
    raise RuntimeError(f"the nodes were still busy {within:.0f} s after the storm")


def storm_last_seq(storm: Storm) -> int:
    return max(page.last_seq for page in storm.pages)


def fmt_seconds(values: list[float], share: float) -> str:
    return f"{percentile(values, share):.2f} s" if values else "-"


def fmt_counts(counts: Counter) -> str:
    return ", ".join(f"{key}: {value:,}" for key, value in counts.most_common()) or "-"


def print_rows(rows: list[tuple[str, str]], title: str = "figure") -> None:
    width = max(len(name) for name, _ in [*rows, (title, "")])
    print()
    print(f"| {title:<{width}} | {'value':>18} |")
    print(f"|{'-' * (width + 2)}|{'-' * 20}|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value:>18} |")
    print()


# capacity: what one node carries -----------------------------------------------------------


def write_targets(cluster: Cluster, clients: list[Browserless], path: Path) -> Path:
    """bench/scenario.lua's target lines: every chat with messages of these signed-in parents,
    with its last seq and the ETag of the poll `after=` it."""
    lines = []
    json_only = {"Accept": "application/json"}
    for client in clients:
        status, _, body, _ = client.request("GET", "/api/appointments/", headers=json_only)
        assert status == HTTPStatus.OK, body[:200]
        for appointment in json.loads(body)["appointments"]:
            api = f"/api/appointment-chat/messages?appointmentId={appointment['id']}"
            status, _, body, _ = client.request("GET", api + "&markRead=false", headers=json_only)
            messages = json.loads(body)["messages"] if status == HTTPStatus.OK else []
            if not messages:
                continue
            last_seq = messages[-1]["seq"]
            status, headers, _, _ = client.request(
                "GET", f"{api}&after={last_seq}", headers=json_only
            )
            assert status == HTTPStatus.OK
            csrf = cookie(client, "csrftoken")
            session = cookie(client, "sessionid")
            etag = next(value for name, value in headers.items() if name.lower() == "etag")
            lines.append(f"{session}\t{csrf}\t{appointment['id']}\t{last_seq}\t{etag}")
    if not lines:
        sys.exit("The demo parents have no chat with messages: is the cluster seeded?")
    path.write_text("\n".join(lines) + "\n")
    return path


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk_get(
    url: str, headers: dict[str, str], seconds: float, threads: int, connections: int
) -> tuple[float, float, float, int]:
    """One GET over and over (wrk without a script): requests a second, p50 and p99 in ms, and
    the answers that were not 2xx or 3xx, or failed."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=600, check=True
    ).stdout

    def latency(share: str) -> float:
        found = re.search(rf"^\s+{share}%\s+([\d.]+)(us|ms|s|m)$", output, re.MULTILINE)
        assert found, output
        return float(found.group(1)) * UNITS[found.group(2)]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    failed = sum(
        int(n)
        for n in re.findall(
            r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", output
        )
    )
    return rate, latency("50"), latency("99"), failed


def capacity(args: argparse.Namespace) -> None:
    cluster = Cluster.from_environment()
    os.environ.update(cluster.env)
    password, _ = demo()
    clients = [signed_in(cluster, email, password) for email in PARENTS]
    doors = [
        ("node1", f"http://127.0.0.1:{cluster.wsgi_port(1)}"),
        ("one URL", cluster.url),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        targets = write_targets(cluster, clients, Path(work) / "targets.tsv")
        chats = min(args.connections, len(targets.read_text().splitlines()))
        search_headers = {
            "Cookie": f"sessionid={cookie(clients[0], 'sessionid')}",
            "Accept": "application/json",
        }
        # Sends change the chats the polls' targets name: they come last.
        for mode, what in [
            ("healthz", "floor: /healthz (no session, no database)"),
            ("poll-304", "poll, nothing new (304, the page's ETag)"),
            ("poll", "poll, nothing new (200, no ETag)"),
            ("poll-one-new", "poll, one new message"),
            ("search", f'search "{SEARCHED}"'),
            ("send", "send (a wrk thread per chat)"),
        ]:
            for door, base in doors:
                print(f"  {what} at {door}", flush=True)
                if mode in {"search", "healthz"}:
                    rate, p50, p99, failed = wrk_get(
                        f"{base}/api/appointment-chat/search?q={SEARCHED}"
                        if mode == "search"
                        else f"{base}/healthz",
                        search_headers if mode == "search" else {},
                        args.seconds,
                        args.threads,
                        args.connections,
                    )
                else:
                    # Sends: a chat per wrk thread (scenario.lua), as many chats as there are,
                    # since each chat's sends take its row lock in turn.
                    threads = chats if mode == "send" else args.threads
                    measure = wrk(mode, targets, args.seconds, threads, args.connections, base)
                    rate, p50, p99 = measure.rps, measure.p50_ms, measure.p99_ms
                    failed = measure.errors
                rows.append((what, door, rate, p50, p99, failed))
    memory = {node: cluster.node_rss_mb(node) for node in (1, 2, 3)}

    print()
    print(
        f"vetchat cluster capacity: wrk, {args.threads} threads, {args.connections} connections, "
        f"{args.seconds:.0f} s a row; node1 is one node's own WSGI port, the one URL is HAProxy "
        "in front of three nodes (2 sync workers each); one 2-core machine runs every part and wrk"
    )
    print()
    print(
        f"| {'request':<42} | {'door':<7} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} "
        f"| {'failed':>6} |"
    )
    print(f"|{'-' * 44}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}|")
    for what, door, rate, p50, p99, failed in rows:
        print(
            f"| {what:<42} | {door:<7} | {rate:>7.0f} | {p50:>7.1f} | {p99:>7.1f} | {failed:>6} |"
        )
    print()
    print(f"| {'node':<6} | {'web MB':>7} | {'sockets MB':>10} | {'jobs MB':>7} | {'all MB':>7} |")
    print(f"|{'-' * 8}|{'-' * 9}|{'-' * 12}|{'-' * 9}|{'-' * 9}|")
    for node, parts in memory.items():
        print(
            f"| node{node:<2} | {parts['web']:>7.0f} | {parts['sockets']:>10.0f} | "
            f"{parts['jobs']:>7.0f} | {parts['all']:>7.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parts = parser.add_subparsers(dest="part", required=True)
    restart = parts.add_parser("restart", help="a node restarted with its sockets on it")
    restart.add_argument("--sockets", type=int, default=5_000, help="sockets on the node")
    restart.add_argument(
        "--node", default="node1", choices=["node1", "node2", "node3"], help="the node restarted"
    )
    restart.add_argument(
        "--kill",
        action="store_true",
        help="SIGKILL the node, and start it again after the storm rather than during it",
    )
    restart.add_argument(
        "--within", type=float, default=120, help="seconds to wait for every socket's resync"
    )
    restart.add_argument(
        "--breakdown",
        type=int,
        default=200,
        help="sockets and resyncs whose queries are counted apart",
    )
    measured = parts.add_parser("capacity", help="requests a second one node and the cluster carry")
    measured.add_argument("--seconds", type=float, default=10, help="each row's wrk run")
    measured.add_argument("--threads", type=int, default=2)
    measured.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if args.part == "restart":
        asyncio.run(restart_storm(args))
    else:
        capacity(args)


if __name__ == "__main__":
    main()
