"""How an email job retries, and when it gives up and sets the email aside.

A job that kept failing would hold its recipient's later emails behind it, and an error no
retry mends (a refused header, a template bug) would fail every attempt alike; so each send is
retried with backoff only for what a later attempt can mend, then recorded for staff
(`UndeliveredEmail`) and the job ends normally.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from procrastinate import BaseRetryStrategy, JobContext, RetryDecision
from procrastinate.jobs import Job

logger = logging.getLogger(__name__)

Sent = TypeVar("Sent")


class SmtpRetry(BaseRetryStrategy):
    """Back off VETCHAT_EMAIL_RETRY_SECONDS ** n seconds (2, 4, 8 … 1024 by default, about half
    an hour in all) for VETCHAT_EMAIL_ATTEMPTS tries. Read when a job fails, not at import, so
    a test's worker can retry within seconds."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        import smtplib  # here: only job workers send email, and a socket worker is smaller without

        # Greylisting, a restarting or unreachable server, a full mailbox (4xx): worth another try.
        if not isinstance(exception, (smtplib.SMTPException, OSError)):
            return None
        if job.attempts + 1 >= settings.VETCHAT_EMAIL_ATTEMPTS:
            return None
        return RetryDecision(
            retry_in={"seconds": settings.VETCHAT_EMAIL_RETRY_SECONDS ** (job.attempts + 1)}
        )


SMTP_RETRY = SmtpRetry()


def send_or_set_aside(
    context: JobContext,
    send: Callable[[], Sent],
    *,
    set_aside: Callable[[BaseException], object],
) -> Sent | None:
    """`send()`, re-raising its error while a retry is left (procrastinate then retries the job
    with backoff); once none is, `set_aside(error)` and None, so the job ends and the worker
    goes on with every other email."""
    try:
        return send()
    except Exception as error:
        if SMTP_RETRY.get_retry_decision(exception=error, job=context.job) is not None:
            raise
        # The job's id and the error's type only: addresses and names stay out of the logs.
        logger.warning(
            "Email of job %s (%s) set aside after %s attempts: %s",
            context.job.id,
            context.job.task_name,
            context.job.attempts + 1,
            type(error).__name__,
        )
        set_aside(error)
        return None
