"""Who may do what to an appointment, door by door: one row per method, door and role.

Anyone who may not see an appointment is told it does not exist, exactly as for an unknown id;
staff see the appointment but use no chat; an inactive or signed-out user is sent to sign in.
A nurse on the care team and a co-owner chat like the vet and the parent; a technician off the
team, a revoked co-owner and a vet who handed the appointment over are outsiders.
"""

import json
from http import HTTPStatus

import pytest

from chat.models import Message
from tests.care_team import TEAM_ROLES, make_role
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


def api_edit(client, appointment_id):
    """Correct the vet's message (only its sender may)."""
    message = Message.objects.get(content=SECRET)
    return client.patch(
        f"/api/appointment-chat/messages/{message.pk}",
        {"content": "corrected"},
        content_type="application/json",
    )


def api_acknowledge(client, appointment_id):
    """Acknowledge the vet's prescription (only the pet's owners may)."""
    message = Message.objects.get(message_type=Message.Type.PRESCRIPTION)
    return client.post(f"/api/appointment-chat/messages/{message.pk}/acknowledgement")


def api_mark_unread(client, appointment_id):
    message = Message.objects.get(content=SECRET)
    body = {"appointmentId": appointment_id, "fromMessageId": str(message.pk)}
    return client.post("/api/appointment-chat/unread", body, content_type="application/json")


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
    "PATCH message": api_edit,
    "POST acknowledgement": api_acknowledge,
    "POST unread": api_mark_unread,
    "GET admin conversation": admin_conversation,
    "GET transcript.pdf": transcript_pdf,
    "GET transcript.json": transcript_json,
}
PAGES = {"GET page", "POST form", "GET admin conversation", "GET transcript.pdf"}
ROLES = [
    "anonymous",
    "parent",
    "vet",
    "other_parent",
    "other_vet",
    "staff",
    "inactive_parent",
    *TEAM_ROLES,
]
# Who takes part in the chat: they see it listed and may write in it.
PARTICIPANTS = {"parent", "vet", "technician", "co_owner", "new_vet"}
NF, FB, UA = NOT_FOUND, FORBIDDEN, UNAUTHORIZED

EXPECTED = {
    # door: statuses for the roles above, in that order; the second line: TEAM_ROLES
    # (technician, outside technician, co-owner, revoked co-owner, new vet, previous vet)
    "GET page": [FOUND, OK, OK, NF, NF, OK, FOUND, *[OK, NF, OK, NF, OK, NF]],
    "POST form": [FOUND, FOUND, FOUND, NF, NF, FB, FOUND, *[FOUND, NF, FOUND, NF, FOUND, NF]],
    "GET /api/appointments/": [UA, OK, OK, OK, OK, OK, UA, *[OK, OK, OK, OK, OK, OK]],
    "GET messages": [UA, OK, OK, NF, NF, FB, UA, *[OK, NF, OK, NF, OK, NF]],
    "POST messages": [
        UA,
        CREATED,
        CREATED,
        NF,
        NF,
        FB,
        UA,
        *[CREATED, NF, CREATED, NF, CREATED, NF],
    ],
    "GET test": [UA, OK, OK, NF, NF, FB, UA, *[OK, NF, OK, NF, OK, NF]],
    # The vet's own message: only its sender corrects it.
    "PATCH message": [UA, FB, OK, NF, NF, FB, UA, *[FB, NF, FB, NF, FB, NF]],
    # The vet's prescription: the pet's owners acknowledge it.
    "POST acknowledgement": [UA, OK, FB, NF, NF, FB, UA, *[FB, NF, OK, NF, FB, NF]],
    "POST unread": [UA, OK, OK, NF, NF, FB, UA, *[OK, NF, OK, NF, OK, NF]],
    # the admin sends everyone but staff to its sign-in
    "GET admin conversation": [FOUND, FOUND, FOUND, FOUND, FOUND, OK, FOUND, *[FOUND] * 6],
    "GET transcript.pdf": [FOUND, OK, OK, NF, NF, OK, FOUND, *[OK, NF, OK, NF, OK, NF]],
    "GET transcript.json": [UA, OK, OK, NF, NF, OK, UA, *[OK, NF, OK, NF, OK, NF]],
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
    if door
    not in {"GET /api/appointments/", "PATCH message", "POST acknowledgement", "POST unread"}
    for role in (
        ("staff",) if door == "GET admin conversation" else ("parent", "vet", "staff", "technician")
    )
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
        if role in TEAM_ROLES:
            return make_role(role, appointment)
        return request.getfixturevalue(role)

    return user


@pytest.mark.parametrize(("door", "role", "status"), MATRIX)
def test_permission_matrix(client_for, user_of, appointment, door, role, status):
    # given a chat with something private in it, and a prescription
    send_message(appointment.veterinarian, appointment, SECRET)
    send_message(
        appointment.veterinarian,
        appointment,
        "",
        message_type=Message.Type.PRESCRIPTION,
        payload={"medication": "Meloxicam"},
    )
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
        assert listed == (role in PARTICIPANTS)
    sent = Message.objects.filter(content=SENT).exists()
    assert sent == (door in {"POST form", "POST messages"} and role in PARTICIPANTS)


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
