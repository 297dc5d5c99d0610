"""The on-call jobs, run by the worker of the "notifications" queue."""

from uuid import UUID

from django.utils import timezone
from procrastinate import JobContext
from procrastinate.contrib.django import app

from oncall.services import (
    page_text_give_up,
    page_text_send,
    pages_overdue_escalate,
    round_escalate_if_due,
)
from sms.retry import TEXT_RETRY


@app.task(queue="notifications")
def escalate_page_round(chat_id: int, round: int) -> str:
    """Deferred for a round's due time: escalated if nobody acknowledged it by then."""
    return round_escalate_if_due(chat_id=chat_id, round_=round, now=timezone.now())


# Every minute: a round whose job was lost (a worker down at the time) still escalates, at most
# a minute late.
@app.periodic(cron="* * * * *", periodic_id="escalate_overdue_pages")
@app.task(queue="notifications", queueing_lock="escalate_overdue_pages")
def escalate_overdue_pages(timestamp: int) -> int:
    return pages_overdue_escalate(now=timezone.now())


@app.task(queue="notifications", retry=TEXT_RETRY, pass_context=True)
def send_page_text(context: JobContext, *, page_id: str) -> str:
    """A page's text to the shift's pager phone, retried as the sms app's texts are."""
    try:
        page = page_text_send(page_id=UUID(page_id), now=timezone.now())
    except Exception as error:
        if TEXT_RETRY.get_retry_decision(exception=error, job=context.job) is not None:
            raise
        page = page_text_give_up(page_id=UUID(page_id))
    if page is None:
        return "gone"
    return "sent" if page.text_sid else (page.text_error or "none")
