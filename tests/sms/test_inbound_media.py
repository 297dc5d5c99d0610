"""Photos sent by MMS: fetched from Twilio with the account's credentials, only from Twilio's
hosts, through the upload pipeline into the message; a file that cannot be fetched or is
refused costs only itself, never the text."""

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from attachments.models import Attachment
from chat.models import Message
from sms import inbound_media
from sms.inbound_media import credentials_for, media_url_allowed
from sms.models import InboundText
from tests.attachments.files import elf_binary, jpeg_with_gps
from tests.factories import AppointmentFactory, PetFactory
from tests.sms.inbound_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    phone_of,
    reply_of,
    text_in,
    texted_about,
    texts_on,
)


@pytest.fixture(autouse=True)
def texts_enabled(settings) -> None:
    texts_on(settings)


MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


@dataclass
class Served:
    """A local HTTP server: what it answers at each path, and each request it had."""

    base: str
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # path, Authorization


def serve() -> tuple[ThreadingHTTPServer, Served]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append((self.path, self.headers.get("Authorization", "")))
            status, headers, body = served.routes.get(self.path, (404, {}, b"not found"))
            time.sleep(float(headers.get("_delay", "0")))
            headers = {name: value for name, value in headers.items() if name != "_delay"}
            needs_auth = headers.pop("_needs_auth", "yes") == "yes"
            signed_in = self.headers.get("Authorization") == BASIC
            if status == HTTPStatus.OK and needs_auth and not signed_in:
                status, headers, body = HTTPStatus.UNAUTHORIZED, {}, b"unauthorised"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads, server.block_on_close = True, False  # a slow answer holds no test up
    served = Served(base=f"http://127.0.0.1:{server.server_address[1]}")
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, served


@pytest.fixture
def twilio_api(settings) -> Iterator[Served]:
    """Twilio's API as far as media goes, with HTTP basic auth, at TWILIO_API_BASE."""
    server, served = serve()
    settings.TWILIO_API_BASE = served.base
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[Served]:
    """Any other host: nothing may ever be fetched from it."""
    server, served = serve()
    served.routes["/photo.jpg"] = (200, {"Content-Type": "image/jpeg", "_needs_auth": "no"}, b"x")
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
def texted(parent, appointment):
    phone = phone_of(parent)
    texted_about(phone, appointment)
    return phone


def photo_at(served: Served, data: bytes, content_type: str = "image/jpeg") -> str:
    served.routes[MEDIA_PATH] = (200, {"Content-Type": content_type}, data)
    return served.base + MEDIA_PATH


def the_message(parent) -> Message:
    return Message.objects.get(sender=parent)


def test_an_mms_photo_is_fetched_with_the_account_s_credentials_and_attached(
    parent, appointment, texted, twilio_api
):
    url = photo_at(twilio_api, jpeg_with_gps())
    response = text_in("Her paw today", media=[(url, "image/jpeg")])
    assert reply_of(response) == ""
    assert twilio_api.requests == [(MEDIA_PATH, BASIC)]
    message = the_message(parent)
    assert (message.message_type, message.content) == ("image", "Her paw today")
    [attachment] = Attachment.objects.filter(message_id=message.pk)
    assert (attachment.appointment_id, attachment.uploader) == (appointment.pk, parent)
    assert attachment.content_type == "image/jpeg"
    assert [shown["id"] for shown in message.attachments] == [str(attachment.pk)]
    assert InboundText.objects.get().outcome == InboundText.Outcome.POSTED


def test_a_photo_without_words_is_posted_as_a_photo(parent, texted, twilio_api):
    url = photo_at(twilio_api, jpeg_with_gps())
    text_in("", media=[(url, "image/jpeg")])
    message = the_message(parent)
    assert (message.message_type, message.content, len(message.attachments)) == ("image", "", 1)


def test_a_redirect_is_followed_while_it_stays_with_the_account_s_media(parent, texted, twilio_api):
    # Twilio's API redirects media to its CDN (https://*.twiliocdn.com), which a local server
    # cannot be; here it redirects within the account's media instead.
    moved = MEDIA_PATH + "/Content"
    twilio_api.routes[moved] = (200, {"Content-Type": "image/jpeg"}, jpeg_with_gps())
    twilio_api.routes[MEDIA_PATH] = (307, {"Location": moved}, b"")
    text_in("Paw", media=[(twilio_api.base + MEDIA_PATH, "image/jpeg")])
    assert the_message(parent).message_type == "image"
    assert [path for path, _ in twilio_api.requests] == [MEDIA_PATH, moved]


def test_a_redirect_elsewhere_on_the_api_is_not_followed(parent, texted, twilio_api):
    twilio_api.routes["/admin/photo.jpg"] = (200, {"Content-Type": "image/jpeg"}, b"x")
    twilio_api.routes[MEDIA_PATH] = (307, {"Location": "/admin/photo.jpg"}, b"")
    text_in("Paw", media=[(twilio_api.base + MEDIA_PATH, "image/jpeg")])
    assert [path for path, _ in twilio_api.requests] == [MEDIA_PATH]
    assert the_message(parent).message_type == "text"


def test_a_media_url_on_a_foreign_host_is_never_fetched(parent, texted, twilio_api, elsewhere):
    response = text_in("Look", media=[(elsewhere.base + "/photo.jpg", "image/jpeg")])
    assert elsewhere.requests == []
    message = the_message(parent)  # the text is posted all the same
    assert (message.message_type, message.content) == ("text", "Look")
    reply = reply_of(response)
    assert reply.startswith("Your text was posted, but not file 1 (it is not stored with our")


def test_a_redirect_to_a_foreign_host_is_not_followed(parent, texted, twilio_api, elsewhere):
    twilio_api.routes[MEDIA_PATH] = (302, {"Location": elsewhere.base + "/photo.jpg"}, b"")
    text_in("Look", media=[(twilio_api.base + MEDIA_PATH, "image/jpeg")])
    assert elsewhere.requests == []
    assert the_message(parent).content == "Look"


def test_media_of_another_account_on_the_api_is_not_fetched(parent, texted, twilio_api):
    other = MEDIA_PATH.replace(ACCOUNT_SID, "AC" + "9" * 32)
    text_in("Look", media=[(twilio_api.base + other, "image/jpeg")])
    assert twilio_api.requests == []
    assert the_message(parent).content == "Look"


def test_a_file_the_pipeline_refuses_is_named_and_the_text_still_posted(parent, texted, twilio_api):
    url = photo_at(twilio_api, elf_binary(), content_type="image/jpeg")
    response = text_in("Her lab results", media=[(url, "image/jpeg")])
    message = the_message(parent)
    assert (message.message_type, message.content) == ("text", "Her lab results")
    assert not Attachment.objects.exists()
    reply = reply_of(response)
    assert reply.startswith("Your text was posted, but not photo-1.jpg (")
    assert "You can send files from the chat" in reply


def test_a_file_that_cannot_be_fetched_does_not_lose_the_text(parent, texted, twilio_api):
    missing = twilio_api.base + MEDIA_PATH  # answered 404
    response = text_in("Still limping", media=[(missing, "image/jpeg")])
    assert the_message(parent).content == "Still limping"
    assert "file 1 (it could not be downloaded)" in reply_of(response)


def test_an_unreachable_api_does_not_lose_the_text(parent, texted, settings):
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens on discard
    response = text_in("Still limping", media=[("http://127.0.0.1:9" + MEDIA_PATH, "image/jpeg")])
    assert the_message(parent).content == "Still limping"
    assert "could not be downloaded" in reply_of(response)


def test_a_slow_media_server_costs_at_most_the_time_allowed(
    parent, texted, twilio_api, monkeypatch
):
    monkeypatch.setattr(inbound_media, "ALL_FILES_SECONDS", 0.5)
    twilio_api.routes[MEDIA_PATH] = (200, {"Content-Type": "image/jpeg", "_delay": "3"}, b"x")
    url = twilio_api.base + MEDIA_PATH
    started = time.monotonic()
    response = text_in("Two photos", media=[(url, "image/jpeg"), (url, "image/jpeg")])
    assert time.monotonic() - started < 2
    assert the_message(parent).content == "Two photos"
    reply = reply_of(response)
    assert "file 1 (it could not be downloaded)" in reply
    assert "file 2 (it took too long to download)" in reply


def test_a_file_larger_than_the_limit_is_not_read(parent, texted, twilio_api, monkeypatch):
    monkeypatch.setattr(inbound_media, "MAX_MEDIA_BYTES", 1024 * 1024)
    url = photo_at(twilio_api, b"\xff" * (1024 * 1024 + 1))
    response = text_in("Big one", media=[(url, "image/jpeg")])
    assert the_message(parent).content == "Big one"
    assert "file 1 (it is larger than 1 MB)" in reply_of(response)


def test_a_refused_photo_without_words_posts_nothing_and_says_why(parent, texted, twilio_api):
    url = photo_at(twilio_api, elf_binary())
    reply = reply_of(text_in("", media=[(url, "image/jpeg")]))
    assert not Message.objects.exists()
    assert reply.startswith("Your text was not posted: photo-1.jpg (")


def test_a_held_photo_is_fetched_into_the_chat_chosen_by_the_answer(parent, vet, twilio_api):
    biscuit = AppointmentFactory(pet=PetFactory(owner=parent, name="Biscuit"), veterinarian=vet)
    mango = AppointmentFactory(pet=PetFactory(owner=parent, name="Mango"), veterinarian=vet)
    phone = phone_of(parent)
    texted_about(phone, biscuit, at=timezone.now() - timedelta(hours=2))
    texted_about(phone, mango)
    url = photo_at(twilio_api, jpeg_with_gps())
    assert reply_of(text_in("This rash?", media=[(url, "image/jpeg")])).startswith("Which pet")
    assert twilio_api.requests == []  # not before the chat is known
    text_in("biscuit")
    message = the_message(parent)
    assert message.chat.appointment_id == biscuit.pk
    assert message.message_type == "image"
    assert Attachment.objects.get().appointment_id == biscuit.pk


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        (f"https://api.twilio.com{MEDIA_PATH}", True),
        (f"https://api.twilio.com{MEDIA_PATH.replace(ACCOUNT_SID, 'AC' + '9' * 32)}", False),
        (f"http://api.twilio.com{MEDIA_PATH}", False),
        (f"https://user:secret@api.twilio.com{MEDIA_PATH}", False),
        ("https://media.twiliocdn.com/AC123/abc", True),
        ("https://s3.eu.twiliocdn.com/abc", True),
        ("http://media.twiliocdn.com/abc", False),
        ("https://media.twiliocdn.com:8443/abc", False),
        ("https://twiliocdn.com.evil.test/abc", False),
        ("https://eviltwiliocdn.com/abc", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        ("http://localhost:8000/admin/", False),
        ("file:///etc/passwd", False),
        ("https://media.twiliocdn.com:99999/abc", False),
    ],
)
def test_only_twilio_s_hosts_are_fetched_from(url, allowed):
    assert media_url_allowed(url) is allowed


def test_the_account_s_credentials_go_to_twilio_s_api_alone(settings):
    settings.TWILIO_API_BASE = "https://api.twilio.com"
    assert credentials_for(f"https://api.twilio.com{MEDIA_PATH}") == (ACCOUNT_SID, AUTH_TOKEN)
    assert credentials_for("https://media.twiliocdn.com/AC123/abc") is None
    assert credentials_for("https://example.com/abc") is None
