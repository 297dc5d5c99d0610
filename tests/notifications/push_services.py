"""Push services on loopback for the web push tests, each answering as its test needs: taking
the push, forgetting the subscription, redirecting, or holding the request until released."""

import os
import threading
from base64 import urlsafe_b64encode
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def key_pair() -> tuple[ec.EllipticCurvePrivateKey, str, str]:
    """A P-256 key: the key, its public point and its private number, base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return key, b64url(public), b64url(private)


def browser_keys() -> tuple[ec.EllipticCurvePrivateKey, str, bytes]:
    """What a browser's PushManager makes for a subscription: a P-256 key and an auth secret."""
    key, public, _ = key_pair()
    return key, public, os.urandom(16)


def vapid_settings() -> dict[str, str]:
    _, public, private = key_pair()
    return {
        "VETCHAT_VAPID_PUBLIC_KEY": public,
        "VETCHAT_VAPID_PRIVATE_KEY": private,
        "VETCHAT_VAPID_SUBJECT": "mailto:clinic@example.com",
    }


class LocalPushService:
    """An HTTP server on 127.0.0.1 keeping every request it gets (path, headers, body).

    `answer(path)` says how to answer: a status, or a status and a Location to redirect to.
    While `hold` is set, requests wait (the handler thread blocks) until `release()`.
    """

    def __init__(self, answer: Callable[[str], tuple[int, str | None]] | None = None) -> None:
        self.received: list[dict] = []
        self.arrived = threading.Semaphore(0)
        self.released = threading.Event()
        self.hold = False
        self.answer = answer or (lambda path: (HTTPStatus.CREATED, None))
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                service.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                service.arrived.release()
                if service.hold:
                    service.released.wait(60)
                status, location = service.answer(self.path)
                try:
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
