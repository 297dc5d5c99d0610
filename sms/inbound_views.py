from django.http import HttpRequest, HttpResponse

from sms.signatures import twilio_webhook


@twilio_webhook
def inbound(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)
