"""Sending one push: never following a redirect, giving up on a silent push service at the
timeout, forgetting a subscription the push service forgot; and the job carrying no text."""

import json
import time
from base64 import b64decode, b64encode
from http import HTTPStatus

import http_ece
import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from notifications.models import PushSubscription
from notifications.push import push_deliver, push_send
from tests.notifications.push_services import (
    LocalPushService,
    b64url,
    browser_keys,
    vapid_settings,
)

CIPHERTEXT = b64encode(b"\x00" * 40).decode()  # what the service does with it is not the point


@pytest.fixture
def services(settings):
    """Start local push services on demand; the setting allows their plain-http origins."""
    started: list[LocalPushService] = []
    settings.VETCHAT_PUSH_HOSTS = []
    for name, value in vapid_settings().items():
        setattr(settings, name, value)

    def start(answer=None) -> LocalPushService:
        service = LocalPushService(answer)
        settings.VETCHAT_PUSH_HOSTS = [*settings.VETCHAT_PUSH_HOSTS, service.origin]
        started.append(service)
        return service

    yield start
    for service in started:
        service.close()


def subscription(user, endpoint: str) -> PushSubscription:
    _, public, auth = browser_keys()
    return PushSubscription.objects.create(
        user=user, endpoint=endpoint, p256dh=public, auth=b64url(auth)
    )


@pytest.mark.parametrize(
    "status",
    [
        HTTPStatus.MOVED_PERMANENTLY,
        HTTPStatus.FOUND,
        HTTPStatus.TEMPORARY_REDIRECT,
        HTTPStatus.PERMANENT_REDIRECT,
    ],
)
def test_a_redirect_from_the_push_service_is_not_followed(services, parent, status):
    target = services()
    push_service = services(lambda path: (status, f"{target.origin}/internal/admin"))
    row = subscription(parent, f"{push_service.origin}/push/abc")

    delivered = push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT)

    assert not delivered
    assert len(push_service.received) == 1
    assert target.received == []
    assert PushSubscription.objects.filter(pk=row.pk).exists()


def test_a_silent_push_service_is_given_up_on_at_the_timeout(services, parent, settings):
    settings.VETCHAT_PUSH_TIMEOUT_SECONDS = 0.5
    push_service = services()
    push_service.hold = True  # it takes the request and never answers while the test runs
    row = subscription(parent, f"{push_service.origin}/push/abc")

    started = time.monotonic()
    delivered = push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT)
    took = time.monotonic() - started

    assert not delivered
    assert push_service.received  # it was reached, and then waited for
    assert 0.5 <= took < 3


@pytest.mark.parametrize("status", [HTTPStatus.NOT_FOUND, HTTPStatus.GONE])
def test_a_subscription_the_push_service_forgot_is_deleted(services, parent, status):
    push_service = services(lambda path: (status, None))
    row = subscription(parent, f"{push_service.origin}/push/abc")

    assert not push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT)
    assert not PushSubscription.objects.filter(pk=row.pk).exists()


def test_a_failing_push_service_keeps_the_subscription(services, parent):
    push_service = services(lambda path: (HTTPStatus.SERVICE_UNAVAILABLE, None))
    row = subscription(parent, f"{push_service.origin}/push/abc")

    assert not push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT)
    assert PushSubscription.objects.filter(pk=row.pk).exists()


def test_a_push_reaches_the_push_service_signed(services, parent, settings):
    push_service = services()
    row = subscription(parent, f"{push_service.origin}/push/abc")

    assert push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT)
    [request] = push_service.received
    assert request["method"] == "POST"
    assert request["body"] == b64decode(CIPHERTEXT)
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert request["headers"]["authorization"].startswith("vapid t=")
    assert request["headers"]["ttl"] == str(24 * 60 * 60)


def test_a_push_that_is_stale_soon_tells_the_push_service_so(services, parent):
    push_service = services()
    row = subscription(parent, f"{push_service.origin}/push/abc")

    assert push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT, ttl=45)
    [request] = push_service.received
    assert request["headers"]["ttl"] == "45"


def test_the_queued_job_holds_only_what_the_browser_can_decrypt(services, parent):
    push_service = services()
    key, public, auth = browser_keys()
    row = PushSubscription.objects.create(
        user=parent, endpoint=f"{push_service.origin}/push/abc", p256dh=public, auth=b64url(auth)
    )

    queued = push_send(user=parent, title="1 unread message", body="Rex: give the pill", url="/a/")

    assert queued == 1
    [job] = ProcrastinateJob.objects.filter(task_name="notifications.tasks.send_push")
    assert job.queue_name == "push"
    assert "pill" not in json.dumps(job.args) and "unread" not in json.dumps(job.args)
    assert job.args["subscription_id"] == row.pk
    payload = http_ece.decrypt(
        b64decode(job.args["body"]), private_key=key, auth_secret=auth, version="aes128gcm"
    )
    assert json.loads(payload) == {
        "title": "1 unread message",
        "body": "Rex: give the pill",
        "url": "/a/",
    }


def test_a_subscription_no_longer_on_an_allowed_push_service_is_dropped(services, parent, settings):
    push_service = services()
    row = subscription(parent, f"{push_service.origin}/push/abc")
    settings.VETCHAT_PUSH_HOSTS = ["fcm.googleapis.com"]

    assert push_send(user=parent, title="t", body="b", url="/") == 0
    assert not PushSubscription.objects.filter(pk=row.pk).exists()
    assert push_service.received == []


def test_a_push_to_a_browser_now_signed_in_as_someone_else_is_not_sent(
    services, parent, other_parent
):
    push_service = services()
    row = subscription(parent, f"{push_service.origin}/push/abc")
    PushSubscription.objects.filter(pk=row.pk).update(user=other_parent)

    assert not push_deliver(subscription_id=row.pk, user_id=parent.pk, body=CIPHERTEXT)
    assert push_service.received == []
