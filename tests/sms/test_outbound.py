"""An unread message reaches a pet parent who consented to texts as a text, through Twilio's
client and the local stand-in over HTTP, instead of the email: the sign-in link, the pet and
the clinic, no message words unless previews are on; the preferences apply; an outage loses no
text; a text Twilio refuses fails with its reason and the parent is emailed instead."""

from datetime import time as clock
from datetime import timedelta
from http import HTTPStatus

import pytest
import requests
from django.core import mail
from django.test import Client
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException

from accounts.signin_links import signin_link_check
from notifications.models import Preference, UnreadEmail
from notifications.texts import TEXT_MAX, TextNotice, text_body
from sms.models import Phone, Text
from sms.outbound import SIGNIN_LINK, text_send
from sms.retry import TEXT_RETRY, is_outage
from tenancy.models import Clinic
from tests.notifications.push_services import vapid_settings
from tests.sms.conftest import SENDER
from tests.sms.outbound_helpers import (
    PARENT_NUMBER,
    consented_phone,
    jobs,
    notify,
    pending_emails,
    send_queued_texts,
    subscribe_browser,
)

pytestmark = pytest.mark.django_db

WORDS = "kidney"


@pytest.fixture
def biscuit(appointment):
    appointment.pet.name = "Biscuit"
    appointment.pet.save()
    Clinic.objects.filter(pk=appointment.clinic_id).update(
        name="Riverside Vets", email_sender_name=""
    )
    return appointment


def test_an_unread_message_is_texted_with_the_signin_link_and_no_message_words(
    twilio, parent, vet, biscuit
):
    consented_phone(parent)

    emails_sent = notify(parent, vet, biscuit)
    [text] = send_queued_texts()

    assert emails_sent == 0 and mail.outbox == []  # the text replaces the email
    [sent] = twilio.sent()
    assert (sent["to"], sent["from"], sent["sid"]) == (PARENT_NUMBER, SENDER, text.provider_sid)
    body = sent["body"]
    assert body.startswith("New message about Biscuit from Riverside Vets. Read and reply: ")
    assert WORDS not in body and vet.name not in body
    assert len(body) <= TEXT_MAX
    link = body.rsplit(" ", 1)[1]
    assert Client().get(link.removeprefix("http://127.0.0.1:1")).status_code == HTTPStatus.OK
    signin = signin_link_check(token=link.rstrip("/").rsplit("/", 1)[1])
    assert (signin.user_id, signin.appointment_id) == (parent.pk, biscuit.pk)
    assert text.status == Text.Status.QUEUED and text.appointment_id == biscuit.pk
    # the link's token is its only copy: made as the text went, never in the row
    text.refresh_from_db()
    assert link not in text.body and text.body.endswith("Read and reply: " + SIGNIN_LINK)
    assert Phone.objects.get(user=parent).last_appointment_id == biscuit.pk
    [email] = UnreadEmail.objects.filter(user=parent)
    assert (email.status, email.text_id) == (UnreadEmail.Status.TEXTED, text.pk)
    # Twilio is asked to report the text's states to the status webhook.
    twilio_callbacks_asked = {url for url, _, _ in twilio.callbacks}
    assert twilio_callbacks_asked <= {"http://127.0.0.1:1/sms/twilio/status"}


def test_previews_put_the_newest_message_in_the_text_within_two_segments(
    twilio, parent, vet, biscuit, settings
):
    settings.VETCHAT_EMAIL_PREVIEWS = True
    consented_phone(parent)
    notify(parent, vet, biscuit, "Biscuit's kidney values are high. " * 20)
    send_queued_texts()
    [sent] = twilio.sent()
    assert WORDS in sent["body"] and vet.display_name in sent["body"]
    assert len(sent["body"]) <= TEXT_MAX
    assert "Read and reply: http" in sent["body"]


def test_the_text_goes_to_the_web_push_too_as_the_parent_chose(
    twilio, parent, vet, biscuit, settings
):
    for name, value in vapid_settings().items():
        setattr(settings, name, value)
    Preference.objects.create(user=parent, web_push_enabled=True)
    subscribe_browser(parent)
    consented_phone(parent)
    notify(parent, vet, biscuit)
    assert len(jobs("notifications.tasks.send_push")) == 1
    assert len(jobs("sms.tasks.send_text")) == 1


@pytest.mark.parametrize(
    "why",
    ["texts off", "no consent", "stopped", "number failed", "prefers email", "emails off"],
)
def test_otherwise_the_email_goes_as_before_and_nothing_is_texted(
    twilio, parent, vet, biscuit, settings, why
):
    phone = consented_phone(parent)
    if why == "texts off":
        settings.VETCHAT_SMS_PROVIDER = ""
    elif why == "no consent":
        Phone.objects.filter(pk=phone.pk).update(opted_in_at=None)
    elif why == "stopped":
        Phone.objects.filter(pk=phone.pk).update(stopped_at=timezone.now())
    elif why == "number failed":
        Phone.objects.filter(pk=phone.pk).update(failed_at=timezone.now(), failure="landline")
    elif why == "prefers email":
        Preference.objects.create(user=parent, sms_enabled=False)
    elif why == "emails off":  # texts replace emails; with emails off, nothing replaces them
        Preference.objects.create(user=parent, email_enabled=False, web_push_enabled=True)

    notify(parent, vet, biscuit)

    assert not Text.objects.exists()
    assert not jobs("sms.tasks.send_text")
    assert len(mail.outbox) == (0 if why == "emails off" else 1)
    assert twilio.sent() == []


def test_quiet_hours_hold_the_text_as_they_hold_an_email(twilio, parent, vet, biscuit):
    consented_phone(parent)
    now = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    Preference.objects.create(user=parent, quiet_from=start, quiet_until=end)

    from chat.models import Chat
    from notifications.services import unread_email_claim
    from tests.factories import send_message

    send_message(vet, biscuit, "Please call us.")
    claim = unread_email_claim(user_id=parent.pk, chat_id=Chat.objects.get(appointment=biscuit).pk)
    assert claim.email is None and claim.held_until is not None
    assert timezone.localtime(claim.held_until).time() == clock(end.hour, end.minute)
    assert not Text.objects.exists()


def test_a_provider_answering_503_keeps_the_text_queued_for_the_retried_job(
    twilio, parent, vet, biscuit
):
    consented_phone(parent)
    notify(parent, vet, biscuit)
    text = Text.objects.get()
    twilio.outage = 1

    with pytest.raises(TwilioRestException) as raised:
        text_send(text_id=text.pk, now=timezone.now())

    assert raised.value.status == HTTPStatus.SERVICE_UNAVAILABLE and is_outage(raised.value)
    text.refresh_from_db()
    assert (text.status, text.provider_sid) == (Text.Status.QUEUED, None)
    assert twilio.sent() == []
    # the retried job finds it still queued, and sends it
    [sent] = send_queued_texts()
    assert twilio.sent()[0]["sid"] == sent.provider_sid


def test_a_provider_refusing_connections_is_an_outage_worth_a_retry(twilio, parent, vet, biscuit):
    consented_phone(parent)
    notify(parent, vet, biscuit)
    text = Text.objects.get()
    twilio.stop()

    with pytest.raises(requests.ConnectionError) as raised:
        text_send(text_id=text.pk, now=timezone.now())

    assert is_outage(raised.value)
    text.refresh_from_db()
    assert text.status == Text.Status.QUEUED
    assert pending_emails(parent) == []  # nobody is emailed while the text may still go


class FakeJob:
    def __init__(self, attempts: int) -> None:
        self.attempts = attempts


def test_retries_back_off_like_emails_and_end_after_the_same_attempts(settings):
    settings.VETCHAT_EMAIL_ATTEMPTS, settings.VETCHAT_EMAIL_RETRY_SECONDS = 4, 2
    outage = TwilioRestException(503, "https://api.twilio.com", msg="down")
    delays = [TEST_DELAY(outage, attempts) for attempts in range(4)]
    assert delays == [2, 4, 8, None]
    refused = TwilioRestException(400, "https://api.twilio.com", code=21211)
    assert TEST_DELAY(refused, 0) is None


def TEST_DELAY(error, attempts):
    decision = TEXT_RETRY.get_retry_decision(exception=error, job=FakeJob(attempts))
    if decision is None:
        return None
    return round((decision.retry_at - timezone.now()).total_seconds())


@pytest.mark.parametrize(
    ("number", "code", "reason"),
    [
        ("+12025550111", "21211", "the number is not a valid phone number"),
        ("+12025550110", "21610", "the number replied STOP to this sender"),
    ],
)
def test_a_text_twilio_refuses_fails_with_its_reason_and_the_parent_is_emailed(
    twilio, parent, vet, biscuit, number, code, reason
):
    consented_phone(parent, number)
    notify(parent, vet, biscuit)

    [text] = send_queued_texts()

    assert (text.status, text.error_code, text.error_reason) == (Text.Status.FAILED, code, reason)
    assert text.fell_back_at is not None
    phone = Phone.objects.get(user=parent)
    assert phone.failed_at is not None and phone.failure == reason
    assert len(pending_emails(parent)) == 1
    [job] = jobs("notifications.tasks.notify_unread")
    assert job["args"]["user_id"] == str(parent.pk)
    assert twilio.sent() == []


def test_a_text_to_a_number_stopped_before_it_went_is_not_sent(twilio, parent, vet, biscuit):
    phone = consented_phone(parent)
    notify(parent, vet, biscuit)
    Phone.objects.filter(pk=phone.pk).update(stopped_at=timezone.now())
    [text] = send_queued_texts()
    assert text.status == Text.Status.FAILED
    assert twilio.sent() == []


def test_a_long_pet_or_clinic_name_still_fits_two_segments():
    notice = TextNotice(
        pet_name="B" * 60,
        clinic_name="C" * 80,
        count=3,
        preview="Dr Lee: " + "words " * 80,
    )
    body = text_body(notice)
    link = "http://127.0.0.1:1/signin/" + "t" * 43
    assert len(body.replace(SIGNIN_LINK, link)) <= TEXT_MAX
    assert body.startswith("3 new messages about " + "B" * 60)
    assert body.endswith("Read and reply: " + SIGNIN_LINK)
