"""Mark unread: a participant brings a chat back into their unread count from a message of
their choice; the read cursor behind receipts stays, so the other side's "Read" stays."""

from http import HTTPStatus

import pytest

from chat.models import ReadState
from tests.care_team import team_member
from tests.chat.conftest import URL

pytestmark = pytest.mark.django_db

UNREAD_URL = "/api/appointment-chat/unread"


def mark_unread(client, appointment, message_id):
    body = {"appointmentId": str(appointment.pk), "fromMessageId": str(message_id)}
    return client.post(UNREAD_URL, body, content_type="application/json")


def unread_count(client, appointment) -> int:
    rows = client.get("/api/appointments/").json()["appointments"]
    return next(row["unreadCount"] for row in rows if row["id"] == str(appointment.pk))


def unread_total(client) -> int:
    return client.get("/api/notifications/unread/").json()["unreadTotal"]


def test_marking_unread_brings_the_badge_back_and_keeps_the_receipt(
    client_for, appointment, parent, vet, send
):
    # given the parent read three messages from the vet
    first = send(vet, "one")
    send(vet, "two")
    send(vet, "three")
    parent_client, vet_client = client_for(parent), client_for(vet)
    parent_client.get(URL, {"appointmentId": str(appointment.pk)})
    assert unread_count(parent_client, appointment) == 0
    # when the parent marks the chat unread from the first
    response = mark_unread(parent_client, appointment, first.id)
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"unreadFromSeq": 1, "success": True}
    # then their list and title count it unread again
    assert unread_count(parent_client, appointment) == 3
    assert unread_total(parent_client) == 3
    # while the vet's receipts stay "Read" and the cursor did not move back
    assert ReadState.objects.get(user=parent).last_read_seq == 3
    messages = vet_client.get(URL, {"appointmentId": str(appointment.pk)}).json()["messages"]
    assert all(m["isRead"] for m in messages)
    # and reading the chat again clears the mark
    parent_client.get(URL, {"appointmentId": str(appointment.pk)})
    assert unread_count(parent_client, appointment) == 0
    assert ReadState.objects.get(user=parent).unread_from_seq is None


def test_marking_unread_is_for_the_marker_only(client_for, appointment, parent, vet, send):
    nurse = team_member(appointment)
    message = send(parent, "one")
    vet_client, nurse_client = client_for(vet), client_for(nurse)
    for client in (vet_client, nurse_client):
        client.get(URL, {"appointmentId": str(appointment.pk)})
    mark_unread(nurse_client, appointment, message.id)
    assert unread_count(nurse_client, appointment) == 1
    assert unread_count(vet_client, appointment) == 0


def test_a_poll_with_nothing_new_leaves_the_mark(client_for, appointment, parent, vet, send):
    first = send(vet, "one")
    client = client_for(parent)
    client.get(URL, {"appointmentId": str(appointment.pk)})
    mark_unread(client, appointment, first.id)
    poll = client.get(URL, {"appointmentId": str(appointment.pk), "after": 1})
    assert poll.status_code == HTTPStatus.OK
    assert unread_count(client, appointment) == 1


def test_the_plain_form_marks_unread_and_goes_back_to_the_list(
    client_for, appointment, parent, vet, send
):
    first = send(vet, "one")
    client = client_for(parent)
    page = client.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Mark unread from here" in page
    response = client.post(f"/appointments/{appointment.pk}/messages/{first.id}/unread/")
    assert response.status_code == HTTPStatus.FOUND
    assert unread_count(client, appointment) == 1


SOME_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fromMessageId": SOME_ID}, "appointmentId"),
        ({"appointmentId": "nope", "fromMessageId": SOME_ID}, "appointmentId"),
        ({"appointmentId": "APPOINTMENT"}, "fromMessageId"),
        ({"appointmentId": "APPOINTMENT", "fromMessageId": "seven"}, "fromMessageId"),
    ],
)
def test_bad_input_is_a_clear_400(client_for, appointment, parent, body, field):
    if body.get("appointmentId") == "APPOINTMENT":
        body = {**body, "appointmentId": str(appointment.pk)}
    response = client_for(parent).post(UNREAD_URL, body, content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]


def test_a_message_of_another_chat_is_not_found(client_for, appointment, parent, vet, send):
    from tests.factories import AppointmentFactory, send_message

    elsewhere = send_message(vet, AppointmentFactory(veterinarian=vet), "elsewhere")
    response = mark_unread(client_for(parent), appointment, elsewhere.id)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "fromMessageId" in response.json()["error"]["fields"]
