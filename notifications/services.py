"""Every change the notifications make: scheduling the unread job, claiming a window of unread
messages for one email, recording what was sent, and the user's preferences."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.exceptions import AlreadyEnqueued

from accounts.models import User
from appointments.participants import FAMILY_ROLES
from chat.models import Chat, Message, ReadState
from clinic.models import UrgentChat
from notifications.models import (
    ChatNotification,
    Preference,
    QueuedEmail,
    UndeliveredEmail,
    UnreadEmail,
)
from notifications.selectors import chats_with_unread, takes_part
from notifications.sql import Recipient, recipients_of


def preference_of(user: User) -> Preference:
    """The user's preferences, or the clinic's defaults (unsaved) when they never chose."""
    try:
        return user.notification_preference
    except ObjectDoesNotExist:
        return Preference(user=user)


def quiet_hours_end(preference: Preference, at: datetime) -> datetime | None:
    """When `at` falls in the user's quiet hours, the moment they end.

    Quiet hours are the recipient's own, not a clinic's: a pet parent may be a client of
    clinics in several zones, a vet may work at several. A user has no time zone of their own
    yet, so they are read in the deployment's (DJANGO_TIME_ZONE), whatever zone is active.
    """
    span = preference.quiet_hours
    if span is None or span[0] == span[1]:
        return None
    start, end = span
    local = timezone.localtime(at, timezone.get_default_timezone())
    now = local.time()
    if start < end:
        quiet = start <= now < end
        end_day = local.date()
    else:  # across midnight: 22:00 to 07:00
        quiet = now >= start or now < end
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not quiet:
        return None
    return timezone.make_aware(datetime.combine(end_day, end), local.tzinfo)


# The worker takes due jobs highest priority first: a red flag's email goes before a backlog.
URGENT_PRIORITY = 10


def unread_lock(user_id: UUID, chat_id: int) -> str:
    """The queueing lock of the unread job: one waiting job per user and chat."""
    return f"unread:{user_id}:{chat_id}"


def default_delay_seconds(role: str) -> int:
    """The delay of a user who keeps "the clinic's default": a pet parent's is shorter (they
    read the email on a phone, away from the page), and never longer than the clinic's."""
    clinic_default = settings.VETCHAT_NOTIFY_DELAY_SECONDS
    if role in FAMILY_ROLES:
        return min(settings.VETCHAT_PARENT_NOTIFY_DELAY_SECONDS, clinic_default)
    return clinic_default


def _when(preference: Preference, *, role: str, now: datetime) -> datetime | None:
    """When an email about a message arriving now may go out; None: never."""
    delay = preference.delay_seconds(default_delay_seconds(role))
    if delay is None:
        return None
    at = now + timedelta(seconds=delay)
    return quiet_hours_end(preference, at) or at


def unread_job_defer(*, user_id: UUID, chat_id: int, at: datetime, priority: int = 0) -> bool:
    """Defer the unread job unless one is already waiting for this user and chat.

    The queueing lock makes a second pending job a unique violation; the savepoint keeps that
    refusal from aborting the caller's transaction (the message send).
    """
    from notifications.tasks import notify_unread

    try:
        with transaction.atomic():
            notify_unread.configure(
                queueing_lock=unread_lock(user_id, chat_id), schedule_at=at, priority=priority
            ).defer(user_id=str(user_id), chat_id=chat_id)
    except AlreadyEnqueued:
        return False
    return True


def digest_job_defer(*, user_id: UUID, at: datetime) -> bool:
    from notifications.tasks import send_digest

    try:
        with transaction.atomic():
            send_digest.configure(queueing_lock=f"digest:{user_id}", schedule_at=at).defer(
                user_id=str(user_id)
            )
    except AlreadyEnqueued:
        return False
    return True


def _wants_any(preference: Preference) -> bool:
    """Wants email or push at all, whatever delay they chose for ordinary messages."""
    return preference.email_enabled or preference.web_push_enabled


def unread_job_hurry(*, user_id: UUID, chat_id: int) -> bool:
    """Bring the user's waiting unread job of the chat forward to now, ahead of ordinary jobs;
    whether there was one.

    procrastinate offers no way to reschedule a job and its Django model is read-only, so this
    is one UPDATE of its table; a worker polling for jobs finds it due at once.
    """
    table = connection.ops.quote_name(ProcrastinateJob._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET scheduled_at = now(), priority = greatest(priority, %s)"  # noqa: S608  # nosec B608  # the table name is procrastinate's, values are parameters
            " WHERE queueing_lock = %s AND status = 'todo'",
            [URGENT_PRIORITY, unread_lock(user_id, chat_id)],
        )
        return cursor.rowcount > 0


def unread_notification_schedule(
    *, appointment_id: UUID, chat_id: int, sender_id: UUID, urgent: bool = False
) -> int:
    """A message was sent: make sure one job will tell each recipient if it stays unread.

    The recipients are the other side of the chat as it stands now: after a hand-over, the new
    vet. Runs inside the send's transaction. Returns how many jobs were deferred (none for a
    recipient whose job already waits, which will cover this message too, or who wants no
    email). An `urgent` message (a red flag) is told now: a waiting job is brought forward, and
    neither the delay, the quiet hours nor a digest hold it; only a recipient who wants no
    notifications at all is not told.
    """
    recipients = recipients_of(appointment_id=appointment_id, sender_id=sender_id, chat_id=chat_id)
    return sum(_schedule_for(recipient, chat_id=chat_id, urgent=urgent) for recipient in recipients)


def _schedule_for(recipient: Recipient, *, chat_id: int, urgent: bool) -> bool:
    if not recipient.is_active:
        return False
    preference = recipient.preference
    now = timezone.now()
    if urgent:
        if not _wants_any(preference):
            return False
        if recipient.job_waiting and unread_job_hurry(user_id=recipient.user_id, chat_id=chat_id):
            return True
        return unread_job_defer(
            user_id=recipient.user_id, chat_id=chat_id, at=now, priority=URGENT_PRIORITY
        )
    if recipient.role == User.Role.VETERINARIAN and preference.digest_hours:
        if not preference.email_enabled:
            return False
        at = now + timedelta(hours=preference.digest_hours)
        return digest_job_defer(user_id=recipient.user_id, at=quiet_hours_end(preference, at) or at)
    if recipient.job_waiting:  # most sends of a conversation: that job covers this message too
        return False
    at = _when(preference, role=recipient.role, now=now)
    if at is None:
        return False
    return unread_job_defer(user_id=recipient.user_id, chat_id=chat_id, at=at)


@dataclass(frozen=True)
class Window:
    """Unread messages from others in one chat, past the reader's cursor and the last email."""

    first_seq: int
    last_seq: int
    count: int


def _unread_window(*, user_id: UUID, chat_id: int, notified_seq: int) -> Window | None:
    read = (
        ReadState.objects.filter(chat_id=chat_id, user_id=user_id)
        .values_list("last_read_seq", flat=True)
        .first()
    ) or 0
    found = (
        Message.objects.filter(chat_id=chat_id, seq__gt=max(read, notified_seq))
        .exclude(sender_id=user_id)
        .aggregate(first=Min("seq"), last=Max("seq"), count=Count("*"))
    )
    if not found["count"]:
        return None
    return Window(found["first"], found["last"], found["count"])


def _claim(*, user_id: UUID, chat_id: int) -> tuple[ChatNotification, Window | None]:
    """Lock the user's notification state of the chat (made on first use) and find its window."""
    clinic_id = Chat.objects.filter(pk=chat_id).values_list("clinic_id", flat=True).get()
    ChatNotification.objects.bulk_create(
        [ChatNotification(user_id=user_id, chat_id=chat_id, clinic_id=clinic_id)],
        ignore_conflicts=True,
    )
    state = ChatNotification.objects.select_for_update().get(user_id=user_id, chat_id=chat_id)
    return state, _unread_window(
        user_id=user_id, chat_id=chat_id, notified_seq=state.last_notified_seq
    )


def _record(state: ChatNotification, window: Window) -> UnreadEmail:
    state.last_notified_seq = window.last_seq
    state.save(update_fields=["last_notified_seq", "updated_at"])
    return UnreadEmail.objects.create(
        clinic_id=state.clinic_id,
        user_id=state.user_id,
        chat_id=state.chat_id,
        first_seq=window.first_seq,
        last_seq=window.last_seq,
        message_count=window.count,
    )


def _urgent_unnotified(*, user_id: UUID, chat_id: int) -> bool:
    """The chat holds a red-flag message the user has not been emailed about yet."""
    notified = (
        ChatNotification.objects.filter(user_id=user_id, chat_id=chat_id)
        .values_list("last_notified_seq", flat=True)
        .first()
        or 0
    )
    return UrgentChat.objects.filter(chat_id=chat_id, seq__gt=notified).exists()


@dataclass(frozen=True)
class Claim:
    email: UnreadEmail | None = None
    held_until: datetime | None = None  # quiet hours: try again then


def unread_email_claim(*, user_id: UUID, chat_id: int) -> Claim:
    """Record the email about every message of the chat still unread since the last one.

    The window is taken and `last_notified_seq` moved in one transaction, under a lock on the
    user and chat row, so two runs of the job (a retry beside a new one) never claim the same
    messages. Nothing is claimed when the user read everything, wants no email, gets a digest,
    or is in quiet hours (then `held_until` says when to try again).
    """
    user = User.objects.select_related("notification_preference").get(pk=user_id)
    preference = preference_of(user)
    urgent = _urgent_unnotified(user_id=user_id, chat_id=chat_id)
    wanted = _wants_any(preference) if urgent else preference.delay_seconds(0) is not None
    if not user.is_active or not wanted:
        return Claim()
    if not urgent:
        if user.role == User.Role.VETERINARIAN and preference.digest_hours:
            return Claim()
        held = quiet_hours_end(preference, timezone.now())
        if held is not None:
            return Claim(held_until=held)
    if not takes_part(user=user, chat_id=chat_id):  # handed over, revoked, taken off the team
        return Claim()
    with transaction.atomic():
        state, window = _claim(user_id=user_id, chat_id=chat_id)
        if window is None:
            return Claim()
        return Claim(email=_record(state, window))


def digest_claim(*, user_id: UUID) -> tuple[list[UnreadEmail], datetime | None]:
    """Record one window per chat with unread messages for the vet's digest, in one transaction.

    Returns the recorded windows, or the end of the quiet hours when the digest must wait.
    """
    user = User.objects.select_related("notification_preference").get(pk=user_id)
    preference = preference_of(user)
    if not user.is_active or not preference.email_enabled:
        return [], None
    held = quiet_hours_end(preference, timezone.now())
    if held is not None:
        return [], held
    recorded = []
    with transaction.atomic():
        for chat_id in chats_with_unread(user=user):
            state, window = _claim(user_id=user_id, chat_id=chat_id)
            if window is not None:
                recorded.append(_record(state, window))
    return recorded, None


def unread_email_mark(*, email: UnreadEmail, status: UnreadEmail.Status) -> None:
    email.status = status
    email.sent_at = timezone.now() if status == UnreadEmail.Status.SENT else None
    email.save(update_fields=["status", "sent_at"])


def email_set_aside(
    *,
    kind: str,
    recipient: str,
    subject: str,
    error: BaseException,
    attempts: int,
    user_id: UUID | None = None,
    unread: list[UnreadEmail] | tuple[()] = (),
    queued: QueuedEmail | None = None,
) -> UndeliveredEmail:
    """Record an email the worker gave up on, for staff to see in the admin.

    Its unread-message records are marked failed, so the recipient's next job starts with new
    messages rather than this email again; a queued email's text is deleted with its row.
    """
    if user_id is None:
        user_id = User.objects.filter(email__iexact=recipient).values_list("pk", flat=True).first()
    with transaction.atomic():
        for email in unread:
            unread_email_mark(email=email, status=UnreadEmail.Status.FAILED)
        if queued is not None:
            queued.delete()
        return UndeliveredEmail.objects.create(
            kind=kind,
            recipient=recipient[:320],
            user_id=user_id,
            subject=subject[:400],
            reason=f"{type(error).__name__}: {error}"[:500],
            attempts=attempts,
        )


def preference_save(
    *,
    user: User,
    email_enabled: bool,
    delay: str,
    quiet_from: time | None,
    quiet_until: time | None,
    web_push_enabled: bool,
    digest_hours: int | None,
    sms_enabled: bool | None = None,
) -> Preference:
    """`sms_enabled` None: unchanged (the form did not offer texts)."""
    if user.role != User.Role.VETERINARIAN:
        digest_hours = None
    texts = {} if sms_enabled is None else {"sms_enabled": sms_enabled}
    preference, _ = Preference.objects.update_or_create(
        user=user,
        defaults={
            "email_enabled": email_enabled,
            "delay": delay,
            "quiet_from": quiet_from,
            "quiet_until": quiet_until,
            "web_push_enabled": web_push_enabled,
            "digest_hours": digest_hours,
            **texts,
        },
    )
    return preference


def email_unsubscribe(*, user_id: UUID) -> bool:
    """Turn off the user's unread emails; returns whether there was such a user."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    Preference.objects.update_or_create(user=user, defaults={"email_enabled": False})
    return True
