"""Web push through a real worker to a local push service that decrypts what it receives
(RFC 8291) with the test subscription's keys and checks the VAPID signature (RFC 8292)."""

import json
import os
import threading
from base64 import urlsafe_b64decode, urlsafe_b64encode
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from notifications.models import Preference, PushSubscription
from tests.factories import send_message
from tests.notifications.conftest import jobs_left, wait_until

API = "/api/notifications/push-subscriptions/"


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_pair() -> tuple[ec.EllipticCurvePrivateKey, str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return key, b64url(public), b64url(private)


class PushService:
    """A push service on loopback: keeps each delivery; answers 410 for paths under /gone/."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                gone = self.path.startswith("/gone/")
                self.send_response(HTTPStatus.GONE if gone else HTTPStatus.CREATED)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings):
    """The local push service, which the setting allows over plain http (the worker is told
    the same by its environment)."""
    service = PushService()
    settings.VETCHAT_PUSH_HOSTS = [service.origin]
    yield service
    service.close()


@pytest.fixture
def vapid() -> dict[str, str]:
    _, public, private = key_pair()
    return {
        "VETCHAT_VAPID_PUBLIC_KEY": public,
        "VETCHAT_VAPID_PRIVATE_KEY": private,
        "VETCHAT_VAPID_SUBJECT": "mailto:clinic@example.com",
    }


@pytest.fixture
def browser_keys():
    """What a browser's PushManager makes for a subscription: a P-256 key and an auth secret."""
    key, public, _ = key_pair()
    return key, public, os.urandom(16)


def subscribe(client_for, user, endpoint: str, public: str, auth: bytes) -> None:
    body = {"endpoint": endpoint, "keys": {"p256dh": public, "auth": b64url(auth)}}
    response = client_for(user).post(API, body, content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED


def check_vapid(headers: dict, *, public_key: str, audience: str) -> None:
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(claims))["aud"] == audience
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key)).verify(
        der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256())
    )  # raises InvalidSignature when the push service would refuse it


@pytest.fixture(autouse=True)
def immediate(settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0


def test_a_push_reaches_the_browser_encrypted_signed_and_without_message_text(
    worker, push_service, vapid, browser_keys, client_for, smtp, appointment, parent, vet
):
    key, public, auth = browser_keys
    subscribe(client_for, parent, f"{push_service.origin}/push/abc", public, auth)
    assert Preference.objects.get(user=parent).web_push_enabled
    worker(VETCHAT_PUSH_HOSTS=push_service.origin, **vapid)

    send_message(vet, appointment, "Start the amoxicillin tonight.")

    wait_until(lambda: push_service.received, timeout=15, what="the push")
    [delivery] = push_service.received
    assert delivery["headers"]["content-encoding"] == "aes128gcm"
    check_vapid(
        delivery["headers"],
        public_key=vapid["VETCHAT_VAPID_PUBLIC_KEY"],
        audience=push_service.origin,
    )
    payload = json.loads(
        http_ece.decrypt(delivery["body"], private_key=key, auth_secret=auth, version="aes128gcm")
    )
    assert payload["url"].endswith(f"/appointments/{appointment.pk}/")
    assert "1 unread message" in payload["title"]
    assert "amoxicillin" not in json.dumps(payload)
    wait_until(lambda: smtp.messages, timeout=10, what="the email beside it")


def test_with_previews_the_push_carries_the_text(
    worker, push_service, vapid, browser_keys, client_for, smtp, appointment, parent, vet
):
    key, public, auth = browser_keys
    subscribe(client_for, parent, f"{push_service.origin}/push/abc", public, auth)
    worker(VETCHAT_EMAIL_PREVIEWS="1", VETCHAT_PUSH_HOSTS=push_service.origin, **vapid)
    send_message(vet, appointment, "Start the amoxicillin tonight.")
    wait_until(lambda: push_service.received, timeout=15, what="the push")
    body = push_service.received[0]["body"]
    payload = json.loads(
        http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
    )
    assert "amoxicillin" in payload["body"]


def test_a_subscription_the_push_service_forgot_is_deleted(
    worker, push_service, vapid, browser_keys, client_for, smtp, appointment, parent, vet
):
    _, public, auth = browser_keys
    subscribe(client_for, parent, f"{push_service.origin}/gone/abc", public, auth)
    worker(VETCHAT_PUSH_HOSTS=push_service.origin, **vapid)
    send_message(vet, appointment, "Hello")
    wait_until(lambda: push_service.received, timeout=15, what="the push")
    wait_until(
        lambda: jobs_left("notifications.tasks.send_push") == 0, timeout=10, what="the push job"
    )
    assert not PushSubscription.objects.exists()


def test_unsubscribing_deletes_only_ones_own_subscription(
    browser_keys, client_for, parent, other_parent
):
    _, public, auth = browser_keys
    subscribe(client_for, parent, "https://fcm.googleapis.com/fcm/send/a", public, auth)
    subscribe(client_for, other_parent, "https://fcm.googleapis.com/fcm/send/b", public, auth)
    client = client_for(parent)
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/b",
        "https://fcm.googleapis.com/fcm/send/a",
    ):
        response = client.delete(f"{API}?{urlencode({'endpoint': endpoint})}")
        assert response.status_code == HTTPStatus.NO_CONTENT
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        "https://fcm.googleapis.com/fcm/send/b"
    ]


def test_a_subscription_with_keys_that_are_not_keys_is_refused(client_for, parent):
    body = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/a",
        "keys": {"p256dh": "BA" + "A" * 85, "auth": "B" * 22},
    }
    response = client_for(parent).post(API, body, content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["error"]["fields"]) >= {"keys"}
    assert not PushSubscription.objects.exists()


def test_the_service_worker_is_served_from_the_root(client_for, parent):
    response = client_for(None).get("/sw.js")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/javascript")
    assert b"notificationclick" in response.content
