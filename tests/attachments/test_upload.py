"""The upload door: what it keeps and what it answers."""

from http import HTTPStatus

from attachments.models import Attachment
from tests.attachments import files
from tests.attachments.conftest import URL, upload


def test_photo_upload_answers_the_contract(parent_client, appointment, parent):
    response = upload(parent_client, appointment.pk, files.jpeg_with_gps(), "rash.jpg")

    assert response.status_code == HTTPStatus.CREATED, response.content
    attachment = response.json()["attachment"]
    stored = Attachment.objects.get(pk=attachment["id"])
    assert attachment == {
        "id": str(stored.pk),
        "url": f"/api/appointment-chat/attachments/{stored.pk}",
        "name": "rash.jpg",
        "contentType": "image/jpeg",
        "size": stored.size,
        "width": 80,
        "height": 60,
        "thumbnailUrl": f"/api/appointment-chat/attachments/{stored.pk}/thumbnail",
    }
    assert stored.uploader == parent and stored.appointment == appointment
    assert stored.message_id is None
    assert "rash" not in stored.storage_key


def test_uploader_downloads_the_photo(parent_client, appointment):
    attachment = upload(parent_client, appointment.pk, files.image_bytes()).json()["attachment"]

    response = parent_client.get(attachment["url"])

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/jpeg"
    assert int(response["Content-Length"]) == attachment["size"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_upload_needs_a_file(parent_client, appointment):
    response = parent_client.post(URL, {"appointmentId": str(appointment.pk)})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"file": "No file was sent."}
