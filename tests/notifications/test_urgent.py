"""A red flag tells the vet at once: no delay, through quiet hours and past a digest, through a
real worker and SMTP server."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Preference
from tests.clinic.conftest import ensure_clinic_defaults
from tests.factories import send_message
from tests.notifications.conftest import jobs_left, wait_until

LONG_DELAY = 600  # the clinic's usual delay: an ordinary message waits ten minutes


@pytest.fixture(autouse=True)
def red_flag_signs(transactional_db):
    ensure_clinic_defaults()


@pytest.fixture(autouse=True)
def long_delay(settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = LONG_DELAY


def quiet_now(user) -> None:
    now = timezone.localtime()
    Preference.objects.create(
        user=user,
        quiet_from=(now - timedelta(hours=1)).time(),
        quiet_until=(now + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )


def test_a_red_flag_emails_the_vet_at_once_through_quiet_hours(
    worker, smtp, appointment, parent, vet
):
    quiet_now(vet)
    worker()
    sent_at = time.monotonic()
    send_message(parent, appointment, "He collapsed and is breathing really fast")

    wait_until(lambda: smtp.messages, timeout=30, what="the urgent email")
    assert time.monotonic() - sent_at < 30  # not the ten minutes nor the quiet hours
    [message] = smtp.messages
    assert message["To"] == vet.email


def test_a_waiting_ordinary_job_is_brought_forward_by_a_red_flag(
    worker, smtp, appointment, parent, vet
):
    send_message(parent, appointment, "Quick question about his diet")
    assert jobs_left() == 1  # scheduled ten minutes out
    worker()
    time.sleep(1)
    assert smtp.messages == []

    send_message(parent, appointment, "Actually he just ate a bar of chocolate")

    wait_until(lambda: smtp.messages, timeout=30, what="the urgent email")
    wait_until(lambda: jobs_left() == 0, timeout=10, what="the one job to finish")
    [message] = smtp.messages
    assert "2 unread messages" in message["Subject"]


def test_a_vet_on_a_digest_still_hears_of_a_red_flag_at_once(
    worker, smtp, appointment, parent, vet
):
    Preference.objects.create(user=vet, digest_hours=4)
    worker()
    send_message(parent, appointment, "She's been fitting for two minutes")
    wait_until(lambda: smtp.to(vet.email), timeout=30, what="the urgent email")


def test_an_ordinary_message_still_waits_for_the_delay(worker, smtp, appointment, parent, vet):
    worker()
    send_message(parent, appointment, "No seizures since Monday, thank you!")
    time.sleep(3)
    assert smtp.messages == []
    assert jobs_left() == 1


def test_a_vet_who_wants_no_notifications_gets_none_even_for_a_red_flag(
    worker, smtp, appointment, parent, vet
):
    Preference.objects.create(user=vet, email_enabled=False, web_push_enabled=False)
    worker()
    send_message(parent, appointment, "He got hit by a car")
    time.sleep(3)
    assert smtp.messages == []
    assert jobs_left() == 0
