"""Messages the clinic's side writes now and the job worker sends later: at a time the writer
chose ("Send later"), or held while the clinic is closed until it opens.

A scheduled message is a row, not a job: the worker's job only asks "what is due?", so an edit
or a cancellation is one row update, and a worker that was down sends everything due when it
starts again. It is sent through `message_send`, with the rules as they stand at sending time:
a writer who lost access, or a chat that closed meanwhile, leaves it unsent and marked failed
with the reason, for the writer to see.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from appointments.access import Action, may
from chat.models import Message, ScheduledMessage
from chat.rules import check_message
from chat.selectors import chat_for
from chat.services import Sent, access_chat, message_send
from chat.sql import ChatHeader
from vetchat.errors import Conflict, DomainError, InvalidInput, NotFound, NotPermitted

# Farther ahead than a clinic plans a message; beyond it a typo in the year is more likely.
MAX_DAYS_AHEAD = 90
# How many due messages one run of the job sends; the next run takes the rest.
BATCH = 200

Status = ScheduledMessage.Status
Kind = ScheduledMessage.Kind


class ScheduledNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No scheduled message with this id in this chat.")


class NotTheWriter(NotPermitted):
    def __init__(self) -> None:
        super().__init__("Only its writer can change a scheduled message.")


class AlreadyDone(Conflict):
    def __init__(self, row: ScheduledMessage) -> None:
        done = {Status.SENT: "was already sent", Status.CANCELLED: "was cancelled"}
        super().__init__(f"This message {done.get(row.status, 'was not sent')}.")


# A hold rule answers "should this reply wait, and until when?" for a message about to be sent
# at once; the clinic app registers its own (held while closed), so that chat never imports it.
HoldRule = Callable[[ChatHeader, User, datetime], datetime | None]
hold_rules: list[HoldRule] = []


# Reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledRow:
    """A scheduled message as its chat's clinic side sees it."""

    id: UUID
    writer_id: UUID
    writer_name: str
    kind: str
    content: str
    send_at: datetime
    status: str
    failure: str
    mine: bool

    @property
    def held(self) -> bool:
        return self.kind == Kind.HELD


def _row(row: ScheduledMessage, user: User) -> ScheduledRow:
    return ScheduledRow(
        row.pk,
        row.writer_id,
        row.writer.display_name,
        row.kind,
        row.content,
        row.send_at,
        row.status,
        row.failure,
        row.writer_id == user.pk,
    )


def scheduled_of_chat(*, chat_id: int | None, user: User) -> list[ScheduledRow]:
    """What waits to be sent in this chat, for one of its clinic side (the caller checked
    `Action.SCHEDULE`): everyone's pending messages, so that no colleague answers the same
    thing twice, and the user's own that failed. One query."""
    if chat_id is None:
        return []
    rows = (
        ScheduledMessage.objects.filter(chat_id=chat_id)
        .filter(Q(status=Status.PENDING) | Q(status=Status.FAILED, writer_id=user.pk))
        .select_related("writer")
        .order_by("send_at", "created_at")
    )
    return [_row(row, user) for row in rows]


# How long a message that could not be sent stays on its writer's dashboard.
FAILED_SHOWN_DAYS = 7


def failed_scheduled_of(*, user: User, now: datetime) -> list[tuple[ScheduledRow, str, UUID]]:
    """The user's own messages that could not be sent lately, with each one's pet and
    appointment: shown on their dashboard, which a writer who lost access to the chat still
    sees. One query."""
    rows = (
        ScheduledMessage.objects.filter(
            writer_id=user.pk,
            status=Status.FAILED,
            done_at__gte=now - timedelta(days=FAILED_SHOWN_DAYS),
        )
        .select_related("writer", "chat__appointment__pet")
        .order_by("-done_at")
    )
    return [
        (_row(row, user), row.chat.appointment.pet.name, row.chat.appointment_id) for row in rows
    ]


def scheduled_json(row: ScheduledRow | ScheduledMessage, *, user: User) -> dict[str, Any]:
    """The API's shape of a scheduled message."""
    writer_name = row.writer_name if isinstance(row, ScheduledRow) else row.writer.display_name
    return {
        "_id": str(row.id),
        "kind": row.kind,
        "content": row.content,
        "sendAt": row.send_at.isoformat(),
        "status": row.status,
        "failure": row.failure or None,
        "writer": {"_id": str(row.writer_id), "name": writer_name},
        "mine": row.writer_id == user.pk,
    }


# Writes ------------------------------------------------------------------------------------


def _checked(
    *,
    chat: ChatHeader,
    writer: User,
    content: str,
    send_at: datetime,
    now: datetime,
    chosen: bool = True,
) -> str:
    """The content as it will be stored, or why not: the rules of a message sent now, and a
    time ahead."""
    errors: dict[str, str] = {}
    try:
        content = check_message(
            appointment=chat, sender=writer, message_type=Message.Type.TEXT, content=content
        ).content
    except InvalidInput as error:
        errors.update(error.fields)
    if timezone.is_naive(send_at):
        errors["sendAt"] = "Give the time with its zone."
    elif send_at <= now:
        errors["sendAt"] = "Choose a time in the future."
    elif chosen and send_at > now + timedelta(days=MAX_DAYS_AHEAD):  # a held reply's is not
        errors["sendAt"] = f"Choose a time at most {MAX_DAYS_AHEAD} days ahead."
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    return content


def scheduled_create(
    *,
    chat: ChatHeader,
    writer: User,
    content: str,
    send_at: datetime,
    now: datetime,
    kind: str = Kind.SCHEDULED,
    client_id: str | None = None,
) -> ScheduledMessage:
    """Keep a message to send at `send_at`; `chat` was loaded for `Action.SCHEDULE`. A
    `client_id` the writer used before in this chat returns the row kept then."""
    content = _checked(
        chat=chat,
        writer=writer,
        content=content,
        send_at=send_at,
        now=now,
        chosen=kind == Kind.SCHEDULED,
    )
    kept = ScheduledMessage.objects.filter(chat_id=chat.chat_id, writer=writer)
    if client_id and (row := kept.filter(client_id=client_id).first()) is not None:
        return row
    try:
        with transaction.atomic():
            row = ScheduledMessage.objects.create(
                chat_id=chat.chat_id,
                clinic_id=chat.clinic_id,
                writer=writer,
                kind=kind,
                content=content,
                send_at=send_at,
                created_at=now,
                client_id=client_id or None,
            )
            _wake_worker_at(send_at)
    except IntegrityError:
        if not client_id:
            raise
        return kept.get(client_id=client_id)  # the same send, retried at the same moment
    return row


def _locked(chat: ChatHeader, writer: User, scheduled_id: UUID) -> ScheduledMessage:
    """The row, locked against the worker sending it meanwhile; only its writer changes it."""
    row = (
        ScheduledMessage.objects.select_for_update(of=("self",))
        .select_related("writer", "chat")
        .filter(pk=scheduled_id, chat_id=chat.chat_id)
        .first()
    )
    if row is None:
        raise ScheduledNotFound
    if row.writer_id != writer.pk:
        raise NotTheWriter
    return row


def scheduled_update(
    *,
    chat: ChatHeader,
    writer: User,
    scheduled_id: UUID,
    now: datetime,
    content: str | None = None,
    send_at: datetime | None = None,
) -> ScheduledMessage:
    """Change the text or the time of a message that has not gone yet. A held reply given a
    time of its own becomes an ordinary scheduled message."""
    with transaction.atomic():
        row = _locked(chat, writer, scheduled_id)
        if row.status != Status.PENDING:
            raise AlreadyDone(row)
        new_time = send_at if send_at is not None else max(row.send_at, now + timedelta(seconds=1))
        row.content = _checked(
            chat=chat,
            writer=writer,
            content=row.content if content is None else content,
            send_at=new_time,
            now=now,
            chosen=send_at is not None or row.kind == Kind.SCHEDULED,
        )
        if send_at is not None:
            row.send_at, row.kind = send_at, Kind.SCHEDULED
            _wake_worker_at(send_at)
        row.save(update_fields=["content", "send_at", "kind", "updated_at"])
    return row


def scheduled_cancel(
    *, chat: ChatHeader, writer: User, scheduled_id: UUID, now: datetime
) -> ScheduledMessage:
    """Cancel a message that has not gone, or put away one that failed."""
    with transaction.atomic():
        row = _locked(chat, writer, scheduled_id)
        if row.status not in (Status.PENDING, Status.FAILED):
            raise AlreadyDone(row)
        row.status, row.done_at = Status.CANCELLED, now
        row.save(update_fields=["status", "done_at", "updated_at"])
    return row


def scheduled_send_now(
    *, chat: ChatHeader, writer: User, scheduled_id: UUID, now: datetime
) -> ScheduledMessage:
    """Send a waiting message at once ("Send now" on a held reply). Refused by the rules, it
    is marked failed and the reason raised, for the writer to see."""
    with transaction.atomic():
        row = _locked(chat, writer, scheduled_id)
        if row.status != Status.PENDING:
            raise AlreadyDone(row)
        error = _deliver(row, now=now)
    if error is not None:
        raise error
    return row


# Sending -----------------------------------------------------------------------------------


def _deliver(row: ScheduledMessage, *, now: datetime) -> DomainError | None:
    """Send a locked pending row as its writer, under the rules as they stand now; record
    either the message or why it was not sent. Runs inside the caller's transaction."""
    writer = row.writer
    appointment_id = row.chat.appointment_id
    try:
        with transaction.atomic():
            header = chat_for(user=writer, appointment_id=appointment_id, action=Action.SCHEDULE)
            sent = message_send(
                chat=header, sender=writer, content=row.content, client_id=f"scheduled:{row.pk}"
            )
    except NotFound:
        return _failed(row, now, "You no longer take part in this chat, so it was not sent.")
    except NotPermitted as error:
        return _failed(row, now, f"Not sent: {error.message}")
    except DomainError as error:
        return _failed(row, now, f"Not sent: {error.message}", error)
    row.status, row.done_at, row.message_id = Status.SENT, now, sent.message.id
    row.save(update_fields=["status", "done_at", "message", "updated_at"])
    return None


def _failed(
    row: ScheduledMessage, now: datetime, reason: str, error: DomainError | None = None
) -> DomainError:
    row.status, row.done_at, row.failure = Status.FAILED, now, reason[:500]
    row.save(update_fields=["status", "done_at", "failure", "updated_at"])
    return error or Conflict(reason)


def due_scheduled(now: datetime) -> QuerySet[ScheduledMessage]:
    return ScheduledMessage.objects.filter(status=Status.PENDING, send_at__lte=now)


def scheduled_due_send(*, now: datetime) -> int:
    """Send what is due, oldest first, each in its own transaction; returns how many were
    tried. A row another worker (or its writer's edit) holds is skipped, not waited for: the
    next run takes it."""
    tried = 0
    while tried < BATCH:
        with transaction.atomic():
            row = (
                due_scheduled(now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("writer", "chat")
                .order_by("send_at", "created_at")
                .first()
            )
            if row is None:
                break
            _deliver(row, now=now)
        tried += 1
    return tried


def _wake_worker_at(at: datetime) -> None:
    """A job due at `at`, so the message goes on time; the periodic run is the safety net."""
    from chat.tasks import send_scheduled

    send_scheduled.configure(schedule_at=at).defer()


# Sending a reply that may be held -----------------------------------------------------------


@dataclass(frozen=True)
class Replied:
    """A reply either sent at once or held until `held.send_at`."""

    sent: Sent | None = None
    held: ScheduledMessage | None = None


def held_until(*, chat: ChatHeader, sender: User, now: datetime) -> datetime | None:
    for rule in hold_rules:
        until = rule(chat, sender, now)
        if until is not None:
            return until
    return None


def reply_send(
    *,
    chat: ChatHeader,
    sender: User,
    content: str,
    now: datetime,
    message_type: str = Message.Type.TEXT,
    payload: Any = None,
    attachments: list[UUID] | None = None,
    client_id: str | None = None,
    amends: UUID | None = None,
) -> Replied:
    """Send a message from a door (page or API), unless a hold rule keeps it: only a plain
    text message of the clinic's side is held (a document or a file goes when its writer
    sends it)."""
    plain = message_type == Message.Type.TEXT and not attachments and not amends
    if plain and may(sender, chat, Action.SCHEDULE):
        until = held_until(chat=chat, sender=sender, now=now)
        if until is not None:
            if chat.chat_id is None:
                chat = access_chat(user=sender, appointment_id=chat.appointment_id)
            return Replied(
                held=scheduled_create(
                    chat=chat,
                    writer=sender,
                    content=content,
                    send_at=until,
                    now=now,
                    kind=Kind.HELD,
                    client_id=client_id,
                )
            )
    return Replied(
        sent=message_send(
            chat=chat,
            sender=sender,
            content=content,
            message_type=message_type,
            payload=payload,
            attachments=attachments,
            client_id=client_id,
            amends=amends,
        )
    )
