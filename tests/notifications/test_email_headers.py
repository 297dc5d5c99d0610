"""A name in an email header can neither add a header nor stop the email: header text is one
line and a bounded length wherever it comes from (a person's name, a pet's, the clinic's)."""

import email
from email.policy import default as default_policy

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from appointments.services import co_owner_invite
from notifications.mail import HEADER_TEXT_MAX, header_text, headers_make_safe, mailbox
from notifications.models import UndeliveredEmail, UnreadEmail
from tests.factories import AppointmentFactory, PetParentFactory, send_message
from tests.notifications.conftest import jobs_left, wait_until
from tests.queued_email import send_queued_emails

INJECTED = "Robin\r\nBcc: eve@example.com"
LONG = "Sir Reginald " + "x" * 287  # 300 characters


def parsed(message: EmailMessage) -> email.message.EmailMessage:
    """The message as a receiving server reads its bytes."""
    return email.message_from_bytes(message.message().as_bytes(), policy=default_policy)


def test_header_text_is_one_line_of_bounded_length():
    assert header_text(INJECTED) == "Robin Bcc: eve@example.com"
    assert header_text("a\x00b\tc\u2028d\u202ee\x1bf") == "a b c d e f"
    assert header_text("Ali\u200cReza") == "Ali\u200cReza"  # a joiner a name needs stays
    long = header_text(LONG)
    assert len(long) == HEADER_TEXT_MAX and long.endswith("…")


def test_a_crlf_name_and_a_300_character_name_make_one_header_each():
    message = EmailMessage(
        subject=f"A question from {INJECTED} about {LONG}",
        body="hello",
        from_email=mailbox(LONG, "noreply@example.com"),
        to=["vet@example.com"],
        reply_to=[mailbox(INJECTED, "robin@example.com")],
        headers={"X-Injected": "yes"},
    )

    sent = parsed(headers_make_safe(message))

    for name in ("Subject", "From", "To", "Reply-To"):
        assert len(sent.get_all(name)) == 1, name
    assert sent["Bcc"] is None and sent["X-Injected"] is None
    assert "\n" not in str(sent["Subject"]) and "\r" not in str(sent["Subject"])
    assert sent["Reply-To"].addresses[0].addr_spec == "robin@example.com"
    assert sent["From"].addresses[0].addr_spec == "noreply@example.com"
    assert len(sent["From"].addresses[0].display_name) == HEADER_TEXT_MAX


@pytest.mark.django_db
def test_an_invitation_from_an_owner_with_a_line_break_in_their_name_goes_out():
    # given an owner whose name holds a line break (stored before names were checked)
    appointment = AppointmentFactory(pet__owner=PetParentFactory(name=INJECTED))
    co_owner_invite(pet_id=appointment.pet.pk, by=appointment.pet_parent, email="sam@example.com")

    assert send_queued_emails() == 1

    [message] = mail.outbox
    sent = parsed(message)
    assert sent.get_all("Subject") == [
        f"Robin Bcc: eve@example.com invites you to co-own {appointment.pet.name}"
    ]
    assert sent["Bcc"] is None and message.recipients() == ["sam@example.com"]
    assert not UndeliveredEmail.objects.exists()


def test_the_unread_email_about_a_crlf_sender_goes_out_with_one_subject(worker, smtp, settings):
    # given a parent whose name holds a line break, and a clinic whose name is 300 characters
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0
    parent = PetParentFactory(name=INJECTED)
    appointment = AppointmentFactory(pet__owner=parent)
    worker(VETCHAT_CLINIC_NAME=LONG)

    send_message(parent, appointment, "Thanks for seeing us yesterday")

    wait_until(lambda: smtp.messages, timeout=20, what="the vet's email")
    wait_until(lambda: jobs_left() == 0, what="the job to end")
    [message] = smtp.messages
    assert len(message.get_all("Subject")) == 1
    # folded over several encoded lines, as any long subject is; unfolded, it reads as one
    assert message["Subject"].strip().startswith("1 unread message about")
    assert "Robin Bcc: eve@example.com" in message["Subject"]
    assert message["Bcc"] is None
    assert message["To"] == appointment.veterinarian.email
    assert UnreadEmail.objects.get().status == UnreadEmail.Status.SENT
    assert not UndeliveredEmail.objects.exists()
