"""The notification jobs, run by `python manage.py procrastinate worker`."""

import smtplib
from uuid import UUID

from django.conf import settings
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from accounts.models import User
from notifications.emails import deliver
from notifications.models import UnreadEmail
from notifications.services import (
    digest_claim,
    digest_job_defer,
    unread_email_claim,
    unread_job_defer,
)

# SMTP servers refuse or drop connections for a while (greylisting, restarts): back off
# 2, 4, 8 … 1024 seconds, about half an hour in all, before giving up.
SMTP_RETRY = RetryStrategy(
    max_attempts=10, exponential_wait=2, retry_exceptions=[smtplib.SMTPException, OSError]
)


def _pending(user_id: UUID, **filters: object) -> list[UnreadEmail]:
    return list(
        UnreadEmail.objects.filter(user_id=user_id, status=UnreadEmail.Status.PENDING, **filters)
    )


@app.task(queue="notifications", retry=SMTP_RETRY)
def notify_unread(*, user_id: str, chat_id: int) -> int:
    """One email about the chat's messages the user has not read since the last one.

    Pending emails of this user and chat (a run killed after recording, or refused by SMTP) go
    out first; a new window is recorded only then, so each window is one email.
    """
    uid = UUID(user_id)
    user = User.objects.get(pk=uid)
    pending = _pending(uid, chat_id=chat_id)
    sent = deliver(user, pending) if pending else 0
    claim = unread_email_claim(user_id=uid, chat_id=chat_id)
    if claim.held_until is not None:
        unread_job_defer(user_id=uid, chat_id=chat_id, at=claim.held_until)
    if claim.email is not None:
        sent += deliver(user, [claim.email])
    return sent


@app.task(queue="notifications", retry=SMTP_RETRY)
def send_digest(*, user_id: str) -> int:
    """A vet's digest: one email listing every chat with messages they have not read."""
    uid = UUID(user_id)
    user = User.objects.get(pk=uid)
    pending = _pending(uid)
    if pending:
        return deliver(user, pending)
    recorded, held_until = digest_claim(user_id=uid)
    if held_until is not None:
        digest_job_defer(user_id=uid, at=held_until)
        return 0
    return deliver(user, recorded) if recorded else 0


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
