"""The attachments' folder full or read-only: an upload is answered 507 with the JSON error,
nothing of it is kept (no row, no byte, not even the part a full disk took), and the same
upload goes through once there is room again.

The folder is a small tmpfs mounted for the test, which needs root, as CI and the developers'
machines have."""

import errno
import os
import subprocess
from collections.abc import Iterator
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from attachments.models import Attachment
from tests.attachments.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent_client(client_for, parent):
    return client_for(parent)


@pytest.fixture
def mount_folder(settings, tmp_path) -> Iterator:
    """Mounts a 4 MiB tmpfs with the given options as the attachments' storage."""
    folder = tmp_path / "attachments"
    folder.mkdir()
    mounted = []

    def mount(options: str = "rw") -> Path:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"{options},size=4m", "tmpfs", str(folder)], check=True
        )
        mounted.append(folder)
        settings.STORAGES = {
            **settings.STORAGES,
            "attachments": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(folder), "base_url": None},
            },
        }
        return folder

    yield mount
    for path in mounted:
        subprocess.run(["umount", str(path)], check=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Writes a file that takes all the folder's room but `leave` bytes."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    if leave:
        os.truncate(filler, filler.stat().st_size - leave)
    return filler


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def photo() -> bytes:
    """A photo of noise: its re-encoded copy takes a few hundred KB, its thumbnails far less."""
    buffer = BytesIO()
    Image.effect_noise((800, 600), 120).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def assert_insufficient_storage(response) -> None:
    assert response.status_code == HTTPStatus.INSUFFICIENT_STORAGE, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert "Nothing was kept" in error["message"]


def test_a_full_folder_answers_507_keeps_nothing_and_takes_the_upload_once_room_is_made(
    mount_folder, parent_client, appointment
):
    folder = mount_folder()
    filler = fill(folder)

    response = upload(parent_client, appointment.pk, photo(), name="paw.png")

    assert_insufficient_storage(response)
    assert Attachment.objects.count() == 0
    assert files_in(folder) == ["filler"]

    filler.unlink()
    response = upload(parent_client, appointment.pk, photo(), name="paw.png")
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert len(files_in(folder)) == 3  # the photo and its two thumbnails


def test_a_folder_that_fills_between_the_photo_and_its_thumbnails_keeps_nothing(
    mount_folder, parent_client, appointment
):
    folder = mount_folder()
    content = photo()
    assert upload(parent_client, appointment.pk, content).status_code == HTTPStatus.CREATED
    kept = Attachment.objects.get()
    margin = 8192
    assert (folder / kept.thumbnail_key).stat().st_size > margin + 4096  # past the last page
    fill(folder, leave=kept.size + margin)  # room for the photo and a little: not a thumbnail

    response = upload(parent_client, appointment.pk, content)

    assert_insufficient_storage(response)
    assert Attachment.objects.count() == 1
    assert files_in(folder) == sorted(
        ["filler", kept.storage_key, kept.thumbnail_key, kept.preview_key]
    )


def test_a_read_only_folder_answers_507_and_keeps_nothing(mount_folder, parent_client, appointment):
    folder = mount_folder("ro")

    response = upload(parent_client, appointment.pk, photo())

    assert_insufficient_storage(response)
    assert Attachment.objects.count() == 0
    assert files_in(folder) == []
