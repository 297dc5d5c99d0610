"""An attachment's JSON, as the upload answers it and as a message stores and shows it."""

from typing import Any

from django.urls import reverse

from attachments.models import Attachment


def attachment_url(attachment_id: Any) -> str:
    return reverse("api:attachment_file", args=[attachment_id])


def thumbnail_url(attachment_id: Any, size: int | None = None) -> str:
    url = reverse("api:attachment_thumbnail", args=[attachment_id])
    return f"{url}?size={size}" if size else url


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    """The seed's attachment fields (`url`, `name`, `contentType`, `size`) plus the id and,
    where they apply, the dimensions, the duration and a thumbnail."""
    shape: dict[str, Any] = {
        "id": str(attachment.pk),
        "url": attachment_url(attachment.pk),
        "name": attachment.name,
        "contentType": attachment.content_type,
        "size": attachment.size,
    }
    if attachment.width and attachment.height:
        shape["width"], shape["height"] = attachment.width, attachment.height
    if attachment.duration_seconds is not None:
        shape["durationSeconds"] = attachment.duration_seconds
    if attachment.thumbnail_key:
        shape["thumbnailUrl"] = thumbnail_url(attachment.pk)
    return shape
