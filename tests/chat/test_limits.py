"""Sending and polling budgets: over them, 429 with the JSON error and Retry-After."""

import time
from http import HTTPStatus

import pytest
from django.test import Client

from chat.models import Message
from tests.chat.conftest import URL, post
from vetchat import ratelimit
from vetchat.errors import RateLimited

pytestmark = pytest.mark.django_db

SEND_BURST = 20


def send(client: Client, appointment, text: str, **extra):
    return post(client, {"appointmentId": str(appointment.pk), "content": text, **extra})


def within_one_window() -> None:
    """Budgets count by the clock's minute: a burst that began late in one would be counted
    partly in the next, so it waits for a new minute when less than 15 s are left."""
    if time.time() % 60 > 45:
        time.sleep(60 - time.time() % 60)


def test_a_burst_of_sends_is_cut_at_twenty_a_minute(client_for, parent, vet, appointment):
    client = client_for(parent)
    within_one_window()
    # given twenty messages in a row, all accepted
    for n in range(SEND_BURST):
        assert send(client, appointment, f"message {n}").status_code == HTTPStatus.CREATED
    # when the parent sends a twenty-first
    response = send(client, appointment, "one too many", clientId="late-1")
    # then it is refused, said why and for how long, and not stored
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not Message.objects.filter(content="one too many").exists()
    # and the vet, whose budget is their own, still answers
    assert send(client_for(vet), appointment, "I am here").status_code == HTTPStatus.CREATED


def test_the_page_form_keeps_the_text_when_over_the_limit(
    client_for, parent, appointment, settings
):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "message_send": ["1/m"]}
    client = client_for(parent)
    form_url = f"/appointments/{appointment.pk}/messages/"
    within_one_window()
    assert client.post(form_url, {"content": "first"}).status_code == HTTPStatus.FOUND
    response = client.post(form_url, {"content": "Biscuit is limping again"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) >= 1
    assert "Slow down" in response.text
    assert "Biscuit is limping again" in response.text  # back in the composer


def test_polls_are_counted_per_session(client_for, parent, appointment, settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "poll": ["3/m"]}
    tab = client_for(parent)
    poll = f"{URL}?appointmentId={appointment.pk}"
    within_one_window()
    for _ in range(3):
        assert tab.get(poll).status_code == HTTPStatus.OK
    refused = tab.get(poll)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json()["error"]["code"] == "rate_limited" and refused["Retry-After"]
    assert tab.get("/api/appointments/").status_code == HTTPStatus.TOO_MANY_REQUESTS
    # the same person on another device has a budget of their own
    assert client_for(parent).get(poll).status_code == HTTPStatus.OK


def test_every_window_counts_and_the_longest_full_one_sets_the_wait(settings):
    settings.VETCHAT_RATE_LIMITS = {"probe": ["5/m", "2/h"]}
    within_one_window()
    ratelimit.hit(scope="probe", key="a")
    ratelimit.hit(scope="probe", key="a")
    asked_at = time.time()
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(scope="probe", key="a")
    # the hour's window is full and the minute's is not: the wait runs to the hour's end (which
    # may be under a minute away)
    until_the_hour_ends = 3600 - asked_at % 3600
    assert until_the_hour_ends - 2 <= refused.value.retry_after <= until_the_hour_ends + 1
    ratelimit.hit(scope="probe", key="b")  # someone else is not affected


def test_a_scope_without_limits_never_refuses(settings):
    settings.VETCHAT_RATE_LIMITS = {}
    for _ in range(100):
        ratelimit.hit(scope="unlimited", key="a")


def test_a_send_goes_through_when_the_counters_cannot_be_reached(
    settings, client_for, appointment, parent, caplog
):
    # given a signed-in parent, then a cache (Redis) that refuses every connection
    client = client_for(parent)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
        }
    }
    # when the parent sends
    response = client.post(
        "/api/appointment-chat/messages",
        {"appointmentId": str(appointment.pk), "content": "Still here?"},
        content_type="application/json",
    )
    # then the message is stored all the same, and the lapse is logged
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert "not counted" in caplog.text


def over_the_budget(response) -> None:
    """The API's answer past a budget: 429, the JSON error, and how long to wait."""
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, response.content
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_edits_are_cut_at_the_budget(client_for, parent, vet, send, settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "message_edit": ["3/m"]}
    sent = send(parent, "Biscuit ate a sock")
    client = client_for(parent)
    url = f"{URL}/{sent.id}"
    within_one_window()
    for n in range(3):
        response = client.patch(url, {"content": f"Biscuit ate a sock ({n})"}, "application/json")
        assert response.status_code == HTTPStatus.OK, response.content
    # when the fourth change comes within the minute
    refused = client.patch(url, {"content": "Biscuit ate two socks"}, "application/json")
    # then it is refused, and the record keeps the third version
    over_the_budget(refused)
    assert Message.objects.get(pk=sent.id).content == "Biscuit ate a sock (2)"


def test_searches_are_cut_at_the_budget(client_for, vet, send, parent, settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "search": ["2/m"]}
    send(parent, "Biscuit is limping")
    client = client_for(vet)
    within_one_window()
    for _ in range(2):
        assert client.get("/api/appointment-chat/search?q=limping").status_code == HTTPStatus.OK
    over_the_budget(client.get("/api/appointment-chat/search?q=limping"))
    # the parent's budget is their own
    parents = client_for(parent).get("/api/appointment-chat/search?q=limping")
    assert parents.status_code == HTTPStatus.OK


def test_the_unread_total_is_cut_at_the_budget(client_for, parent, settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "unread_total": ["2/m"]}
    client = client_for(parent)
    within_one_window()
    for _ in range(2):
        assert client.get("/api/notifications/unread/").status_code == HTTPStatus.OK
    over_the_budget(client.get("/api/notifications/unread/"))


def test_a_tab_open_all_day_stays_within_the_default_unread_budget(client_for, parent):
    # the page asks every 10 s: six tabs of one person fit in a minute's budget
    client = client_for(parent)
    within_one_window()
    for _ in range(6 * 6):
        assert client.get("/api/notifications/unread/").status_code == HTTPStatus.OK


def test_the_search_page_shares_the_budget_and_says_so_on_the_page(
    client_for, vet, send, parent, settings
):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "search": ["1/m"]}
    send(parent, "Biscuit is limping")
    client = client_for(vet)
    within_one_window()
    assert client.get("/api/appointment-chat/search?q=limping").status_code == HTTPStatus.OK
    page = client.get("/search/?q=limping")
    assert page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert page["Content-Type"].startswith("text/html") and int(page["Retry-After"]) >= 1
    assert "Too many searches" in page.content.decode()
    assert 'value="limping"' in page.content.decode()  # the query stays in the field
