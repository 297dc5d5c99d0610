"""Twilio's REST client, aimed at TWILIO_API_BASE: Twilio itself in production, the local
stand-in (`manage.py twilio_local`) in `make run` and the tests."""

from typing import Any

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"
# A provider slower than this is down for this attempt: the job retries later.
TIMEOUT_SECONDS = 10


class RebasedHttpClient(TwilioHttpClient):
    """The library builds every URL on https://api.twilio.com (its domain objects' base_url,
    set when each is first used); the one place all requests pass is the HTTP client, so the
    host is swapped there, once, rather than in every domain the client may reach."""

    def __init__(self, base: str) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API + "/"):
            url = self.base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client() -> Client:
    base = settings.TWILIO_API_BASE
    http_client = None if base == TWILIO_API else RebasedHttpClient(base)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
