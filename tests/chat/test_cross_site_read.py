"""The seed's fetch marks the messages it returns read, unless another site made the request:
a link or an image on a hostile page sends the signed-in user's cookie, but nobody read a thing.
"""

from http import HTTPStatus

import pytest

from tests.chat.conftest import URL

pytestmark = pytest.mark.django_db


def read_by_vet(client_for, parent, appointment) -> int:
    """How far the vet has read, as the parent's own fetch reports it."""
    body = client_for(parent).get(URL, {"appointmentId": str(appointment.pk)}).json()
    return body["otherLastReadSeq"]


@pytest.mark.parametrize(
    "accept",
    [
        "*/*",  # fetch() or an <img> on the other site
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a followed link
    ],
)
def test_a_cross_site_fetch_answers_but_marks_nothing_read(
    client_for, appointment, parent, vet, send, accept
):
    # given the parent wrote twice
    send(parent, "one")
    send(parent, "two")

    # when a page on another site makes the vet's browser fetch the chat
    response = client_for(vet).get(
        URL,
        {"appointmentId": str(appointment.pk)},
        headers={"Sec-Fetch-Site": "cross-site", "Accept": accept},
    )

    # then the messages are answered (as to any request that carries the cookie) ...
    assert response.status_code == HTTPStatus.OK
    assert [m["content"] for m in response.json()["messages"]] == ["one", "two"]
    # ... and the parent does not see them read
    assert read_by_vet(client_for, parent, appointment) == 0


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none", None])
def test_the_seeds_fetch_from_this_site_or_typed_in_still_marks_read(
    client_for, appointment, parent, vet, send, site
):
    send(parent, "one")
    send(parent, "two")
    headers = {} if site is None else {"Sec-Fetch-Site": site}

    response = client_for(vet).get(URL, {"appointmentId": str(appointment.pk)}, headers=headers)

    assert response.status_code == HTTPStatus.OK
    assert [m["isRead"] for m in response.json()["messages"]] == [True, True]
    assert read_by_vet(client_for, parent, appointment) == 2
