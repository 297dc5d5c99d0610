"""Whether this deployment sends texts at all: without a provider and its credentials, no part
of the product offers or mentions them."""

from django.conf import settings


def sms_enabled() -> bool:
    return (
        settings.VETCHAT_SMS_PROVIDER == "twilio"
        and bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)
        and bool(settings.TWILIO_FROM or settings.TWILIO_MESSAGING_SERVICE_SID)
    )
