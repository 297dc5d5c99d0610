"""No email is sent inside a request: with the SMTP server down, sign-up, password reset and a
co-owner invitation answer at once and save everything; the worker sends their emails, retrying
with backoff, once the server is back."""

import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from appointments.models import CoOwnership
from appointments.services import co_owner_invite
from notifications.models import QueuedEmail
from tests.notifications.conftest import wait_until
from tests.signin import signed_in_client
from vetchat.errors import Conflict

SIGNUP = {
    "name": "Robin Lee",
    "email": "robin@example.com",
    "password1": "a-long-secret-phrase",
    "password2": "a-long-secret-phrase",
}


def send_email_attempts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(attempts), 0) FROM procrastinate_jobs WHERE task_name = %s",
            ["notifications.tasks.send_email"],
        )
        return cursor.fetchone()[0]


def test_with_smtp_down_pages_answer_and_the_emails_go_when_it_is_back(
    worker, smtp, parent, appointment
):
    # given the mail server is down
    smtp.stop()

    # when someone signs up, a parent asks for a reset and an owner invites a co-owner
    signup = Client(raise_request_exception=False).post(reverse("account_signup"), SIGNUP)
    reset = Client(raise_request_exception=False).post(
        reverse("account_reset_password"), {"email": parent.email}
    )
    owner = signed_in_client(parent)
    owner.raise_request_exception = False
    invite = owner.post(f"/pets/{appointment.pet.pk}/co-owners/", {"email": "sam@example.com"})

    # then each page answers as usual, and what they saved is saved
    assert (signup.status_code, signup.url) == (
        HTTPStatus.FOUND,
        reverse("account_email_verification_sent"),
    )
    assert (reset.status_code, reset.url) == (
        HTTPStatus.FOUND,
        reverse("account_reset_password_done"),
    )
    assert invite.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email="robin@example.com").exists()
    assert CoOwnership.objects.filter(email="sam@example.com").exists()
    assert QueuedEmail.objects.count() == 3

    # and the worker's first tries fail and are retried with backoff
    worker()
    wait_until(lambda: send_email_attempts() >= 3, what="the first attempts")
    assert smtp.messages == []

    # when the server is back, every email goes, once
    smtp.start()
    wait_until(lambda: len(smtp.messages) == 3, timeout=30, what="the three emails")
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        ["robin@example.com", parent.email, "sam@example.com"]
    )
    wait_until(lambda: not QueuedEmail.objects.exists(), what="the queue to empty")
    [confirmation] = smtp.to("robin@example.com")
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://testserver(/\S+)", text).group(1)
    assert Client().get(link).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_an_invitation_refused_queues_no_email(parent, appointment):
    co_owner_invite(pet_id=appointment.pet.pk, by=parent, email="sam@example.com")
    with pytest.raises(Conflict):
        co_owner_invite(pet_id=appointment.pet.pk, by=parent, email="sam@example.com")
    assert QueuedEmail.objects.count() == 1
