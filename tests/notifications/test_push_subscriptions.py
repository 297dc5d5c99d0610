"""Which browser subscriptions the API keeps: https on a known push service only, at most ten a
user, and a schema that says so."""

import re
from http import HTTPStatus

import pytest

from notifications.models import PushSubscription
from notifications.push import endpoint_pattern
from notifications.push_subscriptions import SUBSCRIPTIONS_PER_USER, push_subscription_save
from tests.notifications.push_services import b64url, browser_keys

API = "/api/notifications/push-subscriptions/"


def body(endpoint: str) -> dict:
    _, public, auth = browser_keys()
    return {"endpoint": endpoint, "keys": {"p256dh": public, "auth": b64url(auth)}}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABm",
        "https://web.push.apple.com/QGz3lFh_9ZHNC8",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD",
        "https://fcm.googleapis.com:443/fcm/send/abc",
    ],
)
def test_a_subscription_on_a_known_push_service_is_kept(client_for, parent, endpoint):
    response = client_for(parent).post(API, body(endpoint), content_type="application/json")

    assert response.status_code == HTTPStatus.CREATED
    assert PushSubscription.objects.get().endpoint == endpoint


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://push.example.com/abc",  # not a push service the clinic knows
        "https://fcm.googleapis.com.example.com/abc",
        "https://fcm.googleapis.com@example.com/abc",
        "https://fcm.googleapis.com:8443/abc",
        "https://push.apple.com/abc",  # `.push.apple.com` means the hosts under it
        "https://127.0.0.1/abc",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://localhost:5432/",
        "ftp://fcm.googleapis.com/abc",
        "https://fcm.googleapis.com",  # no path
        " https://fcm.googleapis.com/abc",
    ],
)
def test_a_subscription_anywhere_else_is_refused(client_for, parent, endpoint):
    response = client_for(parent).post(API, body(endpoint), content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "endpoint" in error["fields"]
    assert not PushSubscription.objects.exists()


def test_plain_http_is_taken_only_from_an_origin_the_setting_names(client_for, parent, settings):
    local = "http://127.0.0.1:8123/push/abc"
    client = client_for(parent)
    refused = client.post(API, body(local), content_type="application/json")
    assert refused.status_code == HTTPStatus.BAD_REQUEST

    settings.VETCHAT_PUSH_HOSTS = ["http://127.0.0.1:8123"]
    taken = client.post(API, body(local), content_type="application/json")
    assert taken.status_code == HTTPStatus.CREATED
    other_port = client.post(
        API, body("http://127.0.0.1:8124/push/abc"), content_type="application/json"
    )
    assert other_port.status_code == HTTPStatus.BAD_REQUEST


def test_with_no_push_service_named_every_subscription_is_refused(client_for, parent, settings):
    settings.VETCHAT_PUSH_HOSTS = []
    for endpoint in ("https://fcm.googleapis.com/fcm/send/abc", "/fcm/send/abc"):
        response = client_for(parent).post(API, body(endpoint), content_type="application/json")
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not PushSubscription.objects.exists()


def test_an_eleventh_browser_drops_the_oldest(client_for, parent, other_parent):
    client = client_for(parent)
    endpoints = [f"https://fcm.googleapis.com/fcm/send/{n}" for n in range(11)]
    client_for(other_parent).post(
        API, body("https://fcm.googleapis.com/fcm/send/other"), content_type="application/json"
    )

    for endpoint in endpoints:
        response = client.post(API, body(endpoint), content_type="application/json")
        assert response.status_code == HTTPStatus.CREATED

    kept = set(PushSubscription.objects.filter(user=parent).values_list("endpoint", flat=True))
    assert kept == set(endpoints[1:])
    assert len(kept) == SUBSCRIPTIONS_PER_USER
    assert PushSubscription.objects.filter(user=other_parent).count() == 1


def test_a_browser_moving_to_a_full_account_is_the_one_kept(parent, other_parent):
    _, public, auth = browser_keys()
    keys = {"p256dh": public, "auth": b64url(auth)}
    shared = "https://fcm.googleapis.com/fcm/send/shared-computer"
    push_subscription_save(user=other_parent, endpoint=shared, **keys)  # the oldest of all
    for n in range(SUBSCRIPTIONS_PER_USER):
        push_subscription_save(user=parent, endpoint=f"https://fcm.googleapis.com/x/{n}", **keys)

    push_subscription_save(user=parent, endpoint=shared, **keys)

    mine = PushSubscription.objects.filter(user=parent)
    assert mine.count() == SUBSCRIPTIONS_PER_USER
    assert mine.filter(endpoint=shared).exists()
    assert not mine.filter(endpoint="https://fcm.googleapis.com/x/0").exists()


def test_the_schema_states_which_endpoints_are_taken(client_for, parent, settings):
    settings.VETCHAT_PUSH_HOSTS = ["fcm.googleapis.com", ".push.apple.com"]
    schema = client_for(parent).get("/api/schema/?format=json").json()
    operation = schema["paths"][API]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]

    pattern = fields["endpoint"]["pattern"]
    assert pattern == endpoint_pattern()
    assert fields["endpoint"]["maxLength"] == 1000
    assert re.search(pattern, "https://web.push.apple.com/abc")
    assert not re.search(pattern, "https://updates.push.services.mozilla.com/abc")
    keys = schema["components"]["schemas"]["PushKeys"]["properties"]
    assert re.search(keys["auth"]["pattern"], b64url(bytes(16)))
    assert not re.search(keys["auth"]["pattern"], b64url(bytes(17)))
    assert re.search(keys["p256dh"]["pattern"], browser_keys()[1])
