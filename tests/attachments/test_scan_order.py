"""The malware scan sees each upload as it was sent, before anything decodes it: a decoder never
parses a file the scanner has not passed, and what the kept copy drops (a comment, metadata)
is scanned too. A real clamd, as in test_malware_scan.py."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.models import Attachment, ProfilePhoto
from tests.attachments import files
from tests.attachments.conftest import upload
from tests.attachments.test_malware_scan import (  # noqa: F401 - fixtures
    MARKER,
    clamd_socket,
    scanning,
)

pytestmark = pytest.mark.usefixtures("scanning")


def test_an_infected_file_the_decoder_would_refuse_is_reported_as_infected(
    parent_client, appointment
):
    """Cut short, so the image decoder refuses it: the scan answering first shows it ran
    first."""
    whole = files.image_bytes("JPEG", size=(400, 300), comment=MARKER)
    broken = whole[: len(whole) // 2]

    response = upload(parent_client, appointment.pk, broken, "photo.jpg")

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert response.json()["error"]["code"] == "infected"
    assert not Attachment.objects.exists()


def test_malware_in_a_photo_comment_is_found_although_the_kept_copy_drops_it(
    parent_client, appointment
):
    infected = files.image_bytes("JPEG", comment=MARKER)

    response = upload(parent_client, appointment.pk, infected, "photo.jpg")

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert response.json()["error"]["code"] == "infected"


def test_malware_in_a_video_metadata_is_found_before_ffmpeg_reads_it(
    parent_client, appointment, tmp_path
):
    infected = files.encoded_video(
        tmp_path, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-metadata", f"title={MARKER.decode()}",
    )  # fmt: skip
    assert MARKER in infected

    response = upload(parent_client, appointment.pk, infected, "walk.mp4", declared="video/mp4")

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert response.json()["error"]["code"] == "infected"
    assert not Attachment.objects.exists()


def test_an_infected_profile_photo_is_refused_and_not_kept(client_for, parent):
    photo = SimpleUploadedFile(
        "me.jpg", files.image_bytes("JPEG", comment=MARKER), content_type="image/jpeg"
    )

    response = client_for(parent).post("/profile/", {"photo": photo})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "contains malware" in response.text
    assert not ProfilePhoto.objects.exists()
