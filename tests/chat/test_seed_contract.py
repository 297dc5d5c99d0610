"""The seed's clients keep working: its request body, exactly as its documentation gives it
(`POST /api/appointment-chat/messages`), for every message type.

The seed's body names an appointment, a type, the text and an empty list of attachments; it has
no `payload`. Its clients send assessments and prescriptions that way, as free text, and the
parent acknowledges such a prescription like any other.
"""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest

from chat.models import Message
from chat.selectors import prescriptions_awaiting_acknowledgement
from tests.attachments import files
from tests.chat.conftest import URL, post
from tests.factories import upload_attachment

pytestmark = pytest.mark.django_db

# Verbatim from the seed's "POST /api/appointment-chat/messages" request.
SEED_REQUEST = """
{
  "appointmentId": "appointment_id",
  "content": "Message content",
  "messageType": "text",
  "attachments": []
}
"""
# The fields of the seed's answer, which every type's answer keeps.
SEED_ANSWER = {
    "_id",
    "senderId",
    "senderName",
    "content",
    "messageType",
    "isRead",
    "isDelivered",
    "createdAt",
}
TEXT_TYPES = ["text", "assessment", "prescription"]
ATTACHMENT_TYPES = ["image", "video", "file"]
UPLOADS = {
    "image": lambda tmp: (files.image_bytes(), "photo.jpg"),
    "video": lambda tmp: (files.video(tmp, location=False, seconds=1), "clip.mp4"),
    "file": lambda tmp: (files.pdf_document(), "results.pdf"),
}


def seed_body(appointment, message_type: str) -> dict:
    body = json.loads(SEED_REQUEST)
    body["appointmentId"] = str(appointment.pk)
    body["messageType"] = message_type
    return body


def test_every_type_of_the_seed_is_covered():
    # Clinic notices and the intake (`triage`) came after the seed: types added to its contract.
    assert set(TEXT_TYPES + ATTACHMENT_TYPES) == {
        kind
        for kind in Message.Type.values
        if kind not in (Message.Type.SYSTEM, Message.Type.INTAKE)
    }


@pytest.mark.parametrize("message_type", TEXT_TYPES)
def test_the_vet_sends_the_seeds_exact_body(client_for, appointment, vet, message_type):
    response = post(client_for(vet), seed_body(appointment, message_type))

    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert body["success"] is True
    message = body["message"]
    assert set(message) >= SEED_ANSWER
    assert (message["messageType"], message["content"]) == (message_type, "Message content")
    assert (message["isRead"], message["isDelivered"]) == (False, True)
    assert "payload" not in message
    stored = Message.objects.get(pk=message["_id"])
    assert (stored.message_type, stored.content, stored.payload) == (
        message_type,
        "Message content",
        None,
    )


def test_the_parent_sends_the_seeds_exact_text_body(client_for, appointment, parent):
    response = post(client_for(parent), seed_body(appointment, "text"))
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["message"]["content"] == "Message content"


@pytest.mark.parametrize("message_type", ["assessment", "prescription"])
def test_only_a_vet_sends_assessments_and_prescriptions(
    client_for, appointment, parent, message_type
):
    response = post(client_for(parent), seed_body(appointment, message_type))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "message_type_not_allowed"
    assert not Message.objects.exists()


@pytest.mark.parametrize("message_type", ATTACHMENT_TYPES)
def test_a_seed_body_for_an_attachment_type_names_its_uploads(
    client_for, appointment, parent, message_type, tmp_path
):
    # given the seed's body as it is, with its empty list of attachments
    client = client_for(parent)
    refused = post(client, seed_body(appointment, message_type))
    # then a picture, clip or file message without one is refused, saying what is missing
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "attachments" in refused.json()["error"]["fields"]

    # when the list names an upload made first (POST /api/appointment-chat/attachments)
    content, name = UPLOADS[message_type](tmp_path)
    body = seed_body(appointment, message_type)
    body["attachments"] = [{"id": str(upload_attachment(parent, appointment, content, name))}]
    response = post(client, body)

    # then the seed's body is taken
    assert response.status_code == HTTPStatus.CREATED, response.json()
    message = response.json()["message"]
    assert set(message) >= SEED_ANSWER
    assert (message["messageType"], message["content"]) == (message_type, "Message content")
    assert [a["name"] for a in message["attachments"]] == [name]


def test_a_free_text_prescription_is_acknowledged_and_shown_everywhere(
    client_for, appointment, parent, vet
):
    # given a prescription as the seed's client sends it: text, no payload
    body = seed_body(appointment, "prescription")
    body["content"] = "Meloxicam 1.5 mg/ml, 0.5 ml once daily with food for 5 days"
    sent = post(client_for(vet), body).json()["message"]
    assert sent["acknowledgedAt"] is None

    # then the parent's page shows it as a prescription to acknowledge
    parent_client = client_for(parent)
    page = parent_client.get(f"/appointments/{appointment.pk}/").text
    assert "Meloxicam 1.5 mg/ml, 0.5 ml once daily" in page
    assert "I have read and understood this prescription" in page

    # and the vet's list of prescriptions not yet acknowledged names it by its text
    (waiting,) = prescriptions_awaiting_acknowledgement(
        vet=vet, now=Message.objects.get(pk=sent["_id"]).created_at + timedelta(days=2)
    )
    assert waiting.medication == "Meloxicam 1.5 mg/ml, 0.5 ml once daily with food for 5 days"

    # when the parent acknowledges it through the API
    response = parent_client.post(f"{URL}/{sent['_id']}/acknowledgement")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["message"]["acknowledgedBy"] == "Alex Morgan"

    # then the transcript keeps it as a prescription with its text, acknowledged
    transcript = parent_client.get(f"/appointments/{appointment.pk}/transcript.json").json()
    (entry,) = transcript["messages"]
    assert (entry["messageType"], entry["content"], entry["fields"]) == (
        "prescription",
        body["content"],
        [],
    )
    assert entry["acknowledgement"]["by"] == "Alex Morgan"
    assert (
        "Read and understood by Alex Morgan"
        in parent_client.get(f"/appointments/{appointment.pk}/").text
    )


def test_a_payload_sent_with_a_prescription_is_still_checked(client_for, appointment, vet):
    body = seed_body(appointment, "prescription")
    body["payload"] = {"dose": "5 mg"}
    response = post(client_for(vet), body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "medication" in response.json()["error"]["fields"]["payload"]
    body["payload"] = {"medication": "Meloxicam", "dose": "0.5 ml"}
    response = post(client_for(vet), body)
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["message"]["payload"] == {"medication": "Meloxicam", "dose": "0.5 ml"}


def test_a_prescription_needs_its_text_or_its_fields(client_for, appointment, vet):
    body = seed_body(appointment, "prescription")
    body["content"] = "  "
    response = post(client_for(vet), body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"content": "Write a message before sending."}
