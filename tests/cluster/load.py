"""Load on one chat through the cluster's one URL, as its pages make it: senders that retry a
send with its clientId until it is acknowledged, pollers asking `after=<lastSeq>`, and sockets
that reconnect after a failure with `?after=<lastSeq>`, whose `hello` brings what they missed.

Everything runs in threads until `stop()`; what each side acknowledged, heard and refused is
kept for the checks after a part of the cluster died."""

import json
import threading
import time
import urllib.error
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus

from websockets.exceptions import InvalidHandshake, WebSocketException
from websockets.sync.client import connect

from tests.faults.conftest import Browserless

# What a client may be answered while a part is down, and retries on; anything else is a defect.
RETRIED = {HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.GATEWAY_TIMEOUT}
SUCCEEDED = {HTTPStatus.OK, HTTPStatus.CREATED}
FAILURES = (OSError, urllib.error.URLError, TimeoutError)


@dataclass
class Listener:
    """One open page's socket: the messages it heard, pushed or fetched on a resync."""

    session: str
    seen: set[str] = field(default_factory=set)
    pushed: dict[str, float] = field(default_factory=dict)  # message id: when it arrived
    last_seq: int = 0
    connected: bool = False
    connections: int = 0
    lost_at: float | None = None
    resync_seconds: list[float] = field(default_factory=list)

    def take(self, messages: list[dict], *, pushed: bool) -> None:
        now = time.monotonic()
        for message in messages:
            self.seen.add(message["_id"])
            if pushed:
                self.pushed.setdefault(message["_id"], now)
            self.last_seq = max(self.last_seq, message["seq"])


class ChatLoad:
    def __init__(
        self,
        base: str,
        appointment_id: str,
        clients: list[Browserless],
        *,
        prefix: str,
        senders: int = 3,
        pollers: int = 2,
        sockets: int = 6,
    ) -> None:
        self.base = base
        self.appointment_id = appointment_id
        self.clients = clients
        self.prefix = prefix
        self.acked: dict[str, tuple[str, float]] = {}  # clientId: (message id, when)
        self.statuses: Counter[int] = Counter()
        self.unexpected: list[str] = []
        self.listeners = [
            Listener(session=self._session(clients[n % len(clients)])) for n in range(sockets)
        ]
        self.polled: list[set[str]] = [set() for _ in range(pollers)]
        self._stop_sending = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            *(threading.Thread(target=self._send, args=(n,)) for n in range(senders)),
            *(threading.Thread(target=self._poll, args=(n,)) for n in range(pollers)),
            *(threading.Thread(target=self._listen, args=(one,)) for one in self.listeners),
        ]

    # --- running --------------------------------------------------------------------------
    def start(self) -> "ChatLoad":
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        self.wait_until(lambda: all(one.connected for one in self.listeners), "sockets open")
        return self

    def stop(self, *, within: float = 15) -> None:
        """Stop sending, give every page `within` seconds to hear what was acknowledged, stop."""
        if self._stop.is_set():
            return
        self._stop_sending.set()
        try:
            self.wait_until(self.everyone_heard_everything, "every page heard", within)
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(timeout=15)

    def wait_until(self, condition, what: str, within: float = 30) -> float:
        """Seconds until `condition()` held; fails after `within`."""
        started = time.monotonic()
        while not condition():
            assert time.monotonic() - started < within, (
                f"{what}: not within {within} s ({len(self.acked)} acknowledged, answers "
                f"{dict(self.statuses)}, {sum(one.connected for one in self.listeners)} sockets "
                f"open, unheard: {self.unheard()})"
            )
            time.sleep(0.05)
        return time.monotonic() - started

    def acked_after(self, moment: float) -> list[str]:
        return [message for message, at in self.acked.values() if at > moment]

    def everyone_heard_everything(self) -> bool:
        return not self.unheard()

    def unheard(self) -> dict[str, int]:
        """How many acknowledged messages each socket and poller has not heard yet."""
        wanted = {message for message, _ in self.acked.values()}
        gaps = {f"socket {n}": len(wanted - one.seen) for n, one in enumerate(self.listeners)}
        gaps |= {f"poller {n}": len(wanted - seen) for n, seen in enumerate(self.polled)}
        return {who: count for who, count in gaps.items() if count}

    # --- the clients ----------------------------------------------------------------------
    def _session(self, client: Browserless) -> str:
        return next(cookie.value for cookie in client.jar if cookie.name == "sessionid")

    def _request(self, client: Browserless, method: str, path: str, body: bytes | None = None):
        headers = {"Referer": self.base + "/"}
        if body is not None:
            headers |= {"Content-Type": "application/json", "X-CSRFToken": client.csrf()}
        try:
            status, _, answer, _ = client.request(method, path, body, headers)
        except FAILURES:
            return None, b""
        self.statuses[status] += 1
        if status not in SUCCEEDED | RETRIED:
            self.unexpected.append(f"{method} {path}: {status} {answer[:200]!r}")
        return status, answer

    def _send(self, number: int) -> None:
        client = self.clients[number % len(self.clients)]
        index = 0
        while not self._stop_sending.is_set():
            client_id = f"{self.prefix}-{number}-{index}"
            body = json.dumps(
                {"appointmentId": self.appointment_id, "content": client_id, "clientId": client_id}
            ).encode()
            while not self._stop.is_set():  # the same clientId until it is acknowledged
                status, answer = self._request(
                    client, "POST", "/api/appointment-chat/messages", body
                )
                if status in SUCCEEDED:
                    message = json.loads(answer)["message"]
                    self.acked[client_id] = (message["_id"], time.monotonic())
                    break
                time.sleep(0.1)
            index += 1
            time.sleep(0.05)

    def fetch_after(self, client: Browserless, after: int) -> list[dict] | None:
        """Every message after `after`, page by page; None when the cluster did not answer."""
        messages: list[dict] = []
        while True:
            status, answer = self._request(
                client,
                "GET",
                f"/api/appointment-chat/messages?appointmentId={self.appointment_id}"
                f"&after={after}&limit=200&markRead=false",
            )
            if status != HTTPStatus.OK:
                return None
            page = json.loads(answer)
            messages += page["messages"]
            if not page["hasMore"] or not page["messages"]:
                return messages
            after = page["messages"][-1]["seq"]

    def _poll(self, number: int) -> None:
        client = self.clients[number % len(self.clients)]
        last_seq = 0
        while not self._stop.is_set():
            messages = self.fetch_after(client, last_seq)
            for message in messages or []:
                self.polled[number].add(message["_id"])
                last_seq = max(last_seq, message["seq"])
            time.sleep(0.3)

    def _listen(self, listener: Listener) -> None:
        client = next(c for c in self.clients if self._session(c) == listener.session)
        url = self.base.replace("http://", "ws://") + (
            f"/ws/appointment-chat/{self.appointment_id}/?after="
        )
        while not self._stop.is_set():
            try:
                with connect(
                    f"{url}{listener.last_seq}",
                    additional_headers={"Cookie": f"sessionid={listener.session}"},
                    origin=self.base,  # type: ignore[arg-type]
                    open_timeout=5,
                    ping_interval=None,
                ) as socket:
                    hello = json.loads(socket.recv(timeout=5))
                    assert hello["type"] == "hello"
                    # What was sent while it was away; more than a hello holds is fetched.
                    listener.take(hello["messages"], pushed=False)
                    if hello["hasMore"]:
                        missed = self.fetch_after(client, listener.last_seq)
                        if missed is None:
                            raise ConnectionError("the resync was not answered")
                        listener.take(missed, pushed=False)
                    if listener.lost_at is not None:
                        listener.resync_seconds.append(time.monotonic() - listener.lost_at)
                        listener.lost_at = None
                    listener.connections += 1
                    listener.connected = True
                    while not self._stop.is_set():
                        try:
                            event = json.loads(socket.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        if event["type"] == "message":
                            listener.take([event["message"]], pushed=True)
            except (WebSocketException, InvalidHandshake, ConnectionError, *FAILURES):
                pass
            if listener.connected or listener.lost_at is None:
                listener.lost_at = time.monotonic()
            listener.connected = False
            time.sleep(0.1)

    def summary(self) -> str:
        """The run in one line, shown with a failure (or `pytest -rP`)."""
        resyncs = sorted(s for one in self.listeners for s in one.resync_seconds)
        slowest = f"{resyncs[-1]:.2f} s" if resyncs else "none"
        return (
            f"{len(self.acked)} sends acknowledged, answers {dict(sorted(self.statuses.items()))}, "
            f"{len(resyncs)} socket resyncs (slowest {slowest})"
        )

    # --- the checks after -----------------------------------------------------------------
    def assert_nothing_lost_or_doubled(self, client: Browserless) -> None:
        history = self.fetch_after(client, 0)
        assert history is not None
        stored = {message["_id"] for message in history}
        lost = {c for c, (message, _) in self.acked.items() if message not in stored}
        assert not lost, f"acknowledged but not stored: {sorted(lost)[:10]}"
        ours = Counter(m["content"] for m in history if m["content"].startswith(self.prefix + "-"))
        doubled = {content: n for content, n in ours.items() if n > 1}
        assert not doubled, f"stored more than once: {doubled}"
        assert not self.unexpected, self.unexpected[:10]
