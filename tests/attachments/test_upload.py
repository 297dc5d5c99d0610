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


def test_the_daily_quota_answers_429(parent_client, appointment, settings):
    settings.VETCHAT_RATE_LIMITS = {"attachment_upload": ["2/d"]}

    answers = [upload(parent_client, appointment.pk, files.image_bytes()) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, HTTPStatus.TOO_MANY_REQUESTS]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert 0 < int(answers[-1]["Retry-After"]) <= 86400
    assert Attachment.objects.count() == 2


def test_the_limits_default_to_the_clinics_policy():
    from django.conf import settings

    mb = 1024 * 1024
    assert 20 * mb == settings.VETCHAT_IMAGE_MAX_BYTES
    assert 20 * mb == settings.VETCHAT_DOCUMENT_MAX_BYTES
    assert 200 * mb == settings.VETCHAT_VIDEO_MAX_BYTES
    assert settings.VETCHAT_RATE_LIMITS["attachment_upload"] == ["30/m", "200/d"]
    assert settings.FILE_UPLOAD_HANDLERS == [
        "django.core.files.uploadhandler.TemporaryFileUploadHandler"
    ]


def test_a_failed_upload_leaves_no_file_behind(parent_client, appointment, private_media_root):
    before = set(private_media_root.rglob("*"))

    response = upload(parent_client, appointment.pk, files.truncated_jpeg())

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(private_media_root.rglob("*")) == before
