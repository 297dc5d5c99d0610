"""Every email the app sends goes through here: its headers made safe, then queued for the job
worker, never sent inside a request.

People's names, pet names and the clinic's name end up in Subject and From. A line break there
would either inject a header or make Django refuse the message (`BadHeaderError`), and a refused
message would fail its job at every attempt; so header text is flattened to one line and cut to
a sane length before Django encodes it (RFC 2047), whatever the forms let through.
"""

from email.utils import formataddr, getaddresses

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction

from notifications.models import QueuedEmail
from vetchat.text import breaks_a_line

# Long enough for any real name or subject; Python's email package folds what remains.
HEADER_TEXT_MAX = 200
# Headers the app sets itself; anything else a caller passes is dropped, not sent.
EXTRA_HEADERS = frozenset(
    {
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Message-ID",
        "Auto-Submitted",
        "In-Reply-To",
        "References",
    }
)


def header_text(value: object, *, limit: int = HEADER_TEXT_MAX) -> str:
    """`value` as one line of header text: unsafe characters become spaces, runs of spaces one,
    and text past `limit` characters ends in an ellipsis."""
    text = "".join(" " if breaks_a_line(c) else c for c in str(value or ""))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def mailbox(name: str, address: str) -> str:
    """`"Display Name" <address>` with the name made header text; the address as it is (an
    address with a line break is refused by Django, which is what it should be)."""
    return formataddr((header_text(name), address.strip()))


def _address_safe(value: str) -> str:
    parsed = getaddresses([value])
    if len(parsed) != 1 or not parsed[0][1]:
        return value.strip()  # not one address: Django refuses it when sending
    name, address = parsed[0]
    return mailbox(name, address) if name else address


def headers_make_safe(message: EmailMessage) -> EmailMessage:
    """The one place a message's headers are checked: subject and display names become header
    text, addresses are stripped, and extra headers other than the app's own are dropped."""
    message.subject = header_text(message.subject, limit=2 * HEADER_TEXT_MAX)
    message.from_email = _address_safe(message.from_email or settings.DEFAULT_FROM_EMAIL)
    for field in ("to", "cc", "bcc", "reply_to"):
        setattr(message, field, [_address_safe(v) for v in getattr(message, field)])
    message.extra_headers = {
        name: header_text(value, limit=2 * HEADER_TEXT_MAX)
        for name, value in message.extra_headers.items()
        if name in EXTRA_HEADERS
    }
    return message


def message_to_job(message: EmailMessage) -> dict:
    """The message as JSON, kept until the job worker sends it."""
    if message.attachments:
        raise ValueError("Queued emails carry no attachments.")
    message = headers_make_safe(message)
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "content_subtype": message.content_subtype,
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }


def message_from_job(fields: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=fields["subject"],
        body=fields["body"],
        from_email=fields["from_email"],
        to=fields["to"],
        cc=fields["cc"],
        bcc=fields["bcc"],
        reply_to=fields["reply_to"],
        headers=fields["headers"],
    )
    message.content_subtype = fields["content_subtype"]
    for content, mimetype in fields["alternatives"]:
        message.attach_alternative(content, mimetype)
    return headers_make_safe(message)


def email_queue(message: EmailMessage, *, kind: str) -> QueuedEmail:
    """Hand the message to the job worker, which sends it (and retries with backoff).

    The job is written in the caller's transaction: a sign-up or invitation that rolls back
    queues nothing, and one that commits cannot lose its email to an SMTP outage.
    """
    from notifications.tasks import send_email  # the tasks module imports this one

    with transaction.atomic():
        queued = QueuedEmail.objects.create(kind=kind, message=message_to_job(message))
        send_email.defer(queued_id=queued.pk)
    return queued
