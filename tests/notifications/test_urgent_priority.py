"""A red flag's email is the next one the worker takes, however many ordinary emails are due."""

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from tests.factories import AppointmentFactory, send_message

pytestmark = pytest.mark.django_db


def next_job_user() -> str:
    """Whom the next email job the worker would take is for, as procrastinate decides it, once
    every job is due (the test's transaction holds PostgreSQL's now() at its start)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() - interval '1 s'")
        cursor.execute("SELECT args FROM procrastinate_fetch_job_v2(ARRAY['notifications'], NULL)")
        return cursor.fetchone()[0]


def test_a_red_flag_goes_before_a_backlog_of_ordinary_emails(settings, parent, vet, appointment):
    # given ordinary emails to three other vets, all due now
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0
    for other in AppointmentFactory.create_batch(3):
        send_message(other.pet_parent, other, "Thanks for yesterday")
    assert ProcrastinateJob.objects.count() == 3

    # when a parent's message shows a red flag
    send_message(parent, appointment, "He collapsed and is breathing really fast")

    # then the worker takes that vet's job first
    assert str(vet.pk) in next_job_user()


def test_a_red_flag_brings_a_waiting_job_forward_ahead_of_the_backlog(
    settings, parent, vet, appointment
):
    # given a backlog, then an ordinary message to the vet, its job queued after the backlog's
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0
    for other in AppointmentFactory.create_batch(3):
        send_message(other.pet_parent, other, "Thanks for yesterday")
    assert ProcrastinateJob.objects.count() == 3
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 600
    send_message(parent, appointment, "A quick question about his diet")

    # when a red flag follows, the same job is brought forward, ahead of the backlog
    send_message(parent, appointment, "Actually he just ate a bar of chocolate")

    assert str(vet.pk) in next_job_user()
