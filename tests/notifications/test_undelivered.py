"""An email that cannot go is retried with backoff, then set aside where staff see it; it holds
back no other recipient's email, no later urgent one, and not its own recipient's next one.
Through a real worker and SMTP server that refuses one address for good."""

import time
from http import HTTPStatus

import pytest

from notifications.models import UndeliveredEmail, UnreadEmail
from tests.clinic.conftest import ensure_clinic_defaults
from tests.factories import AppointmentFactory, VetFactory, send_message
from tests.notifications.conftest import jobs_left, wait_until

GONE = "gone@example.com"
ATTEMPTS = 3


@pytest.fixture(autouse=True)
def red_flag_signs(transactional_db, settings):
    ensure_clinic_defaults()
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 600  # only a red flag is told at once


def test_a_recipient_who_cannot_receive_holds_back_nobody(worker, smtp, client_for, staff):
    # given a vet whose address the mail server refuses, and another vet
    refused = AppointmentFactory(veterinarian=VetFactory(email=GONE))
    other = AppointmentFactory()
    smtp.unknown.add(GONE)
    worker(VETCHAT_EMAIL_ATTEMPTS=str(ATTEMPTS), VETCHAT_EMAIL_RETRY_SECONDS="1")

    # when the first vet's urgent email is refused
    send_message(refused.pet_parent, refused, "He collapsed and is breathing really fast")
    wait_until(lambda: smtp.refused, what="the first refusal")

    # then the other vet's red flag, sent while it waits for its retry, goes at once
    sent_at = time.monotonic()
    send_message(other.pet_parent, other, "She's been fitting for two minutes")
    wait_until(lambda: smtp.to(other.veterinarian.email), timeout=10, what="the other email")
    assert time.monotonic() - sent_at < 10

    # and the refused email, tried ATTEMPTS times with backoff, is set aside
    undelivered = wait_until(
        lambda: UndeliveredEmail.objects.first(), timeout=30, what="the email set aside"
    )
    assert (undelivered.recipient, undelivered.kind) == (GONE, "unread")
    assert undelivered.attempts == ATTEMPTS == len(smtp.refused)
    assert undelivered.user_id == refused.veterinarian_id
    assert "SMTPRecipientsRefused" in undelivered.reason
    assert UnreadEmail.objects.get(user=refused.veterinarian).status == UnreadEmail.Status.FAILED
    wait_until(lambda: jobs_left() == 0, what="no job left retrying")

    # and once the address works again, the vet's next red flag is not stuck behind it
    smtp.unknown.clear()
    send_message(refused.pet_parent, refused, "He ate a whole bar of chocolate")
    [later] = wait_until(lambda: smtp.to(GONE), timeout=10, what="the next email")
    assert later["Subject"].strip().startswith("1 unread message")

    # staff find the set-aside email in the admin, where it cannot be edited
    admin = client_for(staff)
    listing = admin.get("/admin/notifications/undeliveredemail/")
    assert listing.status_code == HTTPStatus.OK
    assert GONE in listing.text and "SMTPRecipientsRefused" in listing.text
    assert admin.get("/admin/notifications/undeliveredemail/add/").status_code == (
        HTTPStatus.FORBIDDEN
    )
