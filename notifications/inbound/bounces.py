"""The answers to a reply that was not (or not wholly) posted, emailed to its sender.

Only ever to the reply address's own user, whose address the clinic has confirmed, never to
the From of a mail that could be forged (no backscatter), and marked `Auto-Submitted:
auto-replied` so that a well-behaved responder does not answer it in turn.
"""

from email.utils import getaddresses

from django.conf import settings
from django.core.mail import EmailMessage

from accounts.models import User
from appointments.models import Appointment
from notifications.mail import email_queue, header_text, mailbox
from tenancy.models import Clinic

KIND = "reply_bounce"


def _from_email(clinic: Clinic) -> str:
    parsed = getaddresses([settings.DEFAULT_FROM_EMAIL])
    if len(parsed) != 1 or not parsed[0][1]:
        return settings.DEFAULT_FROM_EMAIL
    return mailbox(clinic.email_sender_name or clinic.name, parsed[0][1])


def bounce_queue(
    *, user: User, appointment: Appointment, subject: str, paragraphs: list[str], in_reply_to: str
) -> None:
    """Queue the explanation for the job worker, like every other email."""
    clinic = appointment.clinic
    body = "\n\n".join([f"Hello {user.display_name},", *paragraphs, f"— {clinic.name}"]) + "\n"
    headers = {"Auto-Submitted": "auto-replied"}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    title = header_text(subject, limit=120) or "your reply"
    message = EmailMessage(
        subject=f"Not posted: {title}",
        body=body,
        from_email=_from_email(clinic),
        to=[user.email],
        headers=headers,
    )
    email_queue(message, kind=KIND)
