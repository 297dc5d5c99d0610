"""What the HTTP doors count: each answer by its route (the URL pattern, never the path), a
catch-up fetch that brought messages back, and every refusal of a rate limit by scope."""

from http import HTTPStatus

import pytest
from django.test import Client

from tests.factories import PASSWORD, send_message
from tests.observability.figures import figure

pytestmark = pytest.mark.django_db

SCHEDULED = "api/appointments/<uuid:appointment_id>/scheduled/"
POLL = "api/appointment-chat/messages"


def test_an_api_request_is_counted_and_timed_under_its_route_not_its_path(
    client_for, vet, appointment
):
    labels = {"route": SCHEDULED, "method": "GET"}
    counted = figure("vetchat_http_requests_total", **labels, status="2xx")
    timed = figure("vetchat_http_request_duration_seconds_count", **labels)
    quick = figure("vetchat_http_request_duration_seconds_bucket", **labels, le="30.0")

    response = client_for(vet).get(f"/api/appointments/{appointment.pk}/scheduled/")

    assert response.status_code == HTTPStatus.OK
    assert figure("vetchat_http_requests_total", **labels, status="2xx") == counted + 1
    assert figure("vetchat_http_request_duration_seconds_count", **labels) == timed + 1
    assert figure("vetchat_http_request_duration_seconds_bucket", **labels, le="30.0") == quick + 1
    path = f"api/appointments/{appointment.pk}/scheduled/"
    assert figure("vetchat_http_requests_total", route=path, method="GET", status="2xx") == 0


def test_an_answer_is_counted_by_its_status_class_and_a_path_no_route_takes_as_unmatched(
    client_for, parent
):
    labels = {"route": "unmatched", "method": "GET", "status": "4xx"}
    before = figure("vetchat_http_requests_total", **labels)

    response = client_for(parent).get("/no/such/page/anywhere")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert figure("vetchat_http_requests_total", **labels) == before + 1


def test_an_unknown_method_is_counted_as_other(client_for, parent):
    labels = {"route": "healthz", "method": "other", "status": "2xx"}
    before = figure("vetchat_http_requests_total", **labels)

    client_for(parent).generic("BREW", "/healthz")

    assert figure("vetchat_http_requests_total", **labels) == before + 1


def test_a_fetch_after_a_seq_that_brings_messages_back_is_a_resync(
    client_for, parent, vet, appointment
):
    # given a page that holds the chat up to seq 1, and two messages since
    send_message(vet, appointment, "one")
    send_message(vet, appointment, "two")
    send_message(vet, appointment, "three")
    client = client_for(parent)
    resyncs, messages = figure("vetchat_resyncs_total"), figure("vetchat_resynced_messages_total")
    query = {"appointmentId": appointment.pk, "markRead": "false"}

    # when it catches up, and then asks again with nothing new
    caught_up = client.get(f"/{POLL}", {**query, "after": 1}, HTTP_ACCEPT="application/json")
    nothing_new = client.get(f"/{POLL}", {**query, "after": 3}, HTTP_ACCEPT="application/json")
    first_load = client.get(f"/{POLL}", query, HTTP_ACCEPT="application/json")

    # then only the catch-up that brought messages counts, with its two messages
    assert [m["seq"] for m in caught_up.json()["messages"]] == [2, 3]
    assert nothing_new.json()["messages"] == []
    assert len(first_load.json()["messages"]) == 3
    assert figure("vetchat_resyncs_total") == resyncs + 1
    assert figure("vetchat_resynced_messages_total") == messages + 2


def test_a_refusal_of_the_apps_own_limits_is_counted_by_scope(
    settings, client_for, parent, appointment
):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "poll": ["1/m"]}
    client = client_for(parent)
    before = figure("vetchat_rate_limit_refusals_total", scope="poll")
    query = {"appointmentId": appointment.pk}

    allowed = client.get(f"/{POLL}", query, HTTP_ACCEPT="application/json")
    refused = client.get(f"/{POLL}", query, HTTP_ACCEPT="application/json")

    assert allowed.status_code == HTTPStatus.OK
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert figure("vetchat_rate_limit_refusals_total", scope="poll") == before + 1
    assert figure("vetchat_http_requests_total", route=POLL, method="GET", status="4xx") >= 1


def test_a_refusal_of_the_sign_in_limit_is_counted(settings, parent):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "1/m/ip"}
    scope = "allauth:account_login"
    before = figure("vetchat_rate_limit_refusals_total", scope=scope)
    client = Client()
    form = {"login": parent.email, "password": PASSWORD + "wrong"}

    client.post("/accounts/login/", form)
    refused = client.post("/accounts/login/", form)

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many" in refused.content or b"too many" in refused.content
    assert figure("vetchat_rate_limit_refusals_total", scope=scope) == before + 1
