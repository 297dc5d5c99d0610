"""Who may do what to an appointment, door by door: one row per method, door and role.

Anyone who may not see an appointment is told it does not exist, exactly as for an unknown id;
staff see the appointment but use no chat; an inactive or signed-out user is sent to sign in.
"""

import json
from http import HTTPStatus

import pytest

from chat.models import Message
from tests.factories import send_message

pytestmark = pytest.mark.django_db

SECRET = "Rex has a sensitive condition"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
SENT = "Knock knock"

OK, CREATED, FOUND = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.FOUND
UNAUTHORIZED, FORBIDDEN, NOT_FOUND = (
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.NOT_FOUND,
)


def page(client, appointment_id):
    return client.get(f"/appointments/{appointment_id}/")


def form_post(client, appointment_id):
    return client.post(f"/appointments/{appointment_id}/messages/", {"content": SENT})


def api_list(client, appointment_id):
    return client.get("/api/appointments/")


def api_messages(client, appointment_id):
    return client.get("/api/appointment-chat/messages", {"appointmentId": appointment_id})


def api_send(client, appointment_id):
    body = {"appointmentId": appointment_id, "content": SENT}
    return client.post("/api/appointment-chat/messages", body, content_type="application/json")


def api_test(client, appointment_id):
    return client.get("/api/appointment-chat/test", {"appointmentId": appointment_id})


def admin_conversation(client, appointment_id):
    return client.get(f"/admin/chat/chat/conversation/{appointment_id}/")


def transcript_pdf(client, appointment_id):
    return client.get(f"/appointments/{appointment_id}/transcript.pdf")


def transcript_json(client, appointment_id):
    return client.get(f"/appointments/{appointment_id}/transcript.json")


DOORS = {
    "GET page": page,
    "POST form": form_post,
    "GET /api/appointments/": api_list,
    "GET messages": api_messages,
    "POST messages": api_send,
    "GET test": api_test,
    "GET admin conversation": admin_conversation,
    "GET transcript.pdf": transcript_pdf,
    "GET transcript.json": transcript_json,
}
PAGES = {"GET page", "POST form", "GET admin conversation", "GET transcript.pdf"}
ROLES = ["anonymous", "parent", "vet", "other_parent", "other_vet", "staff", "inactive_parent"]

EXPECTED = {
    # door: statuses for the roles above, in that order
    "GET page": [FOUND, OK, OK, NOT_FOUND, NOT_FOUND, OK, FOUND],
    "POST form": [FOUND, FOUND, FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND],
    "GET /api/appointments/": [UNAUTHORIZED, OK, OK, OK, OK, OK, UNAUTHORIZED],
    "GET messages": [UNAUTHORIZED, OK, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN, UNAUTHORIZED],
    "POST messages": [
        UNAUTHORIZED,
        CREATED,
        CREATED,
        NOT_FOUND,
        NOT_FOUND,
        FORBIDDEN,
        UNAUTHORIZED,
    ],
    "GET test": [UNAUTHORIZED, OK, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN, UNAUTHORIZED],
    # the admin sends everyone but staff to its sign-in
    "GET admin conversation": [FOUND, FOUND, FOUND, FOUND, FOUND, OK, FOUND],
    "GET transcript.pdf": [FOUND, OK, OK, NOT_FOUND, NOT_FOUND, OK, FOUND],
    "GET transcript.json": [UNAUTHORIZED, OK, OK, NOT_FOUND, NOT_FOUND, OK, UNAUTHORIZED],
}
MATRIX = [
    (door, role, status)
    for door, statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]
# An unknown id answers as a foreign one does, for every signed-in role.
UNKNOWN_ID = [
    (door, role, NOT_FOUND)
    for door in DOORS
    if door != "GET /api/appointments/"
    for role in (("staff",) if door == "GET admin conversation" else ("parent", "vet", "staff"))
]


@pytest.fixture
def user_of(request, appointment):
    def user(role: str):
        if role == "anonymous":
            return None
        if role == "inactive_parent":
            appointment.pet_parent.is_active = False
            appointment.pet_parent.save()
            return appointment.pet_parent
        return request.getfixturevalue(role)

    return user


@pytest.mark.parametrize(("door", "role", "status"), MATRIX)
def test_permission_matrix(client_for, user_of, appointment, door, role, status):
    # given a chat with something private in it
    send_message(appointment.veterinarian, appointment, SECRET)
    # when the role knocks on the door
    response = DOORS[door](client_for(user_of(role)), str(appointment.pk))
    # then it answers as the table says and tells outsiders nothing
    assert response.status_code == status, response.content[:500]
    text = response.content.decode(errors="replace")  # a PDF is bytes
    if status >= HTTPStatus.BAD_REQUEST:
        assert SECRET not in text and appointment.pet.name not in text
        if door not in PAGES:
            assert set(json.loads(text)) == {"error"}
    if door == "GET /api/appointments/" and status == OK:
        listed = str(appointment.pk) in text
        assert listed == (role in ("parent", "vet"))
    sent = Message.objects.filter(content=SENT).exists()
    assert sent == (door.startswith("POST") and role in ("parent", "vet"))


@pytest.mark.parametrize(("door", "role", "status"), UNKNOWN_ID)
def test_unknown_appointment_answers_like_a_foreign_one(client_for, user_of, door, role, status):
    response = DOORS[door](client_for(user_of(role)), UNKNOWN)
    assert response.status_code == status
    if door not in PAGES:
        assert response.json()["error"]["code"] == "not_found"


def test_conditional_get_is_checked_like_any_other(client_for, appointment, parent, other_parent):
    # given the participant's ETag
    etag = api_messages(client_for(parent), str(appointment.pk))["ETag"]
    # when an outsider replays it
    response = client_for(other_parent).get(
        "/api/appointment-chat/messages",
        {"appointmentId": str(appointment.pk)},
        headers={"If-None-Match": etag},
    )
    # then the outsider learns nothing, not even "not modified"
    assert response.status_code == NOT_FOUND
    assert "ETag" not in response
