"""The texts' job, run by `python manage.py procrastinate worker` (queue "notifications")."""

from uuid import UUID

from django.utils import timezone
from procrastinate import JobContext
from procrastinate.contrib.django import app

from sms.outbound import text_give_up, text_send
from sms.retry import TEXT_RETRY


@app.task(queue="notifications", retry=TEXT_RETRY, pass_context=True)
def send_text(context: JobContext, *, text_id: str) -> str:
    """One text to Twilio; its status afterwards. While retries are left, an outage is
    re-raised and the job retried later; once none is, the text fails and the parent is told
    another way, so the job ends and no text is left waiting for ever."""
    try:
        text = text_send(text_id=UUID(text_id), now=timezone.now())
    except Exception as error:
        if TEXT_RETRY.get_retry_decision(exception=error, job=context.job) is not None:
            raise
        text = text_give_up(text_id=UUID(text_id), error=error, now=timezone.now())
    return text.status if text is not None else "gone"
