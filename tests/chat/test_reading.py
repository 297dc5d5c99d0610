"""Paging by seq, read state as each side sees it, and conditional GETs."""

from http import HTTPStatus

import pytest

from chat.models import Message, ReadState
from chat.services import access_chat, chat_mark_read
from tests.chat.conftest import URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(chat, parent, vet):
    """A chat of 12 messages, alternating senders, created as the service does."""
    for number in range(1, 13):
        Message.objects.create(
            chat=chat,
            clinic_id=chat.clinic_id,
            seq=number,
            sender=vet if number % 2 else parent,
            content=f"m{number}",
        )
    chat.last_seq = 12
    chat.save()
    return chat


def fetch(client, appointment, **query):
    response = client.get(URL, {"appointmentId": str(appointment.pk), **query})
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    return body, [message["seq"] for message in body["messages"]]


def test_latest_page_oldest_first(client_for, appointment, parent, history):
    body, seqs = fetch(client_for(parent), appointment, limit=5)
    assert seqs == [8, 9, 10, 11, 12]
    assert body["hasMore"] is True
    assert body["lastSeq"] == 12


def test_default_limit_is_50_and_everything_fits(client_for, appointment, parent, history):
    body, seqs = fetch(client_for(parent), appointment)
    assert seqs == list(range(1, 13))
    assert body["hasMore"] is False


@pytest.mark.parametrize(
    ("query", "expected", "has_more"),
    [
        ({"after": 0, "limit": 5}, [1, 2, 3, 4, 5], True),
        ({"after": 7, "limit": 5}, [8, 9, 10, 11, 12], False),
        ({"after": 10}, [11, 12], False),
        ({"after": 12}, [], False),
        ({"after": 500}, [], False),
        ({"before": 8, "limit": 5}, [3, 4, 5, 6, 7], True),
        ({"before": 6, "limit": 5}, [1, 2, 3, 4, 5], False),
        ({"before": 1}, [], False),
        ({"before": 3, "limit": 200}, [1, 2], False),
        ({"limit": 1}, [12], True),
        ({"limit": 200}, list(range(1, 13)), False),
    ],
)
def test_paging_edges(client_for, appointment, parent, history, query, expected, has_more):
    body, seqs = fetch(client_for(parent), appointment, **query)
    assert seqs == expected
    assert body["hasMore"] is has_more


def test_paging_back_with_before_walks_the_whole_history_once(
    client_for, appointment, parent, history
):
    client = client_for(parent)
    body, seqs = fetch(client, appointment, limit=5)
    seen = list(seqs)
    while body["hasMore"]:
        body, seqs = fetch(client, appointment, limit=5, before=seen[0])
        seen = seqs + seen
    assert seen == list(range(1, 13))


def test_reading_marks_the_other_sides_messages_read(client_for, appointment, parent, vet, send):
    # given the parent wrote twice
    send(parent, "one")
    send(parent, "two")
    parent_client, vet_client = client_for(parent), client_for(vet)

    # the parent's own view: not yet read by the vet
    body, _ = fetch(parent_client, appointment)
    assert [m["isRead"] for m in body["messages"]] == [False, False]
    assert body["otherLastReadSeq"] == 0

    # the vet peeks without reading (a hidden tab)
    body, _ = fetch(vet_client, appointment, markRead="false")
    assert [m["isRead"] for m in body["messages"]] == [False, False]
    body, _ = fetch(parent_client, appointment)
    assert [m["isRead"] for m in body["messages"]] == [False, False]

    # the vet reads
    body, _ = fetch(vet_client, appointment)
    assert [m["isRead"] for m in body["messages"]] == [True, True]

    # and the parent sees them read
    body, _ = fetch(parent_client, appointment)
    assert [m["isRead"] for m in body["messages"]] == [True, True]
    assert body["otherLastReadSeq"] == 2


def test_reading_own_messages_does_not_mark_them_read(client_for, appointment, parent, send):
    send(parent, "only me")
    fetch(client_for(parent), appointment)
    fetch(client_for(parent), appointment)
    body, _ = fetch(client_for(parent), appointment)
    assert body["messages"][0]["isRead"] is False


def test_reading_old_history_never_moves_the_cursor_back(
    client_for, appointment, parent, vet, history
):
    client = client_for(parent)
    fetch(client, appointment)  # reads up to 12
    fetch(client, appointment, before=4)  # an old page
    assert ReadState.objects.get(chat=history, user=parent).last_read_seq == 12


def test_mark_read_only_moves_forward(history, parent):
    def mark(up_to_seq: int) -> bool:
        chat = access_chat(user=parent, appointment_id=history.appointment_id)
        return chat_mark_read(chat=chat, user=parent, up_to_seq=up_to_seq)

    assert mark(9) is True
    assert mark(4) is False
    assert ReadState.objects.get(chat=history, user=parent).last_read_seq == 9
    assert mark(11) is True
    assert ReadState.objects.get(chat=history, user=parent).last_read_seq == 11


def test_unread_count_on_the_appointment_list(client_for, appointment, parent, vet, send):
    for text in ("a", "b", "c"):
        send(vet, text)
    send(parent, "mine do not count")

    def unread(user) -> int:
        rows = client_for(user).get("/api/appointments/").json()["appointments"]
        return next(row["unreadCount"] for row in rows if row["id"] == str(appointment.pk))

    assert unread(parent) == 3
    assert unread(vet) == 1
    fetch(client_for(parent), appointment, after=0, limit=2)  # reads two of three
    assert unread(parent) == 1
    fetch(client_for(parent), appointment)
    assert unread(parent) == 0


def test_not_modified_when_nothing_changed(client_for, appointment, parent, vet, send):
    send(vet, "first")
    client = client_for(parent)
    response = client.get(URL, {"appointmentId": str(appointment.pk), "after": 1})
    etag = response["ETag"]

    again = client.get(
        URL, {"appointmentId": str(appointment.pk), "after": 1}, headers={"If-None-Match": etag}
    )
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "private, no-cache, no-store"
    assert "Content-Type" not in again

    send(vet, "second")
    changed = client.get(
        URL, {"appointmentId": str(appointment.pk), "after": 1}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == HTTPStatus.OK
    assert [m["content"] for m in changed.json()["messages"]] == ["second"]


def test_a_read_receipt_changes_the_etag(client_for, appointment, parent, vet, send):
    send(parent, "did you read me?")
    client = client_for(parent)
    etag = client.get(URL, {"appointmentId": str(appointment.pk), "after": 1})["ETag"]
    fetch(client_for(vet), appointment)  # the vet reads it
    response = client.get(
        URL, {"appointmentId": str(appointment.pk), "after": 1}, headers={"If-None-Match": etag}
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["otherLastReadSeq"] == 1


def test_an_etag_of_another_query_does_not_match(client_for, appointment, parent, send):
    send(parent, "x")
    client = client_for(parent)
    etag = client.get(URL, {"appointmentId": str(appointment.pk), "after": 1})["ETag"]
    response = client.get(
        URL, {"appointmentId": str(appointment.pk), "after": 0}, headers={"If-None-Match": etag}
    )
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["messages"]) == 1
