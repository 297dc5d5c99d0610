"""Input that once gave a 500, a reset connection or an HTML page on the API, sent over a real
socket: each answers a JSON error the client can read."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from vetchat.http import MAX_API_BODY
from vetchat.parsers import MAX_DEPTH

MESSAGES = "/api/appointment-chat/messages"
ROOT = Path(__file__).resolve().parents[1]


class Answer:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.content_type = response.getheader("Content-Type", "")
        self.body = response.read()

    def json(self) -> Any:
        assert self.content_type == "application/json", self.content_type
        return json.loads(self.body)


def send(
    url: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    chunks: Iterator[bytes] | None = None,
    length: int | None = None,
) -> Answer:
    """One request on its own connection; `chunks` streams a body of `length` bytes."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        if chunks is None:
            connection.request(method, path, body=body, headers=headers or {})
        else:
            connection.putrequest(method, path)
            for name, value in {**(headers or {}), "Content-Length": str(length)}.items():
                connection.putheader(name, value)
            connection.endheaders()
            for chunk in chunks:
                connection.send(chunk)
        return Answer(connection.getresponse())
    finally:
        connection.close()


def signed_in(user: Any) -> dict[str, str]:
    """Headers of a signed-in browser: its session and CSRF cookies, and the CSRF header."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = get_random_string(32)
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/json",
    }


def megabytes_of_json(size: int) -> Iterator[bytes]:
    """A JSON object of exactly `size` bytes, a megabyte at a time."""
    yield b'{"content": "'
    left = size - len(b'{"content": "') - len(b'"}')
    while left > 0:
        piece = min(left, 1024 * 1024)
        yield b"x" * piece
        left -= piece
    yield b'"}'


THIRTY_MB = 30 * 1024 * 1024


@pytest.mark.django_db(transaction=True)
def test_json_nested_100000_deep_is_a_400_not_a_500(live_server, parent, appointment):
    depth = 100_000
    body = f'{{"appointmentId": "{appointment.pk}", "payload": {"[" * depth}{"]" * depth}}}'

    answer = send(live_server.url, "POST", MESSAGES, body.encode(), signed_in(parent))

    assert answer.status == HTTPStatus.BAD_REQUEST
    assert answer.json()["error"]["code"] == "malformed_request"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("depth", "code"), [(MAX_DEPTH, "invalid"), (MAX_DEPTH + 1, "malformed_request")]
)
def test_the_parser_refuses_nesting_past_its_bound(client_for, parent, appointment, depth, code):
    # The payload's lists sit under the body's object: at the bound the rules refuse a list as a
    # payload; past it the parser refuses the body before anything reads it.
    payload = "[" * (depth - 1) + "]" * (depth - 1)
    body = f'{{"appointmentId": "{appointment.pk}", "payload": {payload}}}'

    response = client_for(parent).post(MESSAGES, body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == code


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["\\ud800", "x\\udfffy", "\\udc00\\ud800"])
def test_a_lone_surrogate_is_a_400_not_a_database_error(client_for, parent, appointment, text):
    body = f'{{"appointmentId": "{appointment.pk}", "content": "{text}"}}'

    response = client_for(parent).post(MESSAGES, body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.django_db
def test_a_surrogate_pair_is_one_character_and_is_kept(client_for, parent, appointment):
    body = f'{{"appointmentId": "{appointment.pk}", "content": "\\ud83d\\udc36"}}'

    response = client_for(parent).post(MESSAGES, body, content_type="application/json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["message"]["content"] == "\N{DOG FACE}"


@pytest.mark.django_db(transaction=True)
def test_a_30_mb_body_is_a_json_413_that_the_client_reads(live_server, parent):
    answer = send(
        live_server.url,
        "POST",
        MESSAGES,
        headers=signed_in(parent),
        chunks=megabytes_of_json(THIRTY_MB),
        length=THIRTY_MB,
    )

    assert answer.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    error = answer.json()["error"]
    assert error["code"] == "too_large"
    assert "1 MB" in error["message"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("size", "status"),
    [
        (MAX_API_BODY, HTTPStatus.UNAUTHORIZED),
        (MAX_API_BODY + 1, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    ],
)
def test_the_limit_is_one_megabyte_exactly(live_server, size, status):
    # given nobody signed in: a body within the limit reaches the API, which asks for a sign-in
    answer = send(
        live_server.url,
        "POST",
        MESSAGES,
        headers={"Content-Type": "application/json"},
        chunks=megabytes_of_json(size),
        length=size,
    )

    assert answer.status == status
    assert answer.json()["error"]["code"]


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[str]:
    """The app under gunicorn, as deployed, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or get_random_string(50),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [Path(sys.executable).with_name("gunicorn"), "vetchat.wsgi", "--workers", "1",
         "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if send(url, "GET", "/healthz").status == HTTPStatus.OK:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_a_30_mb_body_is_a_json_413_under_gunicorn_too(gunicorn):
    # gunicorn closes the connection after each answer: unread body bytes would turn the close
    # into a reset that discards the 413 before the client reads it.
    answer = send(
        gunicorn,
        "POST",
        MESSAGES,
        headers={"Content-Type": "application/json"},
        chunks=megabytes_of_json(THIRTY_MB),
        length=THIRTY_MB,
    )

    assert answer.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert answer.json()["error"]["code"] == "too_large"


@pytest.mark.django_db(transaction=True)
def test_a_host_not_allowed_is_a_json_400_on_the_api(live_server):
    answer = send(live_server.url, "GET", "/api/appointments/", headers={"Host": "evil.example"})

    assert answer.status == HTTPStatus.BAD_REQUEST
    assert answer.json()["error"]["code"] == "disallowed_host"


@pytest.mark.django_db(transaction=True)
def test_a_host_not_allowed_keeps_django_s_page_outside_the_api(live_server):
    answer = send(live_server.url, "GET", "/appointments/", headers={"Host": "evil.example"})

    assert answer.status == HTTPStatus.BAD_REQUEST
    assert answer.content_type.startswith("text/html")
