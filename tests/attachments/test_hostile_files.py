"""Files made to hurt: each is refused with the right JSON error, or kept and served safely.

Every file here is made by the test itself (tests/attachments/files.py)."""

import io
import json
import subprocess
from http import HTTPStatus
from pathlib import Path

import pytest
from PIL import Image

from attachments import media
from attachments.models import Attachment
from tests.attachments import files
from tests.attachments.conftest import URL, upload

MB = 1024 * 1024
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
EXE = b"MZ\x90\x00\x03" + b"\x00" * 55 + b"\x40\x00\x00\x00" + b"PE\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/appointments/')</script></body></html>"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def served(client, response) -> tuple[dict, bytes, object]:
    assert response.status_code == HTTPStatus.CREATED, response.content
    attachment = response.json()["attachment"]
    download = client.get(attachment["url"])
    assert download.status_code == HTTPStatus.OK
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    return attachment, body(download), download


# Refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "declared", "found"),
    [
        (HTML, "cute-dog.jpg", "image/jpeg", "text/html"),
        (SVG_WITH_SCRIPT, "ear.svg", "image/svg+xml", "image/svg+xml"),
        (SVG_WITH_SCRIPT, "ear.png", "image/png", "image/svg+xml"),
        (files.elf_binary(), "x-ray.png", "image/png", "application/x-"),
        (EXE, "a.gif", "image/gif", ""),
        (files.zip_bomb(), "lab-results.pdf", "application/pdf", "application/zip"),
        (b"just some words\n" * 20, "notes.pdf", "application/pdf", "text/plain"),
        (b"alert(document.cookie);\n" * 10, "a.png", "image/png", "text/"),
    ],
    ids=["html-as-jpg", "svg-script", "svg-as-png", "elf-as-png", "exe-as-gif", "zip-bomb-as-pdf",
         "text-as-pdf", "script-as-png"],
)  # fmt: skip
def test_files_of_other_types_are_refused_naming_what_was_found(
    parent_client, appointment, content, name, declared, found
):
    response = upload(parent_client, appointment.pk, content, name, declared=declared)

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    error = response.json()["error"]
    assert error["code"] == "type_not_allowed"
    assert f"of type {found}" in error["message"]
    assert "file" in error["fields"]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (files.decompression_bomb_png(), "too_many_pixels"),
        (files.truncated_jpeg(), "unreadable_file"),
        (b"", "empty_file"),
        (files.image_bytes("PNG")[:40], "unreadable_file"),
    ],
    ids=["decompression-bomb", "truncated-jpeg", "zero-bytes", "png-header-only"],
)
def test_broken_and_bomb_images_are_refused(parent_client, appointment, content, code):
    response = upload(parent_client, appointment.pk, content, "photo.png")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == code
    assert not Attachment.objects.exists()


def padded(content: bytes, total: int) -> bytes:
    return content + b"\0" * (total - len(content))


def test_a_photo_one_byte_over_20_mb_is_refused(parent_client, appointment):
    response = upload(parent_client, appointment.pk, padded(files.image_bytes(), 20 * MB + 1))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"] == {
        "code": "file_too_large",
        "message": "Photos can be at most 20 MB.",
        "fields": {"file": "Photos can be at most 20 MB."},
    }


def test_a_document_one_byte_over_20_mb_is_refused(parent_client, appointment):
    content = padded(files.pdf_document(), 20 * MB + 1)

    response = upload(parent_client, appointment.pk, content, "lab.pdf")

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"]["message"] == "Documents can be at most 20 MB."


def test_a_document_of_exactly_20_mb_is_kept(parent_client, appointment):
    content = padded(files.pdf_document(), 20 * MB)

    response = upload(parent_client, appointment.pk, content, "lab.pdf")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["attachment"]["size"] == 20 * MB


def test_a_video_one_byte_over_its_limit_is_refused(parent_client, appointment, settings, tmp_path):
    """200 MB by default (tests/test_settings checks it); a small limit keeps the test quick."""
    settings.VETCHAT_VIDEO_MAX_BYTES = MB
    clip = files.video(tmp_path, location=False)

    over = upload(parent_client, appointment.pk, padded(clip, MB + 1), "walk.mp4")
    at = upload(parent_client, appointment.pk, padded(clip, MB), "walk.mp4")

    assert over.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert over.json()["error"]["message"] == "Videos can be at most 1 MB."
    assert at.status_code == HTTPStatus.CREATED, at.content


def test_a_body_over_the_largest_limit_is_refused_before_it_is_read(
    parent_client, appointment, settings
):
    settings.VETCHAT_VIDEO_MAX_BYTES = MB

    response = upload(parent_client, appointment.pk, padded(files.image_bytes(), 2 * MB))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"]["code"] == "too_large"


def test_a_photo_too_large_for_its_kind_but_small_for_a_video_is_refused(
    parent_client, appointment, settings
):
    settings.VETCHAT_IMAGE_MAX_BYTES = 1000

    response = upload(parent_client, appointment.pk, padded(files.image_bytes(), 1001))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"]["code"] == "file_too_large"


# Kept, and served safely -------------------------------------------------------------------


def test_a_jpeg_html_polyglot_is_served_as_a_plain_photo(parent_client, appointment):
    polyglot = files.polyglot_jpeg_html()
    assert b"<script>" in polyglot

    _, content, response = served(
        parent_client, upload(parent_client, appointment.pk, polyglot, "x.jpg")
    )

    assert response["Content-Type"] == "image/jpeg"
    assert b"<script" not in content and b"<html" not in content
    assert Image.open(io.BytesIO(content)).size == (32, 32)


def test_gps_position_is_gone_from_the_served_photo(parent_client, appointment):
    original = files.jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)

    _, content, _ = served(parent_client, upload(parent_client, appointment.pk, original))

    image = Image.open(io.BytesIO(content))
    assert not image.getexif()
    assert not image.getexif().get_ifd(0x8825)
    assert b"Exif" not in content and b"PhoneMaker" not in content


def test_a_rotated_photo_is_served_upright(parent_client, appointment):
    attachment, content, _ = served(
        parent_client, upload(parent_client, appointment.pk, files.rotated_jpeg())
    )

    image = Image.open(io.BytesIO(content)).convert("L")
    assert image.size == (40, 120)
    assert (attachment["width"], attachment["height"]) == (40, 120)
    # The stored left (black) half is on top once turned by the orientation.
    assert image.getpixel((20, 10)) < 60
    assert image.getpixel((20, 110)) > 200
    assert not image.getexif()


def test_a_heic_photo_becomes_a_jpeg_without_its_metadata(parent_client, appointment):
    attachment, content, response = served(
        parent_client,
        upload(parent_client, appointment.pk, files.heic_photo(), "IMG_0001.HEIC", declared=""),
    )

    assert attachment["contentType"] == "image/jpeg"
    assert attachment["name"] == "IMG_0001.jpg"
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif()


def test_location_is_gone_from_a_served_video(parent_client, appointment, tmp_path):
    original = files.video(tmp_path, location=True)
    assert b"+51.5074" in original

    attachment, content, response = served(
        parent_client, upload(parent_client, appointment.pk, original, "walk.mp4")
    )

    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"].startswith("inline")
    assert b"+51.5074" not in content and b"Walk near home" not in content
    kept = tmp_path / "kept.mp4"
    kept.write_bytes(content)
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             str(kept)],
            capture_output=True,
            check=True,
        ).stdout
    )  # fmt: skip
    tags = probe["format"].get("tags", {})
    assert not {key for key in tags if "location" in key.lower() or key == "title"}
    assert attachment["durationSeconds"] == pytest.approx(2, abs=0.2)
    assert (attachment["width"], attachment["height"]) == (160, 120)
    assert parent_client.get(attachment["thumbnailUrl"]).status_code == HTTPStatus.OK


def test_a_webm_video_is_kept_as_webm(parent_client, appointment, tmp_path):
    clip = files.video(tmp_path, location=True, container="webm", seconds=1)

    attachment, content, _ = served(
        parent_client, upload(parent_client, appointment.pk, clip, "clip.webm")
    )

    assert attachment["contentType"] == "video/webm"
    assert b"+51.5074" not in content


def test_an_animated_gif_keeps_its_frames_but_not_its_comment(parent_client, appointment):
    original = files.animated_gif()
    assert b"secret comment" in original

    attachment, content, _ = served(
        parent_client, upload(parent_client, appointment.pk, original, "wag.gif")
    )

    assert attachment["contentType"] == "image/gif"
    assert b"secret comment" not in content
    assert Image.open(io.BytesIO(content)).n_frames == 3


def test_a_png_loses_its_text_chunks(parent_client, appointment):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "home: 51.5074 N")
    original = files.image_bytes("PNG", pnginfo=info)

    _, content, response = served(
        parent_client, upload(parent_client, appointment.pk, original, "a.png")
    )

    assert response["Content-Type"] == "image/png"
    assert b"51.5074" not in content


def test_a_pdf_is_kept_as_sent_and_only_downloaded(parent_client, appointment):
    document = files.pdf_document()

    attachment, content, response = served(
        parent_client, upload(parent_client, appointment.pk, document, "lab.pdf")
    )

    assert content == document
    assert "thumbnailUrl" not in attachment
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="lab.pdf"'


def test_the_declared_type_and_name_are_not_believed(parent_client, appointment):
    response = upload(
        parent_client,
        appointment.pk,
        files.image_bytes("PNG"),
        "scan.pdf",
        declared="application/pdf",
    )

    attachment = response.json()["attachment"]
    assert (attachment["contentType"], attachment["name"]) == ("image/png", "scan.png")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\win.ini.jpg", "win.ini.jpg"),
        ("rex\x00.php.jpg", "rex.php.jpg"),
        ("photo\u202egpj.exe", "photogpj.jpg"),
        ("\u202e\u2066dog\u200b.jpg", "dog.jpg"),
        ("tab\there\nnewline\x1b[31m.jpg", "tabherenewline[31m.jpg"),
        ("x" * 300 + ".jpg", "x" * 196 + ".jpg"),
        ("...", "file.jpg"),
    ],
    ids=["dotdot", "backslashes", "nul", "rtl-override", "invisible", "controls", "300-chars",
         "dots"],
)  # fmt: skip
def test_names_are_made_harmless(parent_client, appointment, sent, kept):
    response = upload(parent_client, appointment.pk, files.image_bytes(), sent)

    assert response.status_code == HTTPStatus.CREATED, response.content
    attachment = Attachment.objects.get(pk=response.json()["attachment"]["id"])
    assert attachment.name == kept
    assert len(attachment.name) <= 200
    assert "/" not in attachment.storage_key.split("/", 1)[1]
    assert kept.split(".")[0][:20] not in attachment.storage_key


def test_the_upload_door_takes_only_multipart(parent_client, appointment):
    response = parent_client.post(
        URL, {"appointmentId": str(appointment.pk)}, content_type="application/json"
    )

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_truncated_photo_is_refused_even_after_the_transcripts_load_weasyprint(
    parent_client, appointment
):
    import weasyprint  # noqa: F401 - importing it switches Pillow to pad truncated images

    response = upload(parent_client, appointment.pk, files.truncated_jpeg(), "photo.jpg")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"]["code"] == "unreadable_file"


# Files that ask a decoder to read another file ----------------------------------------------


def stream_bytes(video: bytes) -> bytes:
    """A run of a video's last coded frame (its `mdat` ends where `moov` begins): what a copy
    of its streams carries."""
    at = video.index(b"moov") - 100
    return video[at : at + 64]


@pytest.fixture
def other_video(tmp_path) -> Path:
    """A file of the server's that no upload may reach: a video, so ffmpeg would copy it, of a
    size no other test uses, so its frames are its own."""
    other = tmp_path / "other"
    other.mkdir()
    files.encoded_video(
        other, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", size="176x144"
    )
    return other / "clip.mp4"


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda other: files.hls_playlist(other), "walk.mp4"),
        (lambda other: files.concat_script(other, Path("/etc/passwd")), "walk.mov"),
    ],
    ids=["hls-playlist-as-mp4", "concat-script-as-mov"],
)
def test_a_file_naming_other_files_is_refused_and_reads_nothing(
    parent_client, appointment, private_media_root, other_video, make, name
):
    """Refused by its bytes (a playlist is text) before ffmpeg sees it."""
    response = upload(parent_client, appointment.pk, make(other_video), name, declared="video/mp4")

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert response.json()["error"]["code"] == "type_not_allowed"
    assert not Attachment.objects.exists()
    stored = b"".join(f.read_bytes() for f in private_media_root.rglob("*") if f.is_file())
    assert stream_bytes(other_video.read_bytes()) not in stored
    assert b"root:" not in stored


@pytest.mark.parametrize(
    "make",
    [
        lambda other: files.hls_playlist(other),
        lambda other: files.concat_script(other, Path("/etc/passwd")),
    ],
    ids=["hls-playlist", "concat-script"],
)
def test_ffmpeg_reads_a_file_taken_for_an_mp4_only_as_mp4(tmp_path, other_video, make):
    """Should a playlist ever pass the type check, ffmpeg is told the demuxer (MP4): it finds
    no video, and copies nothing of the files it names. Left to guess, ffmpeg took the HLS
    playlist for what it is and copied the other video into the kept file. (It refuses
    /etc/passwd as a segment by itself, and a concat script's absolute paths in its safe mode.)"""
    hostile = tmp_path / "walk.mp4"
    hostile.write_bytes(make(other_video))
    workdir = tmp_path / "work"
    workdir.mkdir()

    with pytest.raises(media.UnreadableFile):
        media.process_video(hostile, workdir, media.ALLOWED["video/mp4"])

    secret = stream_bytes(other_video.read_bytes())
    assert all(secret not in kept.read_bytes() for kept in workdir.iterdir())


# Codecs and containers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "name", "codec"),
    [
        (("-c:v", "mpeg4"), "old-phone.mp4", "mpeg4"),
        (("-c:v", "mjpeg", "-f", "mov"), "camera.mov", "mjpeg"),
        (("-f", "lavfi", "-i", "sine=duration=1", "-map", "0:v", "-map", "1:a", "-c:v", "libx264",
          "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", "-f", "mov"),
         "pcm.mov", "pcm_s16le"),
    ],
    ids=["mpeg4-video", "mjpeg-video", "pcm-audio"],
)  # fmt: skip
def test_videos_in_codecs_off_the_list_are_refused_naming_the_codec(
    parent_client, appointment, tmp_path, arguments, name, codec
):
    content = files.encoded_video(tmp_path, *arguments, name=name)

    response = upload(parent_client, appointment.pk, content, name, declared="video/mp4")

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE, response.content
    error = response.json()["error"]
    assert error["code"] == "codec_not_allowed"
    assert f"encoded as {codec}" in error["message"]
    assert not Attachment.objects.exists()


# Bombs ---------------------------------------------------------------------------------------


def test_a_video_whose_frames_exceed_the_pixel_limit_is_refused_before_any_frame_is_decoded(
    parent_client, appointment, settings, tmp_path
):
    """A 2000 x 1000 video with the limit at one million pixels stands for an 8K x 8K one
    with the limit at 60 million: refused from what ffprobe reads of the stream."""
    settings.VETCHAT_IMAGE_MAX_PIXELS = 1_000_000
    content = files.encoded_video(
        tmp_path, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        size="2000x1000",
    )  # fmt: skip

    response = upload(parent_client, appointment.pk, content, "huge.mp4", declared="video/mp4")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    error = response.json()["error"]
    assert error["code"] == "too_many_pixels"
    assert "2000 x 1000" in error["message"]
    assert not Attachment.objects.exists()


def test_a_heic_declaring_enormous_dimensions_is_refused_without_decoding(
    parent_client, appointment
):
    response = upload(parent_client, appointment.pk, files.heic_claiming(60_000, 60_000), "a.heic")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    error = response.json()["error"]
    assert error["code"] == "too_many_pixels"
    assert "60000 x 60000" in error["message"]


def test_a_heic_that_shows_small_but_is_coded_enormous_is_refused_not_a_crash(
    parent_client, appointment
):
    """The size a HEIC shows (its crop) passes the pixel limit; the coded size behind it does
    not. The decoder refuses it in its own process, and the upload is a 400, not a 500."""
    response = upload(parent_client, appointment.pk, files.heic_coded_as(60_000, 60_000), "a.heic")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"]["code"] == "unreadable_file"
    assert not Attachment.objects.exists()


# The decoders' limits ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["video", "heic"])
def test_a_decoder_over_its_memory_limit_refuses_the_upload_and_the_app_carries_on(
    parent_client, appointment, settings, tmp_path, kind
):
    content, name = {
        "video": lambda: (files.video(tmp_path, location=False), "walk.mp4"),
        "heic": lambda: (files.heic_photo(), "IMG_0001.HEIC"),
    }[kind]()
    settings.VETCHAT_MEDIA_MAX_MEMORY_MB = 16

    refused = upload(parent_client, appointment.pk, content, name, declared="")

    assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.content
    assert refused.json()["error"]["code"] == "unreadable_file"
    assert not Attachment.objects.exists()
    settings.VETCHAT_MEDIA_MAX_MEMORY_MB = 1024
    assert upload(parent_client, appointment.pk, content, name).status_code == HTTPStatus.CREATED


def test_a_decoder_writing_more_than_the_output_limit_refuses_the_upload(
    parent_client, appointment, settings, tmp_path
):
    settings.VETCHAT_MEDIA_MAX_OUTPUT_BYTES = 1024
    content = files.video(tmp_path, location=False)

    response = upload(parent_client, appointment.pk, content, "walk.mp4", declared="video/mp4")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"]["code"] == "unreadable_file"
    assert not Attachment.objects.exists()


def test_a_video_out_of_time_is_refused_as_too_slow(parent_client, appointment, settings, tmp_path):
    settings.VETCHAT_MEDIA_TIMEOUT_SECONDS = 0
    content = files.video(tmp_path, location=False)

    response = upload(parent_client, appointment.pk, content, "walk.mp4", declared="video/mp4")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"]["message"] == "The video took too long to process."
