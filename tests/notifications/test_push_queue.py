"""Pushes run on a queue and a worker of their own: fifty push services that never answer hold
back no email, through real workers, a real SMTP server and local push services."""

import re
import time
from pathlib import Path

import pytest
from procrastinate.contrib.django import app

from notifications.push_subscriptions import SUBSCRIPTIONS_PER_USER, push_subscription_save
from tests.factories import AppointmentFactory, send_message
from tests.notifications.conftest import jobs_left, wait_until
from tests.notifications.push_services import LocalPushService, b64url, browser_keys, vapid_settings

ROOT = Path(__file__).resolve().parents[2]
SEND_PUSH = "notifications.tasks.send_push"


@pytest.fixture
def silent_push_service():
    """Takes each push and answers only when the test is over."""
    service = LocalPushService()
    service.hold = True
    yield service
    service.close()


def test_fifty_silent_push_services_delay_no_email(
    worker, smtp, silent_push_service, vet, settings
):
    # given five parents with ten browsers each on a push service that never answers, then a
    # sixth parent, all told of a message from the vet at once
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0
    settings.VETCHAT_PUSH_HOSTS = [silent_push_service.origin]
    _, public, auth = browser_keys()
    pushed = [AppointmentFactory(veterinarian=vet) for _ in range(5)]
    for appointment in pushed:
        for n in range(SUBSCRIPTIONS_PER_USER):
            push_subscription_save(
                user=appointment.pet_parent,
                endpoint=f"{silent_push_service.origin}/push/{appointment.pk}/{n}",
                p256dh=public,
                auth=b64url(auth),
            )
    last = AppointmentFactory(veterinarian=vet)
    for appointment in [*pushed, last]:
        send_message(vet, appointment, "Your results are in.")

    # when the two workers of production run: emails, and pushes (with the real timeout)
    environment = {"VETCHAT_PUSH_HOSTS": silent_push_service.origin, **vapid_settings()}
    worker(queues="notifications", **environment)
    worker(queues="push", **environment)
    started = time.monotonic()

    # then every email, the sixth parent's last, goes out at once, while the pushes still wait
    wait_until(lambda: smtp.to(last.pet_parent.email), timeout=30, what="the last email")
    assert time.monotonic() - started < 30
    assert {message["To"] for message in smtp.messages} == {
        appointment.pet_parent.email for appointment in [*pushed, last]
    }
    assert silent_push_service.arrived.acquire(timeout=15)  # the push worker is at it
    assert jobs_left(SEND_PUSH) > 40


def test_make_run_has_a_worker_for_every_queue_and_one_for_push_alone(db):
    # (`db`: this folder's fixtures empty the job queue's tables before every test)
    script = (ROOT / "scripts" / "run.sh").read_text()
    workers = [
        set(match.split(","))
        for match in re.findall(r"manage\.py procrastinate worker --queues (\S+)", script)
    ]
    # procrastinate's own tasks (removing old jobs) are deferred by nobody here
    queues = {task.queue for name, task in app.tasks.items() if "procrastinate." not in name}

    assert set().union(*workers) == queues
    assert {"push"} in workers
    assert all("push" not in each for each in workers if each != {"push"})
