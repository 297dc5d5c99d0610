"""The calls' jobs, run by the worker of the "notifications" queue."""

from django.utils import timezone
from procrastinate.contrib.django import app

from calls.services import call_end_if_overdue, calls_overdue_end


@app.task(queue="notifications")
def end_call_if_overdue(call_id: str) -> str:
    """Deferred for the moment a call stops ringing, or a lost party's time to rejoin is up."""
    return call_end_if_overdue(call_id=call_id, now=timezone.now())


# Every minute: a call whose job was lost (a worker down at the time) still ends, at most a
# minute late, with the time it really ended.
@app.periodic(cron="* * * * *", periodic_id="end_overdue_calls")
@app.task(queue="notifications", queueing_lock="end_overdue_calls")
def end_overdue_calls(timestamp: int) -> int:
    return calls_overdue_end(now=timezone.now())
