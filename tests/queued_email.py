"""Run the email jobs a test queued, in the test's own process and database transaction.

Every email goes out through the job worker; tests that read `mail.outbox` right after a
sign-up, a reset or an invitation call `send_queued_emails()` first. The job is the real task,
fetched and finished with procrastinate's own SQL functions, so what it does to the database
(the queued row deleted, an undeliverable email set aside) is what the worker would do.
"""

import json
import time

from django.db import connection
from procrastinate import JobContext
from procrastinate.contrib.django import app
from procrastinate.jobs import Job

TASK = "notifications.tasks.send_email"


def send_queued_emails() -> int:
    """Send every queued email that is due; returns how many jobs ran."""
    from notifications.tasks import send_email

    ran = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
                " AND (scheduled_at IS NULL OR scheduled_at <= now()) ORDER BY id LIMIT 1"
                " FOR UPDATE SKIP LOCKED",
                [TASK],
            )
            found = cursor.fetchone()
            if found is None:
                return ran
            cursor.execute(
                "UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s RETURNING *",
                [found[0]],
            )
            columns = [column.name for column in cursor.description]
            row = dict(zip(columns, cursor.fetchone(), strict=True))
        # Django's connection hands jsonb over as text, for its JSONField to decode.
        job = Job.from_row({**row, "args": json.loads(row["args"])})
        context = JobContext(
            app=app, job=job, start_timestamp=time.time(), abort_reason=lambda: None
        )
        send_email.func(context, **job.task_kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT procrastinate_finish_job_v1(%s, 'succeeded', true)", [job.id])
        ran += 1
