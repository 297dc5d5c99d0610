"""A reply by email posted as its sender's message, through the same service and rules as the
chat's page, or answered with the reason it was not."""

import hashlib
import logging
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from appointments.access import Action
from appointments.links import chat_url, how_to_reach
from appointments.models import Appointment
from attachments.models import Attachment
from attachments.services import attachment_upload, upload_allowed
from chat.models import Message
from chat.rules import ChatReadOnly, read_only_reason
from chat.services import access_chat, message_send
from notifications.inbound.addresses import key_of_address
from notifications.inbound.bounces import bounce_queue
from notifications.inbound.parsing import InboundFile, InboundMail, mail_parse
from notifications.models import ReplyAddress
from vetchat.errors import DomainError, NotFound, NotPermitted

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    POSTED = "posted"
    POSTED_WITHOUT_SOME_FILES = "posted_without_some_files"
    ALREADY_POSTED = "already_posted"  # the same Message-ID came again
    AUTOMATIC = "automatic"  # an auto-reply, a report: dropped, never answered
    UNKNOWN_ADDRESS = "unknown_address"  # not a live address of ours: dropped
    REVOKED = "revoked"
    WRONG_SENDER = "wrong_sender"
    NO_ACCESS = "no_access"
    CHAT_CLOSED = "chat_closed"
    EMPTY = "empty"
    REFUSED = "refused"  # a rule of the chat refused the text


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    message_id: UUID | None = None

    @property
    def bounced(self) -> bool:
        return self.outcome not in {
            Outcome.POSTED,
            Outcome.ALREADY_POSTED,
            Outcome.AUTOMATIC,
            Outcome.UNKNOWN_ADDRESS,
        }


def client_id_of(mail: InboundMail, raw: bytes) -> str:
    """The message's `client_id`: the same for a redelivered mail, so it is stored once."""
    source = mail.message_id.encode() if mail.message_id else raw
    return "email:" + hashlib.sha256(source).hexdigest()[:40]


def reply_receive(*, recipient: str, raw: bytes, mail_from: str) -> Received:
    """Post the reply in `raw`, sent to `recipient` (a `reply+<token>@` address)."""
    key = key_of_address(recipient)
    if key is None:
        return Received(Outcome.UNKNOWN_ADDRESS)
    mail = mail_parse(raw, mail_from=mail_from)
    if mail.automatic:
        logger.info("Reply by email dropped: %s", mail.automatic)
        return Received(Outcome.AUTOMATIC)
    address = (
        ReplyAddress.objects.select_related(
            "user", "chat__appointment__clinic", "chat__appointment__pet"
        )
        .filter(key=key)
        .first()
    )
    if address is None:
        return Received(Outcome.UNKNOWN_ADDRESS)
    user, appointment = address.user, address.chat.appointment
    from_user = mail.from_address == user.email.strip().lower()
    if address.revoked_at is not None:
        # A stopped address makes no more mail for its user, unless the user wrote to it.
        if from_user:
            _bounce(user, appointment, mail, [_revoked(appointment)])
        return Received(Outcome.REVOKED)
    if not from_user:
        # Whoever holds the address is not its user: tell the user, never the stranger.
        _bounce(user, appointment, mail, _wrong_sender(mail, user))
        return Received(Outcome.WRONG_SENDER)
    return _post(user, appointment, mail, client_id_of(mail, raw))


def _post(user: User, appointment: Appointment, mail: InboundMail, client_id: str) -> Received:
    try:
        chat = access_chat(user=user, appointment_id=appointment.pk, action=Action.CHAT)
    except (NotFound, NotPermitted):
        _bounce(user, appointment, mail, _no_access(appointment))
        return Received(Outcome.NO_ACCESS)
    stored = (
        Message.objects.filter(chat_id=chat.chat_id, sender=user, client_id=client_id)
        .values_list("pk", flat=True)
        .first()
    )
    if stored is not None:
        return Received(Outcome.ALREADY_POSTED, stored)
    reason = read_only_reason(chat)
    if reason:
        _bounce(user, appointment, mail, [reason, how_to_reach(appointment.clinic)])
        return Received(Outcome.CHAT_CLOSED)
    uploads, refused = _uploads(user, appointment, mail.files)
    if not mail.text and not uploads:
        _bounce(user, appointment, mail, _empty(appointment, refused))
        return Received(Outcome.EMPTY)
    try:
        sent = message_send(
            chat=chat,
            sender=user,
            content=mail.text,
            message_type=_message_type(uploads),
            attachments=[upload.pk for upload in uploads],
            client_id=client_id,
        )
    except ChatReadOnly as error:
        _bounce(user, appointment, mail, [error.message, how_to_reach(appointment.clinic)])
        return Received(Outcome.CHAT_CLOSED)
    except DomainError as error:
        _bounce(user, appointment, mail, _refused(appointment, error))
        return Received(Outcome.REFUSED)
    if refused:
        _bounce(user, appointment, mail, _files_refused(appointment, refused))
        return Received(Outcome.POSTED_WITHOUT_SOME_FILES, sent.message.id)
    return Received(Outcome.POSTED, sent.message.id)


def _uploads(
    user: User, appointment: Appointment, files: list[InboundFile]
) -> tuple[list[Attachment], list[str]]:
    """The attached files kept through the upload pipeline (sniffed, stripped, scanned), and
    why each of the others was refused, one line a file."""
    kept, refused = [], []
    for file in files:
        upload = SimpleUploadedFile(file.name, file.data, content_type=file.content_type)
        try:
            upload_allowed(user=user, appointment=appointment)
            kept.append(attachment_upload(appointment=appointment, uploader=user, upload=upload))
        except DomainError as error:
            refused.append(f"{file.name}: {error.message}")
    return kept, refused


def _message_type(uploads: list[Attachment]) -> str:
    if not uploads:
        return Message.Type.TEXT
    kinds = {upload.kind for upload in uploads}
    if kinds == {Attachment.Kind.IMAGE}:
        return Message.Type.IMAGE
    if kinds == {Attachment.Kind.VIDEO}:
        return Message.Type.VIDEO
    return Message.Type.FILE


def _bounce(user: User, appointment: Appointment, mail: InboundMail, paragraphs: list[str]) -> None:
    bounce_queue(
        user=user,
        appointment=appointment,
        subject=mail.subject,
        paragraphs=paragraphs,
        in_reply_to=mail.message_id,
    )


def _wrong_sender(mail: InboundMail, user: User) -> list[str]:
    sender = mail.from_address or "an unknown address"
    return [
        f"A reply to your chat was sent from {sender}, not from {user.email}, the address the "
        "clinic writes to you at, so it was not posted.",
        "If you sent it, reply from this address instead. If you did not, you can ignore this "
        "email: nothing was added to your chat.",
    ]


def _revoked(appointment: Appointment) -> str:
    return (
        "This reply address no longer works, so your reply was not posted. "
        f"Please answer in the chat instead: {chat_url(appointment)}"
    )


def _no_access(appointment: Appointment) -> list[str]:
    return [
        f"Your reply about {appointment.pet.name} was not posted: you no longer take part in "
        "this chat.",
        "If you think this is a mistake, please ask the pet's owner or the clinic. "
        + how_to_reach(appointment.clinic),
    ]


def _empty(appointment: Appointment, refused: list[str]) -> list[str]:
    paragraphs = [
        "We could not find your reply in your email: write your answer above the quoted "
        f"message and send it again, or answer in the chat: {chat_url(appointment)}"
    ]
    if refused:
        paragraphs.append("These files could not be sent:\n" + "\n".join(refused))
    return paragraphs


def _refused(appointment: Appointment, error: DomainError) -> list[str]:
    return [
        f"Your reply was not posted: {error.message}",
        f"You can answer in the chat instead: {chat_url(appointment)}",
    ]


def _files_refused(appointment: Appointment, refused: list[str]) -> list[str]:
    return [
        "Your reply was posted, but these files could not be sent with it:\n" + "\n".join(refused),
        f"You can send them from the chat: {chat_url(appointment)}",
    ]
