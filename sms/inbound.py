"""A text from a pet parent, as Twilio's webhook hands it over: a keyword changes what may be
sent to its number; anything else is posted as the parent's message, through the same service
and rules as the chat's page, in the chat they were last texted about (or, when that is
unclear, the chat they choose when asked), or answered with the reason it was not.

Each text is handled once (`InboundText.provider_sid` is unique): a webhook Twilio delivers
again is answered as the first time and changes nothing. Texts from one number are handled one
at a time (its `Phone` row is locked), so a question and its answer cannot cross.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict

from accounts.models import User
from appointments.access import Action
from appointments.models import Appointment
from attachments.models import Attachment
from attachments.services import attachment_upload, upload_allowed
from chat.models import Message
from chat.rules import MAX_ATTACHMENTS, ChatReadOnly, read_only_reason
from chat.services import access_chat, message_send
from sms import replies
from sms.inbound_media import MediaNotFetched, media_deadline, media_fetch
from sms.keywords import Keyword, keyword_of
from sms.models import ConsentEvent, InboundText, Phone
from sms.numbers import e164
from sms.which_pet import chats_texted_about, choices_of, chosen
from vetchat.errors import DomainError, NotFound, NotPermitted

logger = logging.getLogger(__name__)

Outcome = InboundText.Outcome
# A question stays open for one more text that is not an answer (asked again); with the next,
# the held texts go to the chat last texted about rather than being held any longer.
HELD_BEFORE_GIVING_UP = 2


@dataclass(frozen=True)
class IncomingText:
    sid: str
    from_number: str  # as Twilio sent it
    body: str
    media: list[dict[str, str]] = field(default_factory=list)  # {"url", "contentType"}


@dataclass(frozen=True)
class Handled:
    outcome: str
    reply: str  # "" when nothing is texted back


def incoming_of_form(form: QueryDict) -> IncomingText | None:
    """Twilio's form fields as a text; None without a MessageSid or a From."""
    sid, sender = form.get("MessageSid", "").strip(), form.get("From", "").strip()
    if not sid or len(sid) > 64 or not sender:
        return None
    try:
        count = min(max(int(form.get("NumMedia", "0")), 0), MAX_ATTACHMENTS)
    except ValueError:
        count = 0
    media = [
        {"url": form[f"MediaUrl{index}"], "contentType": form.get(f"MediaContentType{index}", "")}
        for index in range(count)
        if form.get(f"MediaUrl{index}")
    ]
    return IncomingText(sid=sid, from_number=sender[:32], body=form.get("Body", ""), media=media)


def text_receive(*, text: IncomingText, now: datetime) -> Handled:
    """Handle a text once, and say what to text back."""
    number = e164(text.from_number)
    with transaction.atomic():
        phone = (
            Phone.objects.select_for_update(of=("self",))
            .select_related("user", "last_appointment__clinic")
            .filter(number=number)
            .first()
            if number
            else None
        )
        try:
            with transaction.atomic():
                row = InboundText.objects.create(
                    provider_sid=text.sid,
                    from_number=text.from_number,
                    body=text.body,
                    media=text.media,
                    user=phone.user if phone else None,
                )
        except IntegrityError:  # delivered again: answered as the first time
            stored = InboundText.objects.get(provider_sid=text.sid)
            return Handled(stored.outcome, stored.reply)
        reply = _handle(row, phone, now)
        row.reply = reply
        row.detail = row.detail[:200]
        row.save()
    logger.info("Text %s: %s %s", text.sid, row.outcome, row.detail)
    return Handled(row.outcome, reply)


def _handle(row: InboundText, phone: Phone | None, now: datetime) -> str:
    keyword = keyword_of(row.body)
    if keyword is not None:
        return _keyword(row, phone, keyword, now)
    if phone is None:
        # Nothing is texted back: a stranger learns nothing, not even that this is a clinic.
        row.outcome, row.detail = Outcome.UNKNOWN, "no account has this number"
        return ""
    if not phone.texts_allowed:
        # Any answer would be a text the number has not agreed to (or has stopped).
        row.outcome = Outcome.REFUSED
        row.detail = "texts stopped" if phone.stopped_at else "never opted in to texts"
        return ""
    held = list(
        InboundText.objects.filter(user=phone.user, outcome=Outcome.ASKED)
        .exclude(pk=row.pk)
        .order_by("received_at", "pk")
    )
    if held:
        return _answer(row, phone, held)
    open_chats = chats_texted_about(user=phone.user, now=now)
    if len(open_chats) > 1:
        choices = choices_of(open_chats)
        row.outcome, row.choices = Outcome.ASKED, [str(choice.appointment_id) for choice in choices]
        return replies.which_pet([choice.label for choice in choices])
    if phone.last_appointment_id is None:
        row.outcome, row.detail = Outcome.REFUSED, "never texted about an appointment"
        return replies.no_chat()
    return _post_all([row], phone.user, phone.last_appointment_id)


def _keyword(row: InboundText, phone: Phone | None, keyword: Keyword, now: datetime) -> str:
    """STOP, START and HELP, honoured at once and recorded with the words received."""
    row.outcome = Outcome(keyword.value)
    if phone is None:
        row.detail = "no account has this number"
        return ""
    clinic = phone.last_appointment.clinic if phone.last_appointment else None
    if keyword == Keyword.START and phone.opted_in_at is None:
        # Consent is given on the profile, with its words shown; a text cannot give it.
        row.outcome, row.detail = Outcome.REFUSED, "START from a number never opted in"
        return replies.start_needs_consent(clinic)
    if keyword == Keyword.STOP and phone.stopped_at is None:
        phone.stopped_at = now
        phone.save(update_fields=["stopped_at", "updated_at"])
    elif keyword == Keyword.START and phone.stopped_at is not None:
        phone.stopped_at = None
        phone.save(update_fields=["stopped_at", "updated_at"])
    ConsentEvent.objects.create(
        user=phone.user,
        number=phone.number,
        kind=ConsentEvent.Kind(keyword.value),
        source=ConsentEvent.Source.TEXT,
        words=row.body,
        at=now,
    )
    return {
        Keyword.STOP: replies.stopped,
        Keyword.START: replies.started,
        Keyword.HELP: replies.help_text,
    }[keyword](clinic)


def _answer(row: InboundText, phone: Phone, held: list[InboundText]) -> str:
    """A text while a question is open: the answer posts the held texts in the chosen chat;
    anything else asks once more, then the held texts go to the chat last texted about."""
    choices = choices_of(held[0].choices)
    choice = chosen(row.body, choices)
    if choice is not None:
        reply = _post_all(held, phone.user, choice.appointment_id)
        row.outcome, row.appointment_id = Outcome.ANSWERED, choice.appointment_id
        row.clinic_id = held[-1].clinic_id
        row.message_id = held[-1].message_id
        return reply or replies.posted_in(choice.label)
    if len(held) < HELD_BEFORE_GIVING_UP:
        row.outcome, row.choices = Outcome.ASKED, held[0].choices
        return replies.which_pet_again([choice.label for choice in choices])
    target = phone.last_appointment_id or (choices[0].appointment_id if choices else None)
    if target is None:
        for each in held:
            each.outcome, each.detail = Outcome.REFUSED, "asked which pet, no chat to post to"
            each.save()
        row.outcome, row.detail = Outcome.REFUSED, "asked which pet, no chat to post to"
        return replies.no_chat()
    reply = _post_all([*held, row], phone.user, target)
    label = next((c.label for c in choices if c.appointment_id == target), None)
    if reply or label is None:
        return reply
    return replies.posted_without_answer(label)


def _post_all(rows: list[InboundText], user: User, appointment_id: UUID) -> str:
    """Post each text in order into the appointment's chat; the answers of those not (wholly)
    posted, one after the other."""
    answers = []
    for each in rows:
        answer = _post(each, user, appointment_id)
        if answer and answer not in answers:
            answers.append(answer)
        each.detail = each.detail[:200]
        each.save()
    return " ".join(answers)


def _post(row: InboundText, user: User, appointment_id: UUID) -> str:
    appointment = Appointment.objects.select_related("pet", "clinic").get(pk=appointment_id)
    row.appointment_id, row.clinic_id = appointment.pk, appointment.clinic_id
    try:
        chat = access_chat(user=user, appointment_id=appointment.pk, action=Action.CHAT)
    except (NotFound, NotPermitted):
        row.outcome, row.detail = Outcome.REFUSED, "no longer takes part in the chat"
        return replies.no_access(appointment)
    client_id = f"sms:{row.provider_sid}"
    stored = Message.objects.filter(chat_id=chat.chat_id, sender=user, client_id=client_id).first()
    if stored is not None:
        row.outcome, row.message_id = Outcome.POSTED, stored.pk
        return ""
    reason = read_only_reason(chat)
    if reason:
        row.outcome, row.detail = Outcome.REFUSED, "chat read-only"
        return replies.chat_closed(appointment, reason)
    uploads, refused = _uploads(row, user, appointment)
    content = row.body.strip()
    if not content and not uploads:
        row.outcome, row.detail = Outcome.REFUSED, "nothing to post"
        return replies.nothing_to_post(appointment, refused) if refused else ""
    try:
        sent = message_send(
            chat=chat,
            sender=user,
            content=row.body,
            message_type=_message_type(uploads),
            attachments=[upload.pk for upload in uploads],
            client_id=client_id,
        )
    except ChatReadOnly as error:
        row.outcome, row.detail = Outcome.REFUSED, "chat read-only"
        return replies.chat_closed(appointment, error.message)
    except DomainError as error:
        row.outcome, row.detail = Outcome.REFUSED, error.message
        return replies.refused(appointment, error.message)
    row.outcome, row.message_id = Outcome.POSTED, sent.message.id
    if refused:
        row.detail = "posted without some files"
        return replies.files_not_accepted(appointment, refused)
    return ""


def _uploads(
    row: InboundText, user: User, appointment: Appointment
) -> tuple[list[Attachment], list[str]]:
    """The text's files kept through the upload pipeline (sniffed, stripped, scanned), and why
    each of the others was not, one phrase a file. A file that cannot be fetched costs only
    itself: the text is posted all the same."""
    kept, refused = [], []
    deadline = media_deadline()
    for index, media in enumerate(row.media, 1):
        try:
            fetched = media_fetch(
                url=media["url"], content_type=media["contentType"], index=index, deadline=deadline
            )
        except MediaNotFetched as error:
            refused.append(f"file {index} ({error.reason})")
            continue
        upload = SimpleUploadedFile(fetched.name, fetched.data, content_type=fetched.content_type)
        try:
            upload_allowed(user=user, appointment=appointment)
            kept.append(attachment_upload(appointment=appointment, uploader=user, upload=upload))
        except DomainError as error:
            refused.append(f"{fetched.name} ({error.message.rstrip('.')})")
    return kept, refused


def _message_type(uploads: list[Attachment]) -> str:
    kinds = {upload.kind for upload in uploads}
    if not kinds:
        return Message.Type.TEXT
    if kinds == {Attachment.Kind.IMAGE}:
        return Message.Type.IMAGE
    if kinds == {Attachment.Kind.VIDEO}:
        return Message.Type.VIDEO
    return Message.Type.FILE
