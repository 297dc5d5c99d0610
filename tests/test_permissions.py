"""Who may do what to an appointment, door by door: one row per method, door and role.

Anyone who may not see an appointment is told it does not exist, exactly as for an unknown id;
staff see the appointment but use no chat; an inactive or signed-out user is sent to sign in.
A nurse on the care team and a co-owner chat like the vet and the parent; a technician off the
team, a revoked co-owner and a vet who handed the appointment over are outsiders.

Every row is asked twice: with the appointment in the clinic its clinic-side people work at, and
with those people working at another clinic instead (where the same pet parent is a client
too). The family follows its pet to any clinic and a platform superuser sees every clinic; a
vet, technician or staff member of another clinic gets exactly what an outsider gets.

The people and the chat are made once per module; each test's own changes (a care team, a
hand-over, a message sent) are rolled back after it, as any test's are.
"""

import json
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction

from accounts.models import User
from chat.models import Message
from tenancy.models import ClinicMembership
from tests.attachments import files
from tests.care_team import TEAM_ROLES, make_role
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    PetParentFactory,
    StaffFactory,
    VetFactory,
    send_message,
    upload_attachment,
)

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


def attachment_file(client, appointment_id):
    """Download the file the vet sent into the chat."""
    message = Message.objects.get(chat__appointment_id=appointment_id, message_type="file")
    return client.get(f"/api/appointment-chat/attachments/{message.attachments[0]['id']}")


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
    "GET attachment": attachment_file,
}
PAGES = {"GET page", "POST form", "GET admin conversation", "GET transcript.pdf"}
ROLES = [
    "anonymous",
    "parent",
    "vet",
    "other_parent",
    "other_vet",
    "staff",  # a platform superuser
    "clinic_staff",  # staff of the appointment's clinic, with the right to read chats
    "inactive_parent",
    *TEAM_ROLES,
]
# Who works at a clinic: in the other-clinic rows they work at another one.
CLINIC_SIDE = {"vet", "other_vet", "clinic_staff", *TEAM_ROLES} - {"co_owner", "revoked_co_owner"}
# Who takes part in the chat: they see it listed and may write in it.
PARTICIPANTS = {"parent", "vet", "technician", "co_owner", "new_vet"}
NF, FB, UA = NOT_FOUND, FORBIDDEN, UNAUTHORIZED

EXPECTED = {
    # door: statuses for the roles above, in that order; the second line: TEAM_ROLES
    # (technician, outside technician, co-owner, revoked co-owner, new vet, previous vet)
    "GET page": [FOUND, OK, OK, NF, NF, OK, OK, FOUND, *[OK, NF, OK, NF, OK, NF]],
    "POST form": [FOUND, FOUND, FOUND, NF, NF, FB, FB, FOUND, *[FOUND, NF, FOUND, NF, FOUND, NF]],
    "GET /api/appointments/": [UA, OK, OK, OK, OK, OK, OK, UA, *[OK, OK, OK, OK, OK, OK]],
    "GET messages": [UA, OK, OK, NF, NF, FB, FB, UA, *[OK, NF, OK, NF, OK, NF]],
    "POST messages": [
        *[UA, CREATED, CREATED, NF, NF, FB, FB, UA],
        *[CREATED, NF, CREATED, NF, CREATED, NF],
    ],
    "GET test": [UA, OK, OK, NF, NF, FB, FB, UA, *[OK, NF, OK, NF, OK, NF]],
    # The vet's own message: only its sender corrects it.
    "PATCH message": [UA, FB, OK, NF, NF, FB, FB, UA, *[FB, NF, FB, NF, FB, NF]],
    # The vet's prescription: the pet's owners acknowledge it.
    "POST acknowledgement": [UA, OK, FB, NF, NF, FB, FB, UA, *[FB, NF, OK, NF, FB, NF]],
    "POST unread": [UA, OK, OK, NF, NF, FB, FB, UA, *[OK, NF, OK, NF, OK, NF]],
    # the admin sends everyone but staff to its sign-in
    "GET admin conversation": [FOUND, FOUND, FOUND, FOUND, FOUND, OK, OK, FOUND, *[FOUND] * 6],
    "GET transcript.pdf": [FOUND, OK, OK, NF, NF, OK, OK, FOUND, *[OK, NF, OK, NF, OK, NF]],
    "GET transcript.json": [UA, OK, OK, NF, NF, OK, OK, UA, *[OK, NF, OK, NF, OK, NF]],
    "GET attachment": [UA, OK, OK, NF, NF, OK, OK, UA, *[OK, NF, OK, NF, OK, NF]],
}
# The same doors when the clinic-side roles work at another clinic: each answers them as it
# answers an outsider (other_vet), and the admin, which other clinics' staff do reach, 404.
EXPECTED_OTHER_CLINIC = {
    "GET page": [FOUND, OK, NF, NF, NF, OK, NF, FOUND, *[NF, NF, OK, NF, NF, NF]],
    "POST form": [FOUND, FOUND, NF, NF, NF, FB, NF, FOUND, *[NF, NF, FOUND, NF, NF, NF]],
    "GET /api/appointments/": [UA, OK, OK, OK, OK, OK, OK, UA, *[OK, OK, OK, OK, OK, OK]],
    "GET messages": [UA, OK, NF, NF, NF, FB, NF, UA, *[NF, NF, OK, NF, NF, NF]],
    "POST messages": [UA, CREATED, NF, NF, NF, FB, NF, UA, *[NF, NF, CREATED, NF, NF, NF]],
    "GET test": [UA, OK, NF, NF, NF, FB, NF, UA, *[NF, NF, OK, NF, NF, NF]],
    "PATCH message": [UA, FB, NF, NF, NF, FB, NF, UA, *[NF, NF, FB, NF, NF, NF]],
    "POST acknowledgement": [UA, OK, NF, NF, NF, FB, NF, UA, *[NF, NF, OK, NF, NF, NF]],
    "POST unread": [UA, OK, NF, NF, NF, FB, NF, UA, *[NF, NF, OK, NF, NF, NF]],
    "GET admin conversation": [FOUND, FOUND, FOUND, FOUND, FOUND, OK, NF, FOUND, *[FOUND] * 6],
    "GET transcript.pdf": [FOUND, OK, NF, NF, NF, OK, NF, FOUND, *[NF, NF, OK, NF, NF, NF]],
    "GET transcript.json": [UA, OK, NF, NF, NF, OK, NF, UA, *[NF, NF, OK, NF, NF, NF]],
    "GET attachment": [UA, OK, NF, NF, NF, OK, NF, UA, *[NF, NF, OK, NF, NF, NF]],
}
SAME, OTHER = "same clinic", "other clinic"
MATRIX = [
    (door, role, where, status)
    for where, table in ((SAME, EXPECTED), (OTHER, EXPECTED_OTHER_CLINIC))
    for door, statuses in table.items()
    for role, status in zip(ROLES, statuses, strict=True)
]
# An unknown id answers as a foreign one does, for every signed-in role.
UNKNOWN_ID = [
    (door, role, NOT_FOUND)
    for door in DOORS
    if door
    not in {
        "GET /api/appointments/",
        "PATCH message",
        "POST acknowledgement",
        "POST unread",
        "GET attachment",
    }
    for role in (
        ("staff",) if door == "GET admin conversation" else ("parent", "vet", "staff", "technician")
    )
]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Alex's Rex, seen by Dr. Foster at Riverside (the first clinic): a chat with something
    private in it, a prescription and a file; Rex is seen at Hillside too, by Dr. Hill. Made once
    for the module, inside a transaction rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            made = world_make()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield made
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def world_make() -> SimpleNamespace:
    parent = PetParentFactory(name="Alex Morgan")
    vet = VetFactory(name="Dr. Jane Foster")
    # a name no page says by itself, so that finding it tells of the appointment
    appointment = AppointmentFactory(pet__owner=parent, pet__name="Rex", veterinarian=vet)
    send_message(vet, appointment, SECRET)
    send_message(
        vet,
        appointment,
        "",
        message_type=Message.Type.PRESCRIPTION,
        payload={"medication": "Meloxicam"},
    )
    upload = upload_attachment(vet, appointment, files.pdf_document(), "lab-results.pdf")
    send_message(vet, appointment, "", message_type=Message.Type.FILE, attachments=[upload])
    hillside = ClinicFactory(name="Hillside Animal Hospital", time_zone="America/New_York")
    AppointmentFactory(
        clinic=hillside, pet=appointment.pet, veterinarian__name="Dr. Hill", reason="Limping"
    )
    clinic_staff = StaffFactory(name="Pat Desk")
    clinic_staff.user_permissions.add(Permission.objects.get(codename="view_chat"))
    return SimpleNamespace(
        appointment=appointment,
        hillside=hillside,
        parent=parent,
        vet=vet,
        other_parent=PetParentFactory(),
        other_vet=VetFactory(),
        staff=StaffFactory(is_superuser=True),
        clinic_staff=User.objects.get(pk=clinic_staff.pk),  # its rights asked afresh
    )


@pytest.fixture
def user_of(world):
    def user(role: str, where: str = SAME):
        if role == "anonymous":
            return None
        if role == "inactive_parent":
            User.objects.filter(pk=world.parent.pk).update(is_active=False)
            return User.objects.get(pk=world.parent.pk)
        made = make_role(role, world.appointment) if role in TEAM_ROLES else getattr(world, role)
        if where == OTHER and role in CLINIC_SIDE:
            # works at Hillside instead, where the same pet parent is a client too
            ClinicMembership.objects.filter(user=made).update(clinic=world.hillside)
        return made

    return user


def takes_part(role: str, where: str) -> bool:
    """Whether the role takes part in the chat: a participant, unless the clinic's side of it
    works at another clinic."""
    return role in PARTICIPANTS and (where == SAME or role not in CLINIC_SIDE)


@pytest.mark.parametrize(("door", "role", "where", "status"), MATRIX)
def test_permission_matrix(client_for, user_of, world, door, role, where, status):
    # given a chat with something private in it, a prescription and a file, the pet also seen
    # at another clinic; and the role, working at the appointment's clinic or at the other one
    appointment = world.appointment
    knocking = user_of(role, where)
    # when the role knocks on the door
    response = DOORS[door](client_for(knocking), str(appointment.pk))
    # then it answers as the table says and tells outsiders nothing
    assert response.status_code == status, response.content[:500]
    if status >= HTTPStatus.BAD_REQUEST:
        text = response.content.decode(errors="replace")  # a PDF is bytes
        assert SECRET not in text and appointment.pet.name not in text
        if door not in PAGES:
            assert set(json.loads(text)) == {"error"}
    if door == "GET /api/appointments/" and status == OK:
        listed = str(appointment.pk) in response.content.decode()
        assert listed == takes_part(role, where)
    sent = Message.objects.filter(content=SENT).exists()
    assert sent == (door in {"POST form", "POST messages"} and takes_part(role, where))


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
