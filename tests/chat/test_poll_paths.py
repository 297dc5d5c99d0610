"""The poll is answered before DRF when it asks for JSON plainly; every answer is the same as
DRF's own for the same request (`chat.api.answered_without_drf`)."""

import uuid
from http import HTTPStatus

import pytest

from tests.chat.conftest import URL
from tests.chat.test_limits import within_one_window

pytestmark = pytest.mark.django_db

# An Accept header that has to be ranked: the request goes through DRF, which answers JSON.
RANKED = {"Accept": "application/json;q=0.9, text/plain;q=0.1"}


def both_ways(client, query: dict, headers: dict | None = None):
    plain = client.get(URL, query, headers=headers or {})
    through_drf = client.get(URL, query, headers={**(headers or {}), **RANKED})
    # DRF names the allowed methods on every answer; the plain path does not
    assert "Allow" in through_drf
    assert "Allow" not in plain
    return plain, through_drf


def assert_alike(plain, through_drf) -> None:
    assert plain.status_code == through_drf.status_code
    for header in ("ETag", "Cache-Control", "Content-Type", "Retry-After"):
        assert plain.get(header) == through_drf.get(header), header
    assert (plain.json() if plain.content else None) == (
        through_drf.json() if through_drf.content else None
    )


def test_new_messages_are_answered_alike(client_for, appointment, parent, vet, send):
    send(vet, "How is Biscuit today?")
    send(vet, "Ünïcode and <b>markup</b> stay as sent")
    query = {"appointmentId": str(appointment.pk), "markRead": "false"}
    plain, through_drf = both_ways(client_for(parent), query)
    assert plain.status_code == HTTPStatus.OK
    assert [m["content"] for m in plain.json()["messages"]][-1].startswith("Ünïcode")
    assert_alike(plain, through_drf)


def test_nothing_new_is_a_304_both_ways(client_for, appointment, parent, vet, send):
    send(vet, "first")
    client = client_for(parent)
    query = {"appointmentId": str(appointment.pk), "after": 1}
    etag = client.get(URL, query)["ETag"]
    plain, through_drf = both_ways(client, query, {"If-None-Match": etag})
    assert plain.status_code == HTTPStatus.NOT_MODIFIED
    assert plain.content == b""
    assert_alike(plain, through_drf)


def test_an_unknown_appointment_is_refused_alike(client_for, parent):
    plain, through_drf = both_ways(client_for(parent), {"appointmentId": str(uuid.uuid4())})
    assert plain.status_code == HTTPStatus.NOT_FOUND
    assert plain.json()["error"]["code"] == "not_found"
    assert_alike(plain, through_drf)


def test_someone_elses_chat_is_refused_alike(client_for, appointment, other_parent):
    query = {"appointmentId": str(appointment.pk)}
    plain, through_drf = both_ways(client_for(other_parent), query)
    assert plain.status_code == HTTPStatus.NOT_FOUND
    assert_alike(plain, through_drf)


def test_a_poll_over_the_budget_is_refused_alike(client_for, appointment, parent, settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "poll": ["2/m"]}
    query = {"appointmentId": str(appointment.pk)}
    within_one_window()
    plain_tab, drf_tab = client_for(parent), client_for(parent)
    for _ in range(2):
        assert plain_tab.get(URL, query).status_code == HTTPStatus.OK
        assert drf_tab.get(URL, query, headers=RANKED).status_code == HTTPStatus.OK
    plain = plain_tab.get(URL, query)
    through_drf = drf_tab.get(URL, query, headers=RANKED)
    assert plain.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(plain["Retry-After"]) >= 1
    plain["Retry-After"] = through_drf["Retry-After"]  # a second may pass between the two
    assert_alike(plain, through_drf)


def test_a_bad_query_is_worded_by_drf_and_counted_once(client_for, appointment, parent, settings):
    settings.VETCHAT_RATE_LIMITS = {**settings.VETCHAT_RATE_LIMITS, "poll": ["2/m"]}
    client = client_for(parent)
    within_one_window()
    bad = client.get(URL, {"appointmentId": str(appointment.pk), "limit": "0"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert bad.json()["error"]["fields"] == {"limit": "Use a whole number from 1 to 200."}
    assert "Allow" in bad  # DRF words it, as before
    # the bad query took one of the two, not both
    assert client.get(URL, {"appointmentId": str(appointment.pk)}).status_code == HTTPStatus.OK
    refused = client.get(URL, {"appointmentId": str(appointment.pk)})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_signed_out_poll_still_goes_through_drf(client, appointment):
    response = client.get(URL, {"appointmentId": str(appointment.pk)})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Session realm="vetchat"'
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "Allow" in response
