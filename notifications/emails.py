"""The unread-message emails: what they say and how they go out."""

from dataclasses import dataclass, replace
from email.utils import getaddresses
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import User, display_name
from accounts.signin_links import signin_link_url
from chat.models import Chat, Message, ReadState
from notifications.inbound.addresses import reply_to_of_email
from notifications.mail import header_text, headers_make_safe, mailbox
from notifications.models import UnreadEmail
from notifications.push import push_send
from notifications.services import preference_of, unread_email_mark
from notifications.texts import TextNotice, notice_text, phone_to_text
from notifications.tokens import unsubscribe_token


@dataclass(frozen=True)
class Preview:
    sender_name: str
    content: str


@dataclass(frozen=True)
class ChatSummary:
    pet_name: str
    senders: list[str]
    count: int
    url: str
    previews: list[Preview]
    clinic_id: int
    clinic_name: str
    # The name the clinic's emails come from: its own sender name, or its name.
    clinic_sender: str
    # The appointment's date and time on its clinic's clock, e.g. "Tue 3 Mar, 09:00".
    appointment_at: str
    appointment_id: UUID
    # A one-click sign-in into this chat for the email's recipient: made by `with_signin_links`
    # when an email is built, never for a push (a push opens the page, signed in or not).
    signin_url: str = ""


def _absolute(path: str) -> str:
    return settings.VETCHAT_BASE_URL + path


def _summary(email: UnreadEmail, *, previews: bool) -> ChatSummary:
    chat = Chat.objects.select_related("appointment__pet", "appointment__clinic").get(
        pk=email.chat_id
    )
    clinic = chat.appointment.clinic
    messages = (
        Message.objects.filter(chat_id=email.chat_id, seq__range=(email.first_seq, email.last_seq))
        .exclude(sender_id=email.user_id)
        .order_by("seq")
        .values_list("sender__name", "sender__email", "content", "retracted_at")
    )
    rows = [
        (display_name(name, address), "" if retracted else content)
        for name, address, content, retracted in messages
    ]
    senders = list(dict.fromkeys(name for name, _ in rows))
    return ChatSummary(
        pet_name=chat.appointment.pet.name,
        senders=senders,
        count=email.message_count,
        url=_absolute(reverse("appointment_detail", args=[chat.appointment_id])),
        # A message retracted since is not repeated in a mailbox.
        previews=[Preview(name, content) for name, content in rows if content] if previews else [],
        clinic_id=clinic.pk,
        clinic_name=clinic.name,
        clinic_sender=clinic.email_sender_name or clinic.name,
        appointment_at=dateformat.format(
            timezone.localtime(chat.appointment.starts_at, clinic.zone), "D j M, H:i"
        ),
        appointment_id=chat.appointment_id,
    )


def with_signin_links(user: User, chats: list[ChatSummary]) -> list[ChatSummary]:
    """The chats, each with a new sign-in link for `user` (`accounts.signin_links`): every
    notification email calls this as it is built, so a link's time runs from then."""
    return [
        replace(chat, signin_url=signin_link_url(user=user, appointment_id=chat.appointment_id))
        for chat in chats
    ]


def _sender(chats: list[ChatSummary]) -> str:
    """Who the email is from: the clinic when all its chats are one clinic's; the deployment
    when a digest spans clinics (each chat then names its own)."""
    if len({chat.clinic_id for chat in chats}) == 1:
        return chats[0].clinic_sender
    return settings.VETCHAT_CLINIC_NAME


def _from_email(sender: str) -> str:
    """The deployment's address under the sender's name."""
    parsed = getaddresses([settings.DEFAULT_FROM_EMAIL])
    if len(parsed) != 1 or not parsed[0][1]:
        return settings.DEFAULT_FROM_EMAIL
    return mailbox(sender, parsed[0][1])


def _message_id(email_ids: list[int]) -> str:
    host = urlsplit(settings.VETCHAT_BASE_URL).hostname or "vetchat"
    # The same for every attempt at the same email, so a receiving server can tell a resend.
    return f"<vetchat-unread-{'-'.join(map(str, email_ids))}@{host}>"


# A name in a subject line: enough to recognise, never the whole line.
SUBJECT_NAME_MAX = 60


def _subject(chats: list[ChatSummary]) -> str:
    count = sum(chat.count for chat in chats)
    noun = "message" if count == 1 else "messages"
    if len(chats) == 1:
        chat = chats[0]
        pet = header_text(chat.pet_name, limit=SUBJECT_NAME_MAX)
        senders = ", ".join(header_text(name, limit=SUBJECT_NAME_MAX) for name in chat.senders)
        return f"{count} unread {noun} about {pet} from {senders}"
    return f"{count} unread {noun} in {len(chats)} chats"


def build(user: User, emails: list[UnreadEmail]) -> EmailMultiAlternatives:
    """The email about these recorded windows (one for a chat, several for a digest)."""
    previews = settings.VETCHAT_EMAIL_PREVIEWS
    chats = with_signin_links(user, [_summary(email, previews=previews) for email in emails])
    unsubscribe = _absolute(reverse("notifications_unsubscribe", args=[unsubscribe_token(user.pk)]))
    sender = _sender(chats)
    reply_to = reply_to_of_email(user=user, chat_ids=[email.chat_id for email in emails])
    context = {
        "user": user,
        "name": user.display_name,
        "chats": chats,
        "total": sum(chat.count for chat in chats),
        "clinic": sender,
        "several_clinics": len({chat.clinic_id for chat in chats}) > 1,
        "previews": previews,
        "unsubscribe_url": unsubscribe,
        "preferences_url": _absolute(reverse("notification_preferences")),
        "reply_by_email": bool(reply_to),
    }
    message = EmailMultiAlternatives(
        subject=f"{_subject(chats)} · {sender}",
        body=render_to_string("notifications/email/unread.txt", context),
        from_email=_from_email(sender),
        to=[user.email],
        reply_to=reply_to,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": _message_id([email.pk for email in emails]),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string("notifications/email/unread.html", context), "text/html"
    )
    return headers_make_safe(message)


def _still_unread(email: UnreadEmail) -> bool:
    read = (
        ReadState.objects.filter(chat_id=email.chat_id, user_id=email.user_id)
        .values_list("last_read_seq", flat=True)
        .first()
    ) or 0
    return read < email.last_seq


def _push(user: User, emails: list[UnreadEmail]) -> None:
    previews = settings.VETCHAT_EMAIL_PREVIEWS
    chats = [_summary(email, previews=previews) for email in emails]
    latest = chats[-1]
    if latest.previews:
        body = f"{latest.previews[-1].sender_name}: {latest.previews[-1].content[:120]}"
    else:
        body = f"From {', '.join(latest.senders)}. Open the chat to read."
    push_send(user=user, title=_subject(chats), body=body, url=latest.url)


def deliver(user: User, emails: list[UnreadEmail]) -> int:
    """Send the recorded notifications still unread (read ones are dropped): the email (or,
    to a parent who chose texts, a text instead), then a push to the user's browsers if they
    asked for it; returns how many emails went out.

    SMTP errors propagate, so the job is retried with backoff and finds them still pending. The
    push comes after the record is marked sent: it is best effort and never causes a resend.
    """
    unread = []
    for email in emails:
        if _still_unread(email):
            unread.append(email)
        else:
            unread_email_mark(email=email, status=UnreadEmail.Status.READ_FIRST)
    if not unread:
        return 0
    preference = preference_of(user)
    phone = phone_to_text(user, preference, unread)
    if phone is not None:
        # The text replaces the email; its job sends it, and emails after all if it fails.
        notice_text(phone=phone, emails=unread, notice=_text_notice(unread))
    else:
        if preference.email_enabled:
            build(user, unread).send(fail_silently=False)
        for email in unread:
            unread_email_mark(email=email, status=UnreadEmail.Status.SENT)
    if preference.web_push_enabled:
        _push(user, unread)
    return 1 if preference.email_enabled and phone is None else 0


def _text_notice(emails: list[UnreadEmail]) -> TextNotice:
    """What a text says of a parent's windows (all of one chat): the pet, the clinic, how
    many, and the newest message only with previews on; its sign-in link is made as it goes."""
    previews = settings.VETCHAT_EMAIL_PREVIEWS
    chat = _summary(emails[-1], previews=previews)
    latest = chat.previews[-1] if chat.previews else None
    return TextNotice(
        pet_name=chat.pet_name,
        clinic_name=chat.clinic_sender,
        count=sum(email.message_count for email in emails),
        preview=f"{latest.sender_name}: {latest.content}" if latest else "",
    )
