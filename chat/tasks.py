"""The chat's jobs, run by `python manage.py procrastinate worker` (queue "transcripts": the
worker that files transcripts writes the checkpoints beside them)."""

from django.utils import timezone
from procrastinate.contrib.django import app

from chat.checkpoints import checkpoint_write


# Hourly: whatever a superuser rewrites is at most an hour younger than the last checkpoint
# that saw it as it was.
@app.periodic(cron="0 * * * *", periodic_id="checkpoint_chats")
@app.task(queue="transcripts", queueing_lock="checkpoint_chats")
def checkpoint_chats(timestamp: int) -> str | None:
    """Sign every chat head that moved since the last checkpoint, outside the database."""
    return checkpoint_write(now=timezone.now())
