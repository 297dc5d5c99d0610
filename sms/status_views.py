"""Twilio's status callback: each outgoing text's state, as the carrier reports it."""

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from sms.signatures import twilio_webhook
from sms.states import text_status_update


@twilio_webhook
def status(request: HttpRequest) -> HttpResponse:
    # An unknown sid or status is answered 204 all the same: Twilio only retries on errors,
    # and another answer would tell it nothing it could act on.
    text_status_update(
        provider_sid=request.POST.get("MessageSid", "")[:64],
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
        now=timezone.now(),
    )
    return HttpResponse(status=HTTPStatus.NO_CONTENT)
