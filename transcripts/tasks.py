"""The transcript jobs, run by `python manage.py procrastinate worker` (queue "transcripts")."""

from uuid import UUID

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from transcripts.services import transcript_render, transcripts_file_closed


@app.task(queue="transcripts", retry=RetryStrategy(max_attempts=3, wait=30))
def render_transcript(*, transcript_id: str) -> str:
    """Lay out one transcript's PDF (long chats, and the record filed when a window closes)."""
    return transcript_render(transcript_id=UUID(transcript_id)).status


# Every 10 minutes: a window that closed is filed within ten minutes of closing.
@app.periodic(cron="*/10 * * * *", periodic_id="file_transcripts")
@app.task(queue="transcripts", queueing_lock="file_closed_transcripts")
def file_closed_transcripts(timestamp: int) -> int:
    """File the transcript of every appointment whose follow-up window has closed."""
    return transcripts_file_closed()
