"""The notification jobs, run by `python manage.py procrastinate worker`."""

from uuid import UUID

from django.conf import settings
from procrastinate import JobContext
from procrastinate.contrib.django import app

from accounts.models import User
from notifications.emails import deliver
from notifications.mail import message_from_job
from notifications.models import QueuedEmail, UnreadEmail
from notifications.push import TTL_SECONDS, push_deliver
from notifications.retry import SMTP_RETRY, send_or_set_aside
from notifications.services import (
    digest_claim,
    digest_job_defer,
    email_set_aside,
    unread_email_claim,
    unread_job_defer,
)


def _pending(user_id: UUID, **filters: object) -> list[UnreadEmail]:
    return list(
        UnreadEmail.objects.filter(user_id=user_id, status=UnreadEmail.Status.PENDING, **filters)
    )


def _deliver(context: JobContext, user: User, emails: list[UnreadEmail], *, kind: str) -> int:
    """`deliver`, or once retries are spent, the emails set aside: a recipient whose emails
    cannot go never keeps a job failing, nor their own later emails waiting."""

    def set_aside(error: BaseException) -> None:
        count = sum(email.message_count for email in emails)
        email_set_aside(
            kind=kind,
            recipient=user.email,
            user_id=user.pk,
            subject=f"{count} unread in chat {', '.join(str(e.chat_id) for e in emails)}",
            error=error,
            attempts=context.job.attempts + 1,
            unread=emails,
        )

    return send_or_set_aside(context, lambda: deliver(user, emails), set_aside=set_aside) or 0


@app.task(queue="notifications", retry=SMTP_RETRY, pass_context=True)
def notify_unread(context: JobContext, *, user_id: str, chat_id: int) -> int:
    """One email about the chat's messages the user has not read since the last one.

    Pending emails of this user and chat (a run killed after recording, or refused by SMTP) go
    out first; a new window is recorded only then, so each window is one email.
    """
    uid = UUID(user_id)
    user = User.objects.get(pk=uid)
    pending = _pending(uid, chat_id=chat_id)
    sent = _deliver(context, user, pending, kind="unread") if pending else 0
    claim = unread_email_claim(user_id=uid, chat_id=chat_id)
    if claim.held_until is not None:
        unread_job_defer(user_id=uid, chat_id=chat_id, at=claim.held_until)
    if claim.email is not None:
        sent += _deliver(context, user, [claim.email], kind="unread")
    return sent


@app.task(queue="notifications", retry=SMTP_RETRY, pass_context=True)
def send_digest(context: JobContext, *, user_id: str) -> int:
    """A vet's digest: one email listing every chat with messages they have not read."""
    uid = UUID(user_id)
    user = User.objects.get(pk=uid)
    pending = _pending(uid)
    if pending:
        return _deliver(context, user, pending, kind="digest")
    recorded, held_until = digest_claim(user_id=uid)
    if held_until is not None:
        digest_job_defer(user_id=uid, at=held_until)
        return 0
    return _deliver(context, user, recorded, kind="digest") if recorded else 0


@app.task(queue="notifications", retry=SMTP_RETRY, pass_context=True)
def send_email(context: JobContext, *, queued_id: int) -> int:
    """One queued email (an account's confirmation, reset or sign-in code, an invitation):
    sent and forgotten, or set aside once retries are spent. Its row gone means a run before
    this one sent it (a worker killed before the job was marked done)."""
    queued = QueuedEmail.objects.filter(pk=queued_id).first()
    if queued is None:
        return 0

    def send() -> int:
        sent = message_from_job(queued.message).send(fail_silently=False)
        queued.delete()
        return sent

    def set_aside(error: BaseException) -> None:
        email_set_aside(
            kind=queued.kind,
            recipient=", ".join(queued.message.get("to", [])),
            subject=str(queued.message.get("subject", "")),
            error=error,
            attempts=context.job.attempts + 1,
            queued=queued,
        )

    return send_or_set_aside(context, send, set_aside=set_aside) or 0


# Every 10 seconds (croniter's sixth field): one cheap query, and a killed worker's email
# goes out soon after its heartbeat is found stale.
@app.periodic(cron="* * * * * */10", periodic_id="retry_stalled")
@app.task(queue="notifications", queueing_lock="retry_stalled_jobs")
async def retry_stalled_jobs(timestamp: int) -> int:
    """Jobs of a worker that died (no heartbeat) go back to the queue; recorded emails make a
    second run send only what the first did not."""
    stale = settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]
    jobs = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stale)
    for job in jobs:
        await app.job_manager.retry_job(job)
    return len(jobs)


# Pushes have a queue, and in `make run` and production a worker, of their own: a push service
# that is slow or down then holds back other pushes only, never an email.
@app.task(queue="push")
def send_push(*, subscription_id: int, user_id: str, body: str, ttl: int = TTL_SECONDS) -> bool:
    """One push, already encrypted to its browser (notifications/push.py), to its push service."""
    return push_deliver(subscription_id=subscription_id, user_id=UUID(user_id), body=body, ttl=ttl)
