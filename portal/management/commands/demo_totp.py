import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from portal.management.commands.seed_demo import DEMO_TOTP_SECRET

PERIOD = 30


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo vets, nurse and admins."

    def handle(self, *args: object, **options: object) -> None:
        now = time.time()
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now // PERIOD)))
        seconds = PERIOD - int(now % PERIOD)
        self.stdout.write(f"{code}  (valid for {seconds} more seconds)")
