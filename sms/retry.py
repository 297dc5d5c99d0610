"""How a text's job retries: like an email's (notifications/retry.py), only for what a later
attempt may mend, and then gives up so the parent is told another way."""

from django.conf import settings
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job


def is_outage(exception: BaseException) -> bool:
    """A provider that is down: no connection, a timeout (requests' errors are OSErrors), or
    a 5xx/429 answer (re-raised by `text_send`)."""
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exception, TwilioRestException):
        return exception.status >= 500 or exception.status == 429
    return isinstance(exception, OSError)


class TextRetry(BaseRetryStrategy):
    """Back off VETCHAT_EMAIL_RETRY_SECONDS ** n seconds for VETCHAT_EMAIL_ATTEMPTS tries, as
    emails do: a provider down for half an hour loses no text."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not is_outage(exception) or job.attempts + 1 >= settings.VETCHAT_EMAIL_ATTEMPTS:
            return None
        return RetryDecision(
            retry_in={"seconds": settings.VETCHAT_EMAIL_RETRY_SECONDS ** (job.attempts + 1)}
        )


TEXT_RETRY = TextRetry()
