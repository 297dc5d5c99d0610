"""A worker killed with SIGKILL in the middle of a batch: every user still gets exactly one
email per chat and window, from the worker that takes over its stalled job."""

import time
from collections import Counter

import pytest

from notifications.models import UnreadEmail
from tests.factories import AppointmentFactory, PetParentFactory, send_message
from tests.notifications.conftest import jobs_left, wait_until

CHATS = 6


@pytest.fixture(autouse=True)
def immediate(settings):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0


def test_killed_worker_mid_batch_gives_exactly_one_email_per_user_and_chat(worker, smtp, vet):
    appointments = [
        AppointmentFactory(veterinarian=vet, pet__owner=PetParentFactory()) for _ in range(CHATS)
    ]
    smtp.slow = 0.4
    stalled_after = {"VETCHAT_WORKER_STALLED_SECONDS": "1.5"}
    first = worker(**stalled_after)
    for appointment in appointments:
        send_message(vet, appointment, "Your results are in.")

    # given: two emails accepted, the third in the middle of its SMTP conversation
    wait_until(lambda: len(smtp.messages) >= 2, timeout=30, what="two emails")
    time.sleep(0.15)
    # when
    first.kill()
    accepted_before = len(smtp.messages)
    assert accepted_before < CHATS
    assert jobs_left(statuses=("doing",)) == 1  # left running by the dead worker

    # then: the next worker retries the stalled job and runs the rest
    time.sleep(2)
    worker(**stalled_after)
    wait_until(lambda: jobs_left() == 0, timeout=40, what="every job to finish")
    time.sleep(0.5)

    recipients = Counter(message["To"] for message in smtp.messages)
    assert recipients == Counter({a.pet_parent.email: 1 for a in appointments})
    assert set(UnreadEmail.objects.values_list("status", flat=True)) == {UnreadEmail.Status.SENT}
    assert UnreadEmail.objects.count() == CHATS
