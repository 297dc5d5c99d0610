"""A pet parent told of unread messages by text instead of email, and by email after all when
the text does not arrive.

A text carries no clinical words unless previews are on (VETCHAT_EMAIL_PREVIEWS): a phone's lock
screen is no more the medical record than a mailbox is.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from appointments.models import Appointment
from appointments.participants import FAMILY_ROLES
from notifications.models import Preference, UnreadEmail
from notifications.services import URGENT_PRIORITY, unread_job_defer, unread_job_hurry
from sms.models import Phone, Text
from sms.outbound import SIGNIN_LINK, text_queue, texting_phone

# Two GSM-7 segments (153 characters each once joined): a text of more costs more and may
# arrive in pieces. A preview is shortened to fit; the rest of the text always does.
TEXT_MAX = 306


@dataclass(frozen=True)
class TextNotice:
    pet_name: str
    clinic_name: str
    count: int
    preview: str = ""  # "Dr Lee: …", only with previews on


def signin_link_length() -> int:
    """The length of a sign-in link as the text will carry it (its token: 43 characters)."""
    return len(settings.VETCHAT_BASE_URL + reverse("signin_link", args=["t" * 43]))


def text_body(notice: TextNotice) -> str:
    """The text, with `SIGNIN_LINK` where the link goes once it is sent."""
    what = "New message" if notice.count == 1 else f"{notice.count} new messages"
    head = f"{what} about {notice.pet_name} from {notice.clinic_name}"
    tail = f"Read and reply: {SIGNIN_LINK}"
    if notice.preview:
        tail_length = len(tail) - len(SIGNIN_LINK) + signin_link_length()
        room = TEXT_MAX - len(head) - tail_length - len(': "". ')
        if room >= 20:
            preview = notice.preview
            if len(preview) > room:
                preview = preview[: room - 1].rstrip() + "…"
            return f'{head}: "{preview}". {tail}'
    return f"{head}. {tail}"


def phone_to_text(user: User, preference: Preference, emails: list[UnreadEmail]) -> Phone | None:
    """The number to text instead of emailing, or None: email as before.

    A pet parent who wants emails, chose texts instead (the default once they consented),
    and whose number works; never a window already texted (its text did not arrive).
    """
    if user.role not in FAMILY_ROLES or not preference.email_enabled:
        return None
    if not preference.sms_enabled or any(email.text_id for email in emails):
        return None
    return texting_phone(user)


def notice_text(*, phone: Phone, emails: list[UnreadEmail], notice: TextNotice) -> Text:
    """Text the parent about these windows of one chat, recorded as told by that text."""
    appointment = Appointment.objects.get(chat__pk=emails[-1].chat_id)
    with transaction.atomic():
        text = text_queue(phone=phone, appointment=appointment, body=text_body(notice))
        UnreadEmail.objects.filter(pk__in=[email.pk for email in emails]).update(
            status=UnreadEmail.Status.TEXTED, text=text
        )
    return text


def on_text_undelivered(sender: type, *, text: Text, now: datetime, **kwargs: object) -> bool:
    """The text did not arrive: its windows become pending emails again, and their job runs now
    (ahead of ordinary ones, as a red flag's), which emails and pushes them as the parent
    chose. Runs in the transaction that marks the text failed, which happens once."""
    emails = list(
        UnreadEmail.objects.select_for_update().filter(text=text, status=UnreadEmail.Status.TEXTED)
    )
    if not emails:
        return False
    UnreadEmail.objects.filter(pk__in=[email.pk for email in emails]).update(
        status=UnreadEmail.Status.PENDING
    )
    for chat_id in sorted({email.chat_id for email in emails}):
        deferred = unread_job_defer(
            user_id=text.user_id, chat_id=chat_id, at=now, priority=URGENT_PRIORITY
        )
        if not deferred:
            unread_job_hurry(user_id=text.user_id, chat_id=chat_id)
    return True
