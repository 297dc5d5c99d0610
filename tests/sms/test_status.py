"""Twilio's status callbacks: believed only when signed, applied forward only; a text that did
not arrive marks the number failed and tells the parent by email and push instead, once; a
delivered one clears the failure. Staff see each text's state in the admin."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications.emails import deliver
from notifications.models import Preference, UnreadEmail
from sms.models import Phone, Text
from tests.factories import AppointmentFactory, PetParentFactory
from tests.notifications.push_services import vapid_settings
from tests.sms.conftest import APP_URL, AUTH_TOKEN
from tests.sms.outbound_helpers import (
    consented_phone,
    jobs,
    notify,
    pending_emails,
    send_queued_texts,
    subscribe_browser,
)

pytestmark = pytest.mark.django_db

PATH = "/sms/twilio/status"
LANDLINE = "the carrier says this is a landline, or its network cannot take texts"


def callback(text: Text, status: str, *, error: str = "", signed: bool = True, token=AUTH_TOKEN):
    params = {
        "MessageSid": text.provider_sid,
        "AccountSid": "AC" + "0" * 31 + "7",
        "To": text.to,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error:
        params["ErrorCode"] = error
    headers = {}
    if signed:
        signature = RequestValidator(token).compute_signature(APP_URL + PATH, params)
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return Client().post(PATH, params, **headers)


@pytest.fixture
def texted(twilio, parent, vet, appointment) -> Text:
    """The parent was texted about an unread message, and Twilio took the text."""
    consented_phone(parent)
    notify(parent, vet, appointment)
    [text] = send_queued_texts()
    assert text.provider_sid
    return text


def state(text: Text) -> tuple[str, str]:
    text.refresh_from_db()
    return text.status, text.error_reason


@pytest.mark.parametrize("forged", ["unsigned", "other token"])
def test_an_unsigned_or_forged_callback_is_refused_and_changes_nothing(texted, parent, forged):
    response = callback(
        texted,
        "undelivered",
        error="30006",
        signed=forged != "unsigned",
        token="another-accounts-token",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state(texted) == (Text.Status.QUEUED, "")
    assert Phone.objects.get(user=parent).failed_at is None
    assert pending_emails(parent) == []


def test_states_only_move_forward(texted, parent):
    assert callback(texted, "sent").status_code == HTTPStatus.NO_CONTENT
    assert state(texted)[0] == Text.Status.SENT
    callback(texted, "delivered")
    callback(texted, "sent")  # late, out of order
    callback(texted, "undelivered", error="30003")  # after delivered: ignored
    assert state(texted) == (Text.Status.DELIVERED, "")
    assert texted.status_at is not None
    assert Phone.objects.get(user=parent).failed_at is None


def test_a_callback_for_no_known_text_is_answered_and_changes_nothing(texted):
    other = Text(provider_sid="SM" + "f" * 32, to=texted.to)
    assert callback(other, "delivered").status_code == HTTPStatus.NO_CONTENT
    assert state(texted)[0] == Text.Status.QUEUED


def test_an_undelivered_text_marks_the_number_and_falls_back_to_email_and_push_once(
    texted, parent, settings, client_for
):
    for name, value in vapid_settings().items():
        setattr(settings, name, value)
    Preference.objects.create(user=parent, web_push_enabled=True)
    subscribe_browser(parent)
    pushes_before = len(jobs("notifications.tasks.send_push"))

    for _ in range(2):  # Twilio may deliver a callback twice
        assert callback(texted, "undelivered", error="30006").status_code == HTTPStatus.NO_CONTENT

    assert state(texted) == (Text.Status.UNDELIVERED, LANDLINE)
    assert texted.error_code == "30006" and texted.fell_back_at is not None
    phone = Phone.objects.get(user=parent)
    assert phone.failed_at is not None and phone.failure == LANDLINE
    # the window is an email again, and its job runs now, ahead of ordinary ones
    [email] = pending_emails(parent)
    assert email.text_id == texted.pk
    [job] = jobs("notifications.tasks.notify_unread")
    assert job["priority"] > 0 and job["scheduled_at"] <= timezone.now()

    # the job: the email (never a text again) and the push
    deliver(parent, [email])
    [sent] = mail.outbox
    assert sent.to == [parent.email]
    assert len(jobs("notifications.tasks.send_push")) == pushes_before + 1
    assert Text.objects.count() == 1
    email.refresh_from_db()
    assert email.status == UnreadEmail.Status.SENT

    page = client_for(parent).get("/profile/").text
    assert f"Texts to +1 202-555-0123 are not arriving: {LANDLINE}. We email you instead." in page


def test_a_failed_callback_falls_back_too(texted, parent):
    callback(texted, "failed", error="30005")
    assert state(texted) == (Text.Status.FAILED, "the number does not exist")
    assert len(pending_emails(parent)) == 1


def test_an_unknown_code_is_named(texted):
    callback(texted, "undelivered", error="30999")
    assert state(texted)[1] == "the carrier refused it (code 30999)"


def test_a_delivered_text_clears_the_numbers_failure(texted, parent):
    Phone.objects.filter(user=parent).update(failed_at=timezone.now(), failure=LANDLINE)
    callback(texted, "delivered")
    phone = Phone.objects.get(user=parent)
    assert phone.failed_at is None and phone.failure == ""


# What staff see ---------------------------------------------------------------------------------


def some_texts(count: int, clinic_id) -> None:
    for index in range(count):
        parent = PetParentFactory()
        appointment = AppointmentFactory(pet__owner=parent, clinic_id=clinic_id)
        Text.objects.create(
            clinic_id=clinic_id,
            user=parent,
            appointment=appointment,
            to=f"+1202555{index:04d}",
            body="New message",
            status=Text.Status.UNDELIVERED,
            error_reason=LANDLINE,
        )


def test_the_admin_lists_texts_with_state_and_reason_in_the_same_queries_for_5_and_25(
    client_for, staff, appointment
):
    client = client_for(staff)
    url = reverse("admin:sms_text_changelist")
    some_texts(1, appointment.clinic_id)
    client.get(url)  # the clinic's clock (in each appointment's name) is read once, then cached
    counts = []
    for total in (5, 25):
        some_texts(total - Text.objects.count(), appointment.clinic_id)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.status_code == HTTPStatus.OK
        assert page.text.count(LANDLINE) == total
        counts.append(len(queries))
    assert counts == [7, 7]
    assert client.get(reverse("admin:sms_text_add")).status_code == HTTPStatus.FORBIDDEN


def test_the_appointments_admin_page_shows_its_texts(texted, client_for, staff, appointment):
    callback(texted, "undelivered", error="30006")
    page = client_for(staff).get(
        reverse("admin:appointments_appointment_change", args=[appointment.pk])
    )
    assert page.status_code == HTTPStatus.OK
    assert "Texts" in page.text
    assert LANDLINE in page.text and "Undelivered" in page.text
