"""Self sign-up proves the address; sign-up and password reset tell nobody which addresses exist."""

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, PetParentFactory
from tests.queued_email import send_queued_emails

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Robin Lee",
    "email": "robin@example.com",
    "password1": "a-long-secret-phrase",
    "password2": "a-long-secret-phrase",
}


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


def test_a_new_pet_parent_must_confirm_their_address_before_chatting(client):
    # when Robin signs up
    response = client.post(reverse("account_signup"), SIGNUP)
    # then nobody is signed in yet, and a confirmation link is on its way
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    assert client.get("/api/appointments/").status_code == HTTPStatus.UNAUTHORIZED
    assert mail.outbox == []  # the job worker sends it
    send_queued_emails()
    assert [m.to for m in mail.outbox] == [["robin@example.com"]]

    # and signing in with the password alone is not enough
    client.post(
        reverse("account_login"), {"login": "robin@example.com", "password": SIGNUP["password1"]}
    )
    assert client.get("/api/appointments/").status_code == HTTPStatus.UNAUTHORIZED

    # when Robin follows the link from the email and confirms
    confirm = link_in(mail.outbox[-1])
    assert client.get(confirm).status_code == HTTPStatus.OK
    client.post(confirm)
    response = client.post(
        reverse("account_login"),
        {"login": "robin@example.com", "password": SIGNUP["password1"]},
        follow=True,
    )
    # then Robin lands on their appointments as a pet parent
    assert response.redirect_chain[-1][0] == "/appointments/"
    assert "No appointments yet" in response.text
    assert User.objects.get(email="robin@example.com").role == User.Role.PET_PARENT


def test_signing_up_with_a_taken_address_looks_the_same_and_takes_nothing(client):
    owner = PetParentFactory(email="taken@example.com")
    fresh = client.post(reverse("account_signup"), {**SIGNUP, "email": "new@example.com"})
    taken = client.__class__().post(
        reverse("account_signup"), {**SIGNUP, "email": "taken@example.com"}
    )

    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url)
    assert User.objects.filter(email="taken@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.name != "Robin Lee"
    # the address's owner is told someone tried, in their own mailbox
    send_queued_emails()
    assert {m.to[0] for m in mail.outbox} == {"new@example.com", "taken@example.com"}


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client):
    PetParentFactory(email="known@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == HTTPStatus.FOUND
    assert known.url == unknown.url
    page_known = client.get(known.url).text
    page_unknown = client.get(unknown.url).text
    assert page_known.replace("known@", "X@") == page_unknown.replace("nobody@", "X@")
