"""`python manage.py twilio_local`: the local stand-in for Twilio's API (sms/local_twilio.py)."""

import contextlib
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from sms.local_twilio import LocalTwilio


class Command(BaseCommand):
    help = "Serve a local stand-in for Twilio's Messaging API, printing each text."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default=None, help="host:port (VETCHAT_TWILIO_LOCAL_BIND by default)"
        )
        parser.add_argument(
            "--delay", type=float, default=1.0, help="seconds between a text's states"
        )

    def handle(
        self, *args: object, bind: str | None = None, delay: float = 1.0, **_: object
    ) -> None:
        host, _, port = (bind or settings.VETCHAT_TWILIO_LOCAL_BIND).rpartition(":")
        if not host or not port.isdigit():
            raise CommandError("Give the address as host:port, e.g. 127.0.0.1:8025.")
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise CommandError("Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: it checks them.")
        twilio = LocalTwilio(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            sender=settings.TWILIO_FROM,
            inbound_url=settings.VETCHAT_BASE_URL + reverse("sms_inbound"),
            bind=(host, int(port)),
            callback_delay=delay,
            out=sys.stdout,
        )
        self.stdout.write(
            f"Local Twilio API on http://{host}:{port}; a parent's text: "
            f"curl --data-urlencode From=+12025550123 -d Body=Hello "
            f"http://{host}:{port}/local/inbound"
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how it stops
            twilio.serve_forever()
