"""Messages carry uploads by id: only the sender's own, of this chat, not sent before."""

from http import HTTPStatus

import pytest

from attachments.models import Attachment
from chat.integrity import link
from chat.models import Message
from chat.selectors import canonical_message
from tests.attachments import files
from tests.attachments.conftest import upload
from tests.factories import AppointmentFactory

MESSAGES = "/api/appointment-chat/messages"


def uploaded(client, appointment, content=None, name="photo.jpg") -> dict:
    response = upload(client, appointment.pk, content or files.image_bytes(), name)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["attachment"]


def send(client, appointment, *ids, message_type="image", **extra):
    body = {
        "appointmentId": str(appointment.pk),
        "messageType": message_type,
        "attachments": [{"id": str(i)} for i in ids],
        **extra,
    }
    return client.post(MESSAGES, body, content_type="application/json")


def test_message_carries_its_uploads(parent_client, vet_client, appointment):
    first = uploaded(parent_client, appointment)
    second = uploaded(parent_client, appointment, files.image_bytes("PNG"), "b.png")

    response = send(parent_client, appointment, first["id"], second["id"], content="Look")

    assert response.status_code == HTTPStatus.CREATED, response.content
    message = response.json()["message"]
    assert message["attachments"] == [first, second]
    assert Attachment.objects.filter(message_id=message["_id"]).count() == 2
    # The vet sees the same, and may now download what was sent.
    listed = vet_client.get(MESSAGES, {"appointmentId": appointment.pk}).json()["messages"]
    assert listed[-1]["attachments"] == [first, second]
    assert vet_client.get(first["url"]).status_code == HTTPStatus.OK
    assert vet_client.get(first["thumbnailUrl"]).status_code == HTTPStatus.OK


def test_integrity_hash_covers_the_attachments_as_stored(parent_client, appointment):
    attachment = uploaded(parent_client, appointment)
    message_id = send(parent_client, appointment, attachment["id"]).json()["message"]["_id"]

    message = Message.objects.get(pk=message_id)
    assert message.attachments == [attachment]
    assert message.hash == link("", canonical_message(message))
    message.attachments = [{**attachment, "url": "https://evil.example/x.jpg"}]
    assert message.hash != link("", canonical_message(message))


def test_an_upload_is_sent_once(parent_client, appointment):
    attachment = uploaded(parent_client, appointment)
    assert send(parent_client, appointment, attachment["id"]).status_code == HTTPStatus.CREATED

    response = send(parent_client, appointment, attachment["id"])

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "attachments" in response.json()["error"]["fields"]


def test_retried_send_returns_the_stored_message(parent_client, appointment):
    attachment = uploaded(parent_client, appointment)
    first = send(parent_client, appointment, attachment["id"], clientId="c1")
    again = send(parent_client, appointment, attachment["id"], clientId="c1")

    assert (first.status_code, again.status_code) == (HTTPStatus.CREATED, HTTPStatus.OK)
    assert again.json()["message"]["_id"] == first.json()["message"]["_id"]


def test_others_uploads_are_refused(parent_client, vet_client, appointment, parent):
    vets = uploaded(vet_client, appointment)
    other = AppointmentFactory(pet__owner=parent)
    elsewhere = uploaded(parent_client, other)

    for attachment_id in (vets["id"], elsewhere["id"], "6d1f1f1e-0000-4000-8000-000000000000"):
        response = send(parent_client, appointment, attachment_id)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "attachments" in response.json()["error"]["fields"]
    assert not Attachment.objects.filter(message_id__isnull=False).exists()


@pytest.mark.parametrize(
    "attachments",
    [
        [
            {
                "url": "https://evil.example/pixel.gif",
                "name": "a",
                "contentType": "image/gif",
                "size": 1,
            }
        ],
        [{"url": "/\\evil.example/x", "name": "a", "contentType": "image/gif", "size": 1}],
        [{"id": "not-an-id"}],
        "not a list",
    ],
)
def test_url_attachments_are_no_longer_accepted(parent_client, appointment, attachments):
    response = parent_client.post(
        MESSAGES,
        {"appointmentId": str(appointment.pk), "messageType": "image", "attachments": attachments},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "attachments" in response.json()["error"]["fields"]


def test_at_most_ten_attachments(parent_client, appointment):
    ids = [uploaded(parent_client, appointment)["id"] for _ in range(11)]

    response = send(parent_client, appointment, *ids)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"]["attachments"] == "At most 10 attachments."
    assert send(parent_client, appointment, *ids[:10]).status_code == HTTPStatus.CREATED


def test_kind_must_match_the_message_type(parent_client, appointment):
    document = uploaded(parent_client, appointment, files.pdf_document(), "lab.pdf")

    refused = send(parent_client, appointment, document["id"], message_type="image")
    sent = send(parent_client, appointment, document["id"], message_type="file")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"]["fields"]["attachments"] == "Not image content: lab.pdf."
    assert sent.status_code == HTTPStatus.CREATED


def test_text_messages_carry_no_attachments(parent_client, appointment):
    attachment = uploaded(parent_client, appointment)

    response = send(parent_client, appointment, attachment["id"], message_type="text", content="x")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "attachments" in response.json()["error"]["fields"]
