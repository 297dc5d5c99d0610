"""The daily quota of uploads not yet sent: how many bytes one person may hold in files they
uploaded in the last 24 hours and have not attached to a message (settings
`VETCHAT_UPLOAD_DAILY_QUOTA_BYTES`). Sent files are the record and never count; unsent ones
are removed after a day, so the budget frees itself as they age out."""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from accounts.models import User
from attachments.models import Attachment
from vetchat.errors import RateLimited, TooLarge

WINDOW = timedelta(hours=24)
_MB = 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{math.ceil(size / _MB)} MB"


def upload_quota_allowed(*, user: User, incoming: int, now: datetime | None = None) -> None:
    """Refuse an upload of `incoming` bytes that would take the user's unsent uploads of the
    last 24 hours over the quota; says how long until enough of them age out."""
    now = now or timezone.now()
    quota = settings.VETCHAT_UPLOAD_DAILY_QUOTA_BYTES
    if incoming > quota:
        raise TooLarge(f"A file can be at most {_megabytes(quota)}, the daily upload quota.")
    held = Attachment.objects.filter(
        uploader=user, message_id__isnull=True, created_at__gt=now - WINDOW
    ).aggregate(total=Sum("size"), oldest=Min("created_at"))
    total = held["total"] or 0
    if total + incoming <= quota:
        return
    retry_after = max(1, math.ceil((held["oldest"] + WINDOW - now).total_seconds()))
    raise RateLimited(
        f"Files you uploaded and have not sent yet come to {_megabytes(total)} of the "
        f"{_megabytes(quota)} a day allows. Send them in a message, or try again later.",
        retry_after=retry_after,
    )
