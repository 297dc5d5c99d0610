"""Every change to attachments: an upload kept, uploads taken by a message, stale ones removed."""

import errno
import logging
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from attachments import media, scanning
from attachments.models import Attachment, ProfilePhoto
from attachments.names import display_name, with_extension
from attachments.storage import attachment_storage, new_key
from vetchat import ratelimit
from vetchat.errors import OutOfStorage

logger = logging.getLogger(__name__)

# The side of the square picture beside a person's messages, in pixels (twice the largest
# avatar shown, for sharp screens).
PROFILE_PHOTO_SIZE = 160
# An upload no message took within this long is removed (`purge_unsent_attachments`).
UNSENT_LIFETIME = timedelta(hours=24)
# What a storage that cannot take a file answers: full, over quota, read-only, not writable.
OUT_OF_STORAGE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
# Extensions a kept file's name may end with, by the content type kept.
EXTENSIONS = {
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
    "image/webp": {".webp"},
    "image/gif": {".gif"},
    "video/mp4": {".mp4", ".m4v"},
    "video/quicktime": {".mov"},
    "video/webm": {".webm"},
    "application/pdf": {".pdf"},
}


# Checks the layers above add, each raising a DomainError: the chat refuses files once it is
# read-only. Attachments sit below the chat, so they learn its rules this way.
upload_guards: list[Callable[[User, Appointment], None]] = []


def upload_allowed(*, user: User, appointment: Appointment | None = None) -> None:
    """The guards above for an appointment's upload, then the per-user burst limit and daily
    quota of uploads (`VETCHAT_UPLOAD_DAILY_QUOTA`); a refused upload does not count."""
    if appointment is not None:
        for guard in upload_guards:
            guard(user, appointment)
    ratelimit.hit(
        scope="attachment_upload",
        key=f"user:{user.pk}",
        message="You have uploaded too many files for now. Try again later.",
    )


def attachment_upload(
    *, appointment: Appointment, uploader: User, upload: UploadedFile
) -> Attachment:
    """Keep a participant's upload: identified by its content, re-encoded or stripped of its
    metadata, scanned when a scanner is configured, stored under random keys. The caller has
    checked that the uploader may chat in the appointment."""
    with _working() as (workdir, stored):
        source = _on_disk(upload, workdir)
        processed = media.process(source, workdir)
        scanning.scan(processed.path)
        storage = attachment_storage()
        kind = processed.format
        key = _store(storage, new_key(kind.extension), processed.path, stored)
        thumbnails = {
            size: _store(storage, new_key(".jpg"), path, stored)
            for size, path in processed.thumbnails.items()
        }
        return Attachment.objects.create(
            clinic_id=appointment.clinic_id,
            appointment=appointment,
            uploader=uploader,
            kind=kind.kind,
            name=_kept_name(upload.name or "", kind.content_type, kind.extension),
            content_type=kind.content_type,
            size=processed.size,
            width=processed.width,
            height=processed.height,
            duration_seconds=processed.duration_seconds,
            storage_key=key,
            thumbnail_key=thumbnails.get(320, ""),
            preview_key=thumbnails.get(1280, ""),
        )


def profile_photo_set(*, user: User, upload: UploadedFile) -> str:
    """Make a photo the user's picture beside their messages; returns its URL. Only a photo is
    taken; the one it replaces is deleted once the change is committed."""
    upload_allowed(user=user)
    with _working() as (workdir, stored):
        source = _on_disk(upload, workdir)
        if media.identify(source).kind != Attachment.Kind.IMAGE:
            message = "Choose a photo: JPEG, PNG, WebP, GIF or HEIC."
            raise media.TypeNotAllowed(message, fields={"file": message})
        square = media.square(media.process(source, workdir).path, workdir, PROFILE_PHOTO_SIZE)
        key = _store(attachment_storage(), f"profile/{secrets.token_hex(16)}.jpg", square, stored)
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()  # one change at a time
            previous = ProfilePhoto.objects.filter(user=user).first()
            if previous is not None:
                previous.delete()
                transaction.on_commit(lambda: _forget(previous.storage_key))
            ProfilePhoto.objects.create(user=user, storage_key=key)
            user.image_url = profile_photo_url(key)
            user.save(update_fields=["image_url"])
        return user.image_url


def profile_photo_remove(*, user: User) -> None:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        photo = ProfilePhoto.objects.filter(user=user).first()
        if photo is not None:
            photo.delete()
            transaction.on_commit(lambda: _forget(photo.storage_key))
        user.image_url = ""
        user.save(update_fields=["image_url"])


def profile_photo_url(key: str) -> str:
    return reverse("profile_photo", args=[Path(key).stem])


@contextmanager
def _working() -> Iterator[tuple[Path, list[str]]]:
    """A working folder, removed afterwards, and the list of keys stored so far: on any failure
    they are deleted, and a storage that cannot take a file is told as such."""
    workdir = Path(tempfile.mkdtemp(prefix="vetchat-upload-", dir=settings.FILE_UPLOAD_TEMP_DIR))
    stored: list[str] = []
    try:
        yield workdir, stored
    except BaseException as error:
        for key in stored:
            _forget(key)
        if isinstance(error, OSError) and error.errno in OUT_OF_STORAGE:
            logger.error("The attachments' storage refused an upload: %s", error.strerror)
            raise OutOfStorage(
                "The clinic cannot store files right now. Nothing was kept; try again later."
            ) from error
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _on_disk(upload: UploadedFile, workdir: Path) -> Path:
    """The upload as a file: the temporary file it was streamed into, or a copy."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        return Path(path())
    copy = workdir / "upload"
    with copy.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return copy


def _store(storage: object, key: str, path: Path, stored: list[str]) -> str:
    try:
        with path.open("rb") as content:
            saved = storage.save(key, File(content, name=key))
    except OSError:
        _forget(key)  # a disk that filled up mid-write leaves the part it took
        raise
    stored.append(saved)
    return saved


def _forget(key: str) -> None:
    try:
        attachment_storage().delete(key)
    except OSError:
        logger.warning("Could not delete the stored file %s", key, exc_info=True)


def _kept_name(raw: str, content_type: str, extension: str) -> str:
    """The sender's name, sanitised, ending in an extension of what is kept: a PDF sent as
    "notes.html" is saved as "notes.pdf" on the other side's disk."""
    name = display_name(raw)
    suffix = Path(name).suffix.lower()
    if suffix in EXTENSIONS.get(content_type, ()):
        return name
    if suffix and len(suffix) <= 6 and suffix[1:].isalnum():
        return with_extension(name, extension)
    return with_extension(f"{name}.x", extension)


def attachments_attach(
    *, attachment_ids: Sequence[UUID], message_id: UUID, at: datetime | None = None
) -> int:
    """Give these unsent uploads to a message, inside the sender's transaction; returns how
    many were still unsent (a concurrent send may have taken one first)."""
    return Attachment.objects.filter(pk__in=list(attachment_ids), message_id__isnull=True).update(
        message_id=message_id, attached_at=at or timezone.now()
    )


def attachments_withdraw(*, message_id: UUID, at: datetime) -> None:
    """The attachments of a message taken back, inside the sender's transaction: kept for the
    record, no longer shown to the chat."""
    Attachment.objects.filter(message_id=message_id).update(withdrawn_at=at)


def attachments_purge_unsent(*, older_than: timedelta = UNSENT_LIFETIME) -> int:
    """Remove uploads no message took within `older_than`, bytes and row; returns how many.

    Rows go first, each in its own transaction and only while still unsent, so a message
    sending one at this moment keeps it; a file left behind by a crash is only wasted space.
    """
    cutoff = timezone.now() - older_than
    removed = 0
    candidates = Attachment.objects.filter(message_id__isnull=True, created_at__lt=cutoff)
    for attachment_id in candidates.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            attachment = (
                Attachment.objects.select_for_update(skip_locked=True)
                .filter(pk=attachment_id, message_id__isnull=True)
                .first()
            )
            if attachment is None:
                continue
            keys = [attachment.storage_key, attachment.thumbnail_key, attachment.preview_key]
            attachment.delete()
        for key in filter(None, keys):
            _forget(key)
        removed += 1
    return removed
