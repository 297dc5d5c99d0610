"""The chat's jobs, run by `python manage.py procrastinate worker` (queue "transcripts": the
worker that files transcripts writes the checkpoints beside them)."""

from django.utils import timezone
from procrastinate.contrib.django import app

from chat.checkpoints import checkpoint_write
from chat.scheduled import scheduled_due_send


# Hourly: whatever a superuser rewrites is at most an hour younger than the last checkpoint
# that saw it as it was.
@app.periodic(cron="0 * * * *", periodic_id="checkpoint_chats")
@app.task(queue="transcripts", queueing_lock="checkpoint_chats")
def checkpoint_chats(timestamp: int) -> str | None:
    """Sign every chat head that moved since the last checkpoint, outside the database."""
    return checkpoint_write(now=timezone.now())


@app.task(queue="notifications")
def send_scheduled() -> int:
    """Send the scheduled messages that are due (deferred for each one's time)."""
    return scheduled_due_send(now=timezone.now())


# Every minute: whatever a job missed (a worker down at the time, a job lost) goes at most a
# minute late.
@app.periodic(cron="* * * * *", periodic_id="send_scheduled_messages")
@app.task(queue="notifications", queueing_lock="send_scheduled_messages")
def send_scheduled_messages(timestamp: int) -> int:
    return scheduled_due_send(now=timezone.now())
