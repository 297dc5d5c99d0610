"""The local Twilio stand-in (sms/local_twilio.py) on a free port, with texts turned on and
aimed at it: the tests send through Twilio's real client, over HTTP."""

from collections.abc import Iterator

import pytest
import requests

from sms.local_twilio import LocalTwilio

ACCOUNT_SID = "AC" + "0" * 31 + "7"
AUTH_TOKEN = "local-auth-token-0123456789abcdef"
SENDER = "+15005550006"
# Where the app is, as the signatures name it; nothing listens here (port 1): a callback the
# stand-in posts on its own is refused at once, and the tests post theirs themselves.
APP_URL = "http://127.0.0.1:1"


class Twilio(LocalTwilio):
    def down(self) -> None:
        """Stop answering: connections are refused until `up()`."""
        self.bind = self.server.server_address[:2]
        self.stop()

    def up(self) -> None:
        """Back, on the same port."""
        self.start()

    def sent(self) -> list[dict]:
        """The texts as the API lists them (GET …/Messages.json), oldest first."""
        response = requests.get(
            f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
            auth=(self.account_sid, self.auth_token),
            timeout=5,
        )
        response.raise_for_status()
        return list(reversed(response.json()["messages"]))


def aim_at(settings, twilio: LocalTwilio, *, app_url: str = APP_URL) -> None:
    settings.VETCHAT_SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = twilio.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio.auth_token
    settings.TWILIO_FROM = SENDER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE = twilio.url
    settings.VETCHAT_BASE_URL = app_url


@pytest.fixture
def twilio(settings) -> Iterator[Twilio]:
    """The stand-in, started, with the settings pointing at it."""
    server = Twilio(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sender=SENDER,
        inbound_url=APP_URL + "/sms/twilio/inbound",
        callback_delay=0.05,
    ).start()
    aim_at(settings, server)
    yield server
    server.stop()
