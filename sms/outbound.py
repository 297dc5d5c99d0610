"""Texts to pet parents: recorded first, sent by the job worker through Twilio's API.

A text is a `Text` row before it is a request: a provider that is down or answers 5xx leaves it
queued and the job retries with backoff; what Twilio refuses for good (4xx: an invalid number,
a number that texted STOP) marks it failed with the reason, and the parent is told another way.
"""

import logging
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.signin_links import signin_link_url
from appointments.models import Appointment
from sms.enabled import sms_enabled
from sms.models import Phone, Text
from sms.states import TWILIO_STATUSES, text_failed

logger = logging.getLogger(__name__)

Status = Text.Status
# Stands in a text's body for the parent's sign-in link into the appointment's chat, made as
# the text goes: the link's token is its only copy (accounts/signin_links.py), so it is never
# stored in the row, and its time runs from the sending.
SIGNIN_LINK = "{signin_link}"


def texting_phone(user: User) -> Phone | None:
    """The user's number when a text may go to it now: texts on, consent given and not
    stopped, and the last text to it not failed."""
    if not sms_enabled():
        return None
    phone = Phone.objects.filter(user=user).first()
    if phone is None or not phone.texts_allowed or phone.failed_at is not None:
        return None
    return phone


def text_queue(*, phone: Phone, appointment: Appointment, body: str) -> Text:
    """Record a text about the appointment and defer its sending, in the caller's transaction.

    The appointment becomes the number's last one: a reply by text goes to its chat.
    """
    from sms.tasks import send_text

    with transaction.atomic():
        text = Text.objects.create(
            clinic_id=appointment.clinic_id,
            user_id=phone.user_id,
            appointment=appointment,
            to=phone.number,
            body=body,
        )
        Phone.objects.filter(pk=phone.pk).update(last_appointment=appointment)
        send_text.defer(text_id=str(text.pk))
    return text


def text_send(*, text_id: UUID, now: datetime) -> Text | None:
    """Hand a queued text to Twilio. Raises what a later attempt may mend (a connection
    refused, a timeout, a 5xx) so the job retries, with the row still queued."""
    # Here, not at import: only job workers send texts, and the twilio library (with requests)
    # would otherwise load in every web and socket worker through the notifications.
    from twilio.base.exceptions import TwilioRestException

    from sms.client import twilio_client
    from sms.retry import is_outage

    text = Text.objects.filter(pk=text_id).first()
    if text is None or text.status != Status.QUEUED or text.provider_sid:
        return text  # sent by an earlier run, or already decided
    phone = Phone.objects.filter(user_id=text.user_id, number=text.to).first()
    if phone is None or not phone.texts_allowed:
        return _fail(text, "", "texts to this number were turned off before it went", now)
    options = {"to": text.to, "body": _with_signin_link(text)}
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        options["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
    else:
        options["from_"] = settings.TWILIO_FROM
    options["status_callback"] = settings.VETCHAT_BASE_URL + reverse("sms_status")
    try:
        message = twilio_client().messages.create(**options)
    except TwilioRestException as error:
        if is_outage(error):
            raise
        logger.warning("Text %s refused by Twilio: %s %s", text.pk, error.status, error.code)
        return _fail(text, str(error.code or ""), "", now)
    with transaction.atomic():
        text = Text.objects.select_for_update().get(pk=text.pk)
        text.provider_sid, text.sent_at = message.sid, now
        # Twilio answers "queued" or "accepted"; a callback may already have moved it on.
        fields = ["provider_sid", "sent_at"]
        answered = TWILIO_STATUSES.get(str(message.status or ""), Status.QUEUED)
        if answered != Status.QUEUED and text.status == Status.QUEUED:
            text.status, text.status_at = answered, now
            fields += ["status", "status_at"]
        text.save(update_fields=fields)
    return text


def _with_signin_link(text: Text) -> str:
    if SIGNIN_LINK not in text.body or text.appointment_id is None:
        return text.body
    user = User.objects.get(pk=text.user_id)
    link = signin_link_url(user=user, appointment_id=text.appointment_id)
    return text.body.replace(SIGNIN_LINK, link)


def text_give_up(*, text_id: UUID, error: BaseException, now: datetime) -> Text | None:
    """The provider stayed out of reach through every retry: the text fails, and the parent
    is told another way."""
    text = Text.objects.filter(pk=text_id, status=Status.QUEUED, provider_sid__isnull=True).first()
    if text is None:
        return None
    logger.warning("Text %s given up after retries: %s", text.pk, type(error).__name__)
    return _fail(text, "", "the text provider could not be reached", now)


def _fail(text: Text, code: str, reason: str, now: datetime) -> Text:
    with transaction.atomic():
        text = Text.objects.select_for_update().get(pk=text.pk)
        if text.status != Status.QUEUED:
            return text
        return text_failed(text=text, status=Status.FAILED, error_code=code, reason=reason, now=now)
