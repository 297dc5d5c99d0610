"""A text's state as the provider reports it: forward only, with the parent's number marked
failed or working, and the parent told some other way when a text did not arrive."""

from datetime import datetime

from django.db import transaction

from sms.carrier import reason_of
from sms.models import Phone, Text
from sms.signals import text_undelivered

Status = Text.Status

# Twilio's statuses of an outgoing message, as this app keeps them.
# https://www.twilio.com/docs/messaging/api/message-resource#message-status-values
TWILIO_STATUSES = {
    "accepted": Status.QUEUED,
    "scheduled": Status.QUEUED,
    "queued": Status.QUEUED,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}
# Callbacks may arrive out of order (a late "sent" after "delivered"): a state only moves on.
RANK = {
    Status.QUEUED: 0,
    Status.SENT: 1,
    Status.DELIVERED: 2,
    Status.UNDELIVERED: 2,
    Status.FAILED: 2,
}
DID_NOT_ARRIVE = frozenset({Status.UNDELIVERED, Status.FAILED})


def text_status_update(
    *, provider_sid: str, status: str, error_code: str, now: datetime
) -> Text | None:
    """Apply one status callback; the text as it now stands, or None when no text has the sid
    or the status is not one of Twilio's."""
    new = TWILIO_STATUSES.get(status.strip().lower())
    if new is None or not provider_sid:
        return None
    with transaction.atomic():
        text = Text.objects.select_for_update().filter(provider_sid=provider_sid).first()
        if text is None or RANK[new] <= RANK[Status(text.status)]:
            return text
        if new in DID_NOT_ARRIVE:
            text_failed(text=text, status=new, error_code=error_code, now=now)
        else:
            text.status, text.status_at = new, now
            text.save(update_fields=["status", "status_at"])
            if new == Status.DELIVERED:
                _number_works(text)
        return text


def text_failed(
    *, text: Text, status: str, error_code: str = "", reason: str = "", now: datetime
) -> Text:
    """Mark a text (its row locked by the caller) undelivered or failed: the reason in plain
    words, the number marked failed, and the parent told some other way, once."""
    text.status, text.status_at = status, now
    text.error_code = (error_code or "")[:10]
    text.error_reason = (reason or reason_of(error_code) or "the carrier gave no reason")[:200]
    Phone.objects.filter(user_id=text.user_id, number=text.to).update(
        failed_at=now, failure=text.error_reason, updated_at=now
    )
    fields = ["status", "status_at", "error_code", "error_reason"]
    if text.fell_back_at is None:
        answers = text_undelivered.send(sender=Text, text=text, now=now)
        if any(told for _, told in answers):
            text.fell_back_at = now
            fields.append("fell_back_at")
    text.save(update_fields=fields)
    return text


def _number_works(text: Text) -> None:
    Phone.objects.filter(user_id=text.user_id, number=text.to, failed_at__isnull=False).update(
        failed_at=None, failure=""
    )
