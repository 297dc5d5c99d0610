"""Twilio's webhooks are believed only when signed with the account's auth token."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sms.enabled import sms_enabled


def signed_by_twilio(request: HttpRequest) -> bool:
    """Whether the request carries Twilio's signature of its URL and form parameters.

    The URL is the one Twilio was given (VETCHAT_BASE_URL and the path), not the one this server
    sees behind its proxies.
    """
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url = settings.VETCHAT_BASE_URL + request.get_full_path()
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(url, request.POST.dict(), signature)


def twilio_webhook(view: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """A webhook view: POST only, no CSRF token (Twilio's signature stands in for it), and 403
    with nothing changed unless texts are on and the signature holds."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not sms_enabled() or not signed_by_twilio(request):
            return HttpResponse("Not signed by Twilio.", status=403, content_type="text/plain")
        return view(request)

    return checked
