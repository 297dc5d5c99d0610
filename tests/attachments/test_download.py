"""How a download is answered: headers that keep a file from acting as a page, conditional
requests, byte ranges for video seeking, and nginx's X-Accel-Redirect."""

from http import HTTPStatus

import pytest

from attachments.models import Attachment
from tests.attachments import files
from tests.attachments.conftest import upload


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def clip(parent_client, appointment, tmp_path) -> dict:
    content = files.video(tmp_path, location=False, seconds=3)
    response = upload(parent_client, appointment.pk, content, "walk.mp4")
    assert response.status_code == HTTPStatus.CREATED
    return response.json()["attachment"]


@pytest.fixture
def whole(parent_client, clip) -> bytes:
    return content_of(parent_client.get(clip["url"]))


def test_headers_of_a_video(parent_client, clip, whole):
    response = parent_client.get(clip["url"])

    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Disposition"] == 'inline; filename="walk.mp4"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{clip["id"]}"'
    assert int(response["Content-Length"]) == len(whole) == clip["size"]


def test_a_document_is_a_download_with_a_safe_name(parent_client, appointment):
    name = 'Résultats d\'analyse "Rex".pdf'
    attachment = upload(parent_client, appointment.pk, files.pdf_document(), name).json()[
        "attachment"
    ]

    response = parent_client.get(attachment["url"])

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''R%C3%A9sultats%20d%27analyse%20%22Rex%22.pdf"
    )


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=10-", 10, None), ("bytes=-100", -100, None), ("bytes=5-5", 5, 5)],
)
def test_a_range_is_answered_with_206(parent_client, clip, whole, header, first, last):
    response = parent_client.get(clip["url"], headers={"Range": header})

    size = len(whole)
    start = first % size
    end = size - 1 if last is None else last
    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert int(response["Content-Length"]) == end - start + 1
    assert content_of(response) == whole[start : end + 1]


def test_a_range_past_the_end_is_416(parent_client, clip, whole):
    response = parent_client.get(clip["url"], headers={"Range": f"bytes={len(whole)}-"})

    assert response.status_code == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    assert response["Content-Range"] == f"bytes */{len(whole)}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000,
        "bytes=" + "1" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
    ],
)
def test_a_position_of_thousands_of_digits_is_416(parent_client, clip, whole, header):
    response = parent_client.get(clip["url"], headers={"Range": header})

    assert response.status_code == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    assert response["Content-Range"] == f"bytes */{len(whole)}"


def test_a_range_end_past_the_end_is_clamped(parent_client, clip, whole):
    response = parent_client.get(clip["url"], headers={"Range": "bytes=0-999999999"})

    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert content_of(response) == whole


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "pages=1-2", "bytes=9-3", "bytes=-"])
def test_ranges_not_understood_get_the_whole_file(parent_client, clip, whole, header):
    response = parent_client.get(clip["url"], headers={"Range": header})

    assert response.status_code == HTTPStatus.OK
    assert content_of(response) == whole


def test_if_range_with_another_etag_gets_the_whole_file(parent_client, clip, whole):
    response = parent_client.get(clip["url"], headers={"Range": "bytes=0-9", "If-Range": '"x"'})

    assert response.status_code == HTTPStatus.OK
    assert content_of(response) == whole


def test_if_none_match_is_304(parent_client, clip):
    etag = parent_client.get(clip["url"])["ETag"]

    response = parent_client.get(clip["url"], headers={"If-None-Match": etag})

    assert response.status_code == HTTPStatus.NOT_MODIFIED
    assert response["ETag"] == etag


def test_thumbnails_of_two_sizes(parent_client, appointment):
    photo = files.image_bytes(size=(3000, 2000))
    attachment = upload(parent_client, appointment.pk, photo).json()["attachment"]

    small = parent_client.get(attachment["thumbnailUrl"])
    large = parent_client.get(attachment["thumbnailUrl"] + "?size=1280")
    refused = parent_client.get(attachment["thumbnailUrl"] + "?size=5000")

    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(content_of(small))).size == (320, 213)
    assert Image.open(BytesIO(content_of(large))).size == (1280, 853)
    assert small["Content-Type"] == "image/jpeg"
    assert small["Content-Disposition"].startswith("inline")
    assert refused.status_code == HTTPStatus.BAD_REQUEST


def test_with_x_accel_redirect_nginx_sends_the_bytes(parent_client, vet_client, clip, settings):
    settings.VETCHAT_X_ACCEL_REDIRECT = True
    key = Attachment.objects.get(pk=clip["id"]).storage_key

    response = parent_client.get(clip["url"])
    outsider = vet_client.get(clip["url"])  # not sent yet: the vet may not have it

    assert response.status_code == HTTPStatus.OK
    assert response["X-Accel-Redirect"] == f"/_protected_media/{key}"
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.content == b""
    assert outsider.status_code == HTTPStatus.NOT_FOUND
    assert "X-Accel-Redirect" not in outsider


def test_files_are_kept_outside_static_files(clip, settings, private_media_root):
    key = Attachment.objects.get(pk=clip["id"]).storage_key

    assert (private_media_root / key).is_file()
    assert not str(private_media_root).startswith(str(settings.STATIC_ROOT))
