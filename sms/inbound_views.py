from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from sms.inbound import incoming_of_form, text_receive
from sms.replies import twiml
from sms.signatures import twilio_webhook


@twilio_webhook
def inbound(request: HttpRequest) -> HttpResponse:
    """A text to the clinic's number (Twilio's "A message comes in" webhook)."""
    text = incoming_of_form(request.POST)
    if text is None:
        return HttpResponse(
            "A text needs its MessageSid and From.", status=400, content_type="text/plain"
        )
    return twiml(text_receive(text=text, now=timezone.now()).reply)
