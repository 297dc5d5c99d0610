import re
from http import HTTPStatus

import pytest

from chat.models import Message
from tests.chat.conftest import TEST_URL, URL, post
from tests.factories import AppointmentFactory

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

pytestmark = pytest.mark.django_db


def test_get_messages_matches_the_seed_example_field_by_field(
    client_for, appointment, parent, vet, send
):
    # given a chat in which the vet wrote and the parent has read it
    send(vet, "How is Rex today?")
    parent_client = client_for(parent)

    # when the parent fetches the chat
    response = parent_client.get(URL, {"appointmentId": str(appointment.pk)})

    # then the body has the seed's shape, plus seq, lastSeq and hasMore, and who read how far
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {
        "messages",
        "changed",
        "appointment",
        "lastSeq",
        "rev",
        "hasMore",
        "otherLastReadSeq",
        "otherReaderName",
    }
    (message,) = body["messages"]
    assert set(message) == {
        "_id",
        "seq",
        "senderId",
        "senderName",
        "senderInitials",
        "senderImage",
        "senderRole",
        "content",
        "messageType",
        "isRead",
        "readBy",
        "isDelivered",
        "createdAt",
        "updatedAt",
        "editedAt",
        "retractedAt",
    }
    assert UUID.match(message["_id"])
    assert message["seq"] == 1
    assert message["senderId"] == str(vet.pk)
    assert message["senderName"] == "Dr. Jane Foster"
    assert message["senderInitials"] == "JF"
    assert message["senderImage"] is None
    assert message["content"] == "How is Rex today?"
    assert message["messageType"] == "text"
    assert message["isRead"] is True  # fetching it just now read it
    assert message["isDelivered"] is True
    assert ISO_UTC.match(message["createdAt"]) and ISO_UTC.match(message["updatedAt"])
    assert body["appointment"] == {
        "id": str(appointment.pk),
        "petParentName": "Alex Morgan",
        "veterinarianName": "Dr. Jane Foster",
        "petName": appointment.pet.name,
        "appointmentDate": body["appointment"]["appointmentDate"],
        "appointmentTime": body["appointment"]["appointmentTime"],
    }
    assert re.match(r"^\d{4}-\d\d-\d\d$", body["appointment"]["appointmentDate"])
    assert re.match(r"^\d\d:\d\d$", body["appointment"]["appointmentTime"])
    assert body["lastSeq"] == 1
    assert body["hasMore"] is False


def test_post_message_matches_the_seed_example_field_by_field(client_for, appointment, parent):
    response = post(
        client_for(parent),
        {
            "appointmentId": str(appointment.pk),
            "content": "Message content",
            "messageType": "text",
            "attachments": [],
        },
    )
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["success"] is True
    message = body["message"]
    seed_fields = {
        "_id",
        "senderId",
        "senderName",
        "content",
        "messageType",
        "isRead",
        "isDelivered",
        "createdAt",
    }
    assert seed_fields <= set(message)
    assert message["senderId"] == str(parent.pk)
    assert message["senderName"] == "Alex Morgan"
    assert message["content"] == "Message content"
    assert message["messageType"] == "text"
    assert message["isRead"] is False
    assert message["isDelivered"] is True
    assert ISO_UTC.match(message["createdAt"])
    stored = Message.objects.get(pk=message["_id"])
    assert (stored.seq, stored.sender, stored.content) == (1, parent, "Message content")


def test_test_endpoint_answers_like_the_seed(client_for, appointment, vet):
    response = client_for(vet).get(TEST_URL, {"appointmentId": str(appointment.pk)})
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "appointmentExists": True,
        "chatExists": False,
        "appointmentId": str(appointment.pk),
        "userId": str(vet.pk),
        "userRole": "veterinarian",
        "message": "Appointment chat system is working correctly",
    }
    # reading the chat creates it; the test endpoint then says so
    client_for(vet).get(URL, {"appointmentId": str(appointment.pk)})
    response = client_for(vet).get(TEST_URL, {"appointmentId": str(appointment.pk)})
    assert response.json()["chatExists"] is True


def test_a_chat_is_created_once_for_an_older_appointment(client_for, appointment, parent, vet):
    assert not hasattr(appointment, "chat")
    for user in (parent, vet, parent):
        assert client_for(user).get(URL, {"appointmentId": str(appointment.pk)}).status_code == 200
    assert Message.objects.count() == 0
    appointment.refresh_from_db()
    assert appointment.chat.last_seq == 0


def test_idempotent_send_by_client_id(client_for, appointment, parent):
    client = client_for(parent)
    body = {"appointmentId": str(appointment.pk), "content": "once", "clientId": "c-123"}
    first = post(client, body)
    again = post(client, body)
    assert first.status_code == HTTPStatus.CREATED
    assert again.status_code == HTTPStatus.OK
    assert again.json()["message"]["_id"] == first.json()["message"]["_id"]
    assert Message.objects.filter(chat__appointment=appointment).count() == 1


def test_same_client_id_from_the_other_participant_is_a_different_message(
    client_for, appointment, parent, vet
):
    body = {"appointmentId": str(appointment.pk), "content": "hi", "clientId": "same"}
    assert post(client_for(parent), body).status_code == HTTPStatus.CREATED
    assert post(client_for(vet), body).status_code == HTTPStatus.CREATED
    assert Message.objects.filter(chat__appointment=appointment).count() == 2


def test_content_is_trimmed_and_kept_as_text(client_for, appointment, parent):
    text = "  <b>bold?</b>\nsecond line  "
    response = post(client_for(parent), {"appointmentId": str(appointment.pk), "content": text})
    assert response.json()["message"]["content"] == "<b>bold?</b>\nsecond line"


def test_vet_sends_a_prescription_with_structured_fields(client_for, appointment, vet):
    payload = {
        "medication": "Amoxicillin",
        "dose": "250 mg",
        "frequency": "twice a day",
        "duration": "7 days",
        "notes": "With food.",
    }
    response = post(
        client_for(vet),
        {"appointmentId": str(appointment.pk), "messageType": "prescription", "payload": payload},
    )
    assert response.status_code == HTTPStatus.CREATED
    message = response.json()["message"]
    assert message["payload"] == payload
    assert message["content"] == "Amoxicillin, 250 mg, twice a day, 7 days"


def test_cancelled_appointment_chat_is_read_only(client_for, parent, vet):
    appointment = AppointmentFactory(pet__owner=parent, veterinarian=vet, status="cancelled")
    response = post(client_for(parent), {"appointmentId": str(appointment.pk), "content": "hi"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "chat_read_only"
    assert "cancelled" in response.json()["error"]["message"]
    assert not Message.objects.exists()
    # but it can still be read
    response = client_for(parent).get(URL, {"appointmentId": str(appointment.pk)})
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("kind", ["assessment", "prescription"])
def test_pet_parent_cannot_send_vet_only_types(client_for, appointment, parent, kind):
    response = post(
        client_for(parent),
        {
            "appointmentId": str(appointment.pk),
            "messageType": kind,
            "content": "I diagnose myself",
        },
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["fields"] == {"messageType": "Not allowed for you."}
    assert not Message.objects.exists()


def test_a_session_poll_needs_no_csrf_token(appointment, parent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(parent)
    response = client.get(URL, {"appointmentId": str(appointment.pk)})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["messages"] == []


def test_csrf_is_enforced_for_session_posts(appointment, parent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(parent)
    response = post(client, {"appointmentId": str(appointment.pk), "content": "hi"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["error"]["message"]
    assert not Message.objects.exists()

    client.get("/appointments/")  # any page sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        URL,
        {"appointmentId": str(appointment.pk), "content": "hi"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == HTTPStatus.CREATED
