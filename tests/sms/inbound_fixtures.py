"""Texts coming in as Twilio delivers them: form posts to `/sms/twilio/inbound`, signed with
the account's auth token exactly as Twilio signs them, from numbers set up as the profile and
the sender would leave them."""

import secrets
from datetime import datetime, timedelta

from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from sms.models import Phone, Text

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
BASE_URL = "https://vetchat.test"
PATH = "/sms/twilio/inbound"
PARENT_NUMBER = "+447700900123"


def texts_on(settings) -> None:
    """Texts as a deployment with a Twilio account has them (settings: pytest-django's)."""
    settings.VETCHAT_SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM = "+15005550006"
    settings.VETCHAT_BASE_URL = BASE_URL


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def signature(params: dict[str, str], *, token: str = AUTH_TOKEN, url: str = BASE_URL + PATH):
    return RequestValidator(token).compute_signature(url, params)


def text_in(
    body: str,
    *,
    sender: str = PARENT_NUMBER,
    sid: str | None = None,
    media: list[tuple[str, str]] = (),
    signed: bool = True,
    headers: dict[str, str] | None = None,
):
    """POST a text as Twilio's webhook does; returns the response."""
    params = {
        "MessageSid": sid or new_sid(),
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": str(len(media)),
    }
    for index, (url, content_type) in enumerate(media):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = content_type
    extra = {"HTTP_X_TWILIO_SIGNATURE": signature(params)} if signed else {}
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    return Client().post(PATH, params, **extra)


def reply_of(response) -> str:
    """The text the TwiML answer sends back, or "" for an empty <Response/>."""
    from xml.etree import ElementTree

    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    return messages[0].text if messages else ""


def phone_of(user, *, number: str = PARENT_NUMBER, consented: bool = True) -> Phone:
    return Phone.objects.create(
        user=user,
        number=number,
        opted_in_at=timezone.now() - timedelta(days=30) if consented else None,
    )


def texted_about(phone: Phone, appointment, *, at: datetime | None = None) -> Text:
    """A text the sender sent the parent about an appointment; their replies go to its chat."""
    text = Text.objects.create(
        clinic_id=appointment.clinic_id,
        user=phone.user,
        appointment=appointment,
        to=phone.number,
        body="There is a new message about your pet.",
        status=Text.Status.DELIVERED,
        provider_sid=new_sid(),
    )
    if at is not None:
        Text.objects.filter(pk=text.pk).update(created_at=at)
    phone.last_appointment = appointment
    phone.save(update_fields=["last_appointment"])
    return text
