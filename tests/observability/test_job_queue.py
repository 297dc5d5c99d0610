"""Each job queue's waiting jobs and how long the oldest has waited, read when scraped."""

from datetime import timedelta

import pytest
from django.db import connection
from procrastinate.contrib.django import app
from prometheus_client.parser import text_string_to_metric_families

from vetchat.observability import JobQueue, JobQueueCollector, job_queues, scrape

pytestmark = pytest.mark.django_db

QUEUE = "observed"


def deferred(*, schedule_in: timedelta | None = None):
    """A job on the test's own queue, and when it was deferred (the database's clock)."""
    later = {} if schedule_in is None else {"schedule_at": _now() + schedule_in}
    job_id = app.configure_task("tests.observed", queue=QUEUE, allow_unknown=True, **later).defer()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT at FROM procrastinate_events WHERE job_id = %s AND type = 'deferred'",
            [job_id],
        )
        return cursor.fetchone()[0]


def _now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def ours(queues: list[JobQueue]) -> JobQueue:
    return next(queue for queue in queues if queue.name == QUEUE)


def test_a_deferred_job_waits_from_when_it_was_deferred():
    at = deferred()

    assert ours(job_queues(now=at + timedelta(seconds=90))) == JobQueue(QUEUE, 1, 90.0)


def test_a_job_scheduled_for_later_waits_only_from_its_time():
    # given one job deferred now, one due in a minute and one due in an hour
    at = deferred()
    deferred(schedule_in=timedelta(minutes=1))
    deferred(schedule_in=timedelta(hours=1))

    # then at first only the first waits; two minutes on, two wait, the oldest for two minutes
    assert ours(job_queues(now=at + timedelta(seconds=30))) == JobQueue(QUEUE, 1, 30.0)
    assert ours(job_queues(now=at + timedelta(minutes=2))) == JobQueue(QUEUE, 2, 120.0)


def test_every_queue_a_task_names_is_reported_even_empty(django_assert_num_queries):
    now = _now()
    with django_assert_num_queries(1):
        queues = {queue.name: queue for queue in job_queues(now=now)}

    assert {"notifications", "push", "transcripts", "attachments"} <= set(queues)
    assert queues["push"] == JobQueue("push", 0, 0.0)


def test_the_scrape_reports_depth_and_age_by_queue():
    at = deferred()
    collector = JobQueueCollector(now=lambda: at + timedelta(seconds=45))

    families = {
        family.name: family
        for family in text_string_to_metric_families(scrape(jobs=collector).decode())
    }

    def value(name: str) -> float:
        (sample,) = [s for s in families[name].samples if s.labels == {"queue": QUEUE}]
        return sample.value

    assert value("vetchat_job_queue_depth") == 1
    assert value("vetchat_job_queue_oldest_age_seconds") == 45
    assert families["vetchat_job_queue_readable"].samples[0].value == 1
