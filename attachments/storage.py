"""Where attachments' bytes live: Django's `attachments` storage (a private folder, or S3)."""

import secrets

from django.core.files.storage import FileSystemStorage, Storage, storages


def attachment_storage() -> Storage:
    return storages["attachments"]


def is_local(storage: Storage) -> bool:
    """Whether the bytes are on this machine's disk (served by the app or nginx), rather than
    in object storage (served by signed URLs)."""
    return isinstance(storage, FileSystemStorage)


def new_key(extension: str) -> str:
    """A random key, spread over 256 folders; nothing in it comes from the sender."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}{extension}"
