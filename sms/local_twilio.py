"""A local stand-in for Twilio's Messaging API, for `make run` and the tests.

It speaks Twilio's REST shapes at TWILIO_API_BASE (form-encoded requests, HTTP basic auth with
the account's sid and token, Twilio's JSON answers and error shape), reports each text's state
to the StatusCallback it was given as Twilio does (form posts signed with the auth token), and
prints each text as the console email backend prints emails. `POST /local/inbound` (From, Body)
posts a signed text from a parent to the app's inbound webhook, as Twilio would.

What happens to a text depends on the last four digits of its number, so the demo and the
tests can show every outcome with numbers of the fictional +1 (202) 555-0100 to 0199 range
(valid to `phonenumbers`, nobody's phone): "01" and the error code's last two digits.

    …0103  undelivered, 30003 (phone off or out of reach)
    …0105  undelivered, 30005 (unknown number)
    …0106  undelivered, 30006 (landline)
    …0111  refused at once: 400, 21211 (invalid number)
    …0110  refused at once: 400, 21610 (the number texted STOP)
    anything else: queued, sent, delivered.

Only for 127.0.0.1: it keeps every text in memory and checks nothing but the credentials.
"""

import base64
import binascii
import json
import logging
import secrets
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
UNDELIVERED = {"0103": "30003", "0105": "30005", "0106": "30006"}
REFUSED = {
    "0111": (21211, "The 'To' number {to} is not a valid phone number."),
    "0110": (21610, "Attempt to send to unsubscribed recipient"),
}


@dataclass
class LocalTwilio:
    """The server, its texts, and the knobs a test turns (`outage`: answer 503 to this many
    more requests to send)."""

    account_sid: str
    auth_token: str
    sender: str  # the number parents' texts are addressed to (TWILIO_FROM)
    inbound_url: str  # the app's /sms/twilio/inbound, as Twilio is configured to call it
    bind: tuple[str, int] = ("127.0.0.1", 0)
    callback_delay: float = 0.3  # seconds between one state and the next
    out: TextIO | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    outage: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.timers: list[threading.Timer] = []

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalTwilio":
        self.server = ThreadingHTTPServer(self.bind, _handler_for(self))
        self.server.daemon_threads = True
        # A short poll: `stop()` returns within it (tests stop and restart it).
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering: connections to the port are refused from now on."""
        for timer in self.timers:
            timer.cancel()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def serve_forever(self) -> None:
        self.server = ThreadingHTTPServer(self.bind, _handler_for(self))
        self.server.daemon_threads = True
        self.server.serve_forever()

    # Outgoing texts --------------------------------------------------------------------------

    def create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to, body = form.get("To", ""), form.get("Body", "")
        sender = form.get("From", "")
        service = form.get("MessagingServiceSid", "")
        if not to:
            return _error(21604, "A 'To' phone number is required.")
        if not sender and not service:
            return _error(21603, "A 'From' phone number is required.")
        if not body and not form.get("MediaUrl"):
            return _error(21602, "Message body is required.")
        refused = REFUSED.get(to[-4:])
        if refused is not None:
            return _error(refused[0], refused[1].format(to=to))
        now = format_datetime(datetime.now(UTC), usegmt=True)
        sid = "SM" + secrets.token_hex(16)
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "messaging_service_sid": service or None,
            "to": to,
            "from": sender or self.sender,
            "body": body,
            "status": "queued",
            "num_segments": str(_segments(body)),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
        }
        with self.lock:
            self.messages.append(message)
        self._print(f"Text to {to}: {body}")
        callback = form.get("StatusCallback", "")
        code = UNDELIVERED.get(to[-4:])
        steps = [("sent", ""), ("undelivered", code) if code else ("delivered", "")]
        for index, (status, error) in enumerate(steps, 1):
            self._later(
                index * self.callback_delay, self._advance, message, status, error, callback
            )
        return HTTPStatus.CREATED, message

    def _advance(self, message: dict[str, Any], status: str, error: str, callback: str) -> None:
        with self.lock:
            message["status"] = status
            message["date_updated"] = format_datetime(datetime.now(UTC), usegmt=True)
            if status == "sent":
                message["date_sent"] = message["date_updated"]
            if error:
                message["error_code"] = int(error)
        if not callback:
            return
        params = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": self.account_sid,
            "From": message["from"],
            "To": message["to"],
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": API_VERSION,
        }
        if error:
            params["ErrorCode"] = error
        answer = self.post_signed(callback, params)
        with self.lock:
            self.callbacks.append((callback, params, answer[0]))

    def _later(self, delay: float, action: Callable[..., None], *args: Any) -> None:
        timer = threading.Timer(delay, action, args)
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    # Incoming texts --------------------------------------------------------------------------

    def inbound(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """A parent's text, delivered to the app's webhook as Twilio delivers it."""
        sender, body = form.get("From", ""), form.get("Body", "")
        if not sender:
            return HTTPStatus.BAD_REQUEST, {"error": "From is required"}
        sid = "SM" + secrets.token_hex(16)
        params = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "To": form.get("To") or self.sender,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": str(_segments(body)),
            "ApiVersion": API_VERSION,
        }
        self._print(f"Text from {sender}: {body}")
        status, answer = self.post_signed(self.inbound_url, params)
        if answer.strip():
            self._print(f"Answer to {sender}: {answer.strip()}")
        return HTTPStatus.OK, {"sid": sid, "status": status, "response": answer}

    def post_signed(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        """POST the form to the app, signed as Twilio signs it; the answer's status and text."""
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        data = urlencode(params).encode()
        request = urllib.request.Request(  # noqa: S310 - the app's own configured URL
            url,
            data=data,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "User-Agent": "TwilioProxy/1.1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310  # nosec B310
                return response.status, response.read().decode("utf-8", "replace")
        except HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except OSError as error:
            self._print(f"Could not reach {url}: {error}")
            return 0, ""

    def listing(self) -> dict[str, Any]:
        with self.lock:
            messages = [dict(message) for message in reversed(self.messages)]
        return {
            "messages": messages,
            "page": 0,
            "page_size": len(messages),
            "first_page_uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json",
            "next_page_uri": None,
            "previous_page_uri": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json",
        }

    def authorised(self, header: str, sid_in_path: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (
            secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and sid_in_path == self.account_sid
        )

    def _print(self, line: str) -> None:
        if self.out is not None:
            self.out.write(line + "\n")
            self.out.flush()


def _segments(body: str) -> int:
    """How many SMS the body takes (GSM-7 alone; enough for the listing)."""
    return 1 if len(body) <= 160 else -(-len(body) // 153)


def _error(code: int, message: str, status: int = HTTPStatus.BAD_REQUEST) -> tuple[int, dict]:
    """Twilio's error body."""
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": int(status),
    }


def _handler_for(twilio: LocalTwilio) -> type[BaseHTTPRequestHandler]:
    prefix = f"/{API_VERSION}/Accounts/"

    class Handler(BaseHTTPRequestHandler):
        server_version = "LocalTwilio/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug(format, *args)

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return {k: str(v) for k, v in json.loads(raw or "{}").items()}
            return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}

        def _account(self) -> tuple[str, str] | None:
            """The sid in the path and the rest, for the API's URLs; None for any other."""
            path = urlsplit(self.path).path
            if not path.startswith(prefix):
                return None
            sid, _, rest = path[len(prefix) :].partition("/")
            return sid, rest

        def _refused(self) -> bool:
            found = self._account()
            if found is None:
                self._answer(HTTPStatus.NOT_FOUND, _error(20404, "Not found", 404)[1])
                return True
            if not twilio.authorised(self.headers.get("Authorization", ""), found[0]):
                self._answer(HTTPStatus.UNAUTHORIZED, _error(20003, "Authenticate", 401)[1])
                return True
            return False

        def do_POST(self) -> None:
            if urlsplit(self.path).path == "/local/inbound":
                self._answer(*twilio.inbound(self._form()))
                return
            if self._refused():
                return
            if self._account()[1] != "Messages.json":
                self._answer(HTTPStatus.NOT_FOUND, _error(20404, "Not found", 404)[1])
                return
            form = self._form()
            with twilio.lock:
                down = twilio.outage > 0
                twilio.outage -= 1 if down else 0
            if down:
                status = HTTPStatus.SERVICE_UNAVAILABLE
                self._answer(status, _error(20500, "Service unavailable", status)[1])
                return
            self._answer(*twilio.create(form))

        def do_GET(self) -> None:
            if self._refused():
                return
            rest = self._account()[1]
            if rest == "Messages.json":
                self._answer(HTTPStatus.OK, twilio.listing())
                return
            sid = rest.removeprefix("Messages/").removesuffix(".json")
            found = [m for m in twilio.listing()["messages"] if m["sid"] == sid]
            if found:
                self._answer(HTTPStatus.OK, found[0])
            else:
                self._answer(HTTPStatus.NOT_FOUND, _error(20404, "Not found", 404)[1])

    return Handler
