"""`python manage.py mail_gateway`: the SMTP server that turns emailed replies into messages."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.inbound.gateway import bind_address, gateway_start, gateway_stop


class Command(BaseCommand):
    help = (
        "Take replies sent to reply+<token>@VETCHAT_REPLY_DOMAIN by SMTP (on "
        "VETCHAT_MAIL_GATEWAY_BIND) and post them in their chats. SIGTERM or Ctrl+C stops it "
        "once the mails in hand are posted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="host:port; VETCHAT_MAIL_GATEWAY_BIND by default")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.VETCHAT_REPLY_DOMAIN:
            raise CommandError("Set VETCHAT_REPLY_DOMAIN: without it no email offers a reply.")
        try:
            host, port = bind_address(str(options["bind"] or settings.VETCHAT_MAIL_GATEWAY_BIND))
        except ValueError as error:
            raise CommandError(str(error)) from error
        stop = threading.Event()
        for each in (signal.SIGTERM, signal.SIGINT):
            signal.signal(each, lambda *_: stop.set())
        try:
            controller = gateway_start(host, port)
        except OSError as error:  # the port is taken, or not ours to bind
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error
        self.stdout.write(
            f"Mail gateway: replies to reply+…@{settings.VETCHAT_REPLY_DOMAIN} on {host}:{port}"
        )
        self.stdout.flush()
        stop.wait()
        gateway_stop(controller)
        self.stdout.write("Mail gateway stopped.")
