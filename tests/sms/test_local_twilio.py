"""The local stand-in for Twilio speaks its REST shapes (basic auth, 201 with the message's
fields, Twilio's error body), reports states to the app with callbacks signed as Twilio signs
them, and delivers a parent's text to the inbound webhook; with a real job worker, a text
waits out a provider outage and arrives, and an unread message becomes a delivered text."""

import os
import socket
import subprocess
import sys
import time
from http import HTTPStatus

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from sms.client import twilio_client
from sms.models import ConsentEvent, InboundText, Phone, Text
from sms.outbound import text_queue
from tests.factories import send_message
from tests.notifications import conftest as notifications
from tests.notifications.conftest import ROOT, wait_until
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, SENDER, aim_at
from tests.sms.outbound_helpers import (
    PARENT_NUMBER,
    consented_phone,
    notify,
    pending_emails,
    send_queued_texts,
)

# The notification tests' real SMTP server and job worker, and their emptied queue.
empty_queue = notifications.empty_queue
smtp = notifications.smtp
worker = notifications.worker

MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_wrong_credentials_get_twilios_401(twilio):
    for auth in ((ACCOUNT_SID, "wrong-token"), ("AC" + "9" * 32, AUTH_TOKEN), None):
        response = requests.post(
            twilio.url + MESSAGES, data={"To": PARENT_NUMBER, "Body": "x"}, auth=auth, timeout=5
        )
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json() == {
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        }
    assert twilio.messages == []


def test_twilios_client_sends_and_reads_back_a_text(twilio):
    client = twilio_client()
    message = client.messages.create(to=PARENT_NUMBER, from_=SENDER, body="Hello")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.to, message.from_, message.body) == (
        "queued",
        PARENT_NUMBER,
        SENDER,
        "Hello",
    )
    assert client.messages(message.sid).fetch().body == "Hello"
    assert [m["sid"] for m in twilio.sent()] == [message.sid]


def test_twilios_client_raises_twilios_errors(twilio, settings):
    with pytest.raises(TwilioRestException) as refused:
        twilio_client().messages.create(to="+12025550111", from_=SENDER, body="Hello")
    assert (refused.value.status, refused.value.code) == (400, 21211)
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    with pytest.raises(TwilioRestException) as unauthorised:
        twilio_client().messages.create(to=PARENT_NUMBER, from_=SENDER, body="Hello")
    assert (unauthorised.value.status, unauthorised.value.code) == (401, 20003)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("number", "states", "final"),
    [
        (PARENT_NUMBER, ["sent", "delivered"], Text.Status.DELIVERED),
        ("+12025550106", ["sent", "undelivered"], Text.Status.UNDELIVERED),
    ],
)
def test_signed_callbacks_carry_each_state_to_the_app(
    live_server, twilio, settings, parent, vet, appointment, number, states, final
):
    aim_at(settings, twilio, app_url=live_server.url)
    consented_phone(parent, number)
    notify(parent, vet, appointment)
    [text] = send_queued_texts()

    wait_until(lambda: len(twilio.callbacks) == 2, what="both callbacks")
    assert [params["MessageStatus"] for _, params, _ in twilio.callbacks] == states
    assert {url for url, _, _ in twilio.callbacks} == {live_server.url + "/sms/twilio/status"}
    assert {answer for _, _, answer in twilio.callbacks} == {HTTPStatus.NO_CONTENT}
    text.refresh_from_db()
    assert text.status == final
    assert len(pending_emails(parent)) == (1 if final == Text.Status.UNDELIVERED else 0)


@pytest.mark.django_db(transaction=True)
def test_a_parents_text_reaches_the_inbound_webhook_signed(live_server, twilio, settings, parent):
    aim_at(settings, twilio, app_url=live_server.url)
    twilio.inbound_url = live_server.url + "/sms/twilio/inbound"
    consented_phone(parent)

    answer = requests.post(
        twilio.url + "/local/inbound", data={"From": PARENT_NUMBER, "Body": "STOP"}, timeout=15
    ).json()

    assert answer["status"] == HTTPStatus.OK
    assert InboundText.objects.get(provider_sid=answer["sid"]).body == "STOP"
    assert Phone.objects.get(user=parent).stopped_at is not None
    assert ConsentEvent.objects.filter(user=parent, kind="stop", words="STOP").exists()


def worker_env(twilio, app_url: str) -> dict[str, str]:
    return {
        "VETCHAT_SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": SENDER,
        "TWILIO_API_BASE": twilio.url,
        "VETCHAT_BASE_URL": app_url,
        "VETCHAT_EMAIL_RETRY_SECONDS": "1",
    }


@pytest.mark.django_db(transaction=True)
def test_a_provider_outage_loses_no_text_the_job_retries_until_it_goes(
    worker, twilio, settings, parent, appointment
):
    phone = consented_phone(parent)
    url = twilio.url
    twilio.down()
    text = text_queue(phone=phone, appointment=appointment, body="New message about Biscuit")
    worker(**worker_env(twilio, "http://127.0.0.1:1") | {"TWILIO_API_BASE": url})

    wait_until(lambda: attempts() >= 2, timeout=30, what="the job to fail and retry")
    text.refresh_from_db()
    assert (text.status, text.provider_sid) == (Text.Status.QUEUED, None)

    twilio.up()
    wait_until(lambda: Text.objects.get(pk=text.pk).provider_sid, timeout=30, what="the text")
    [sent] = twilio.sent()
    assert sent["sid"] == Text.objects.get(pk=text.pk).provider_sid
    assert sent["body"] == "New message about Biscuit"


def attempts() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(attempts), 0) FROM procrastinate_jobs"
            " WHERE task_name = 'sms.tasks.send_text'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_an_unread_message_becomes_a_delivered_text_through_the_worker(
    worker, live_server, twilio, settings, smtp, parent, vet, appointment
):
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = settings.VETCHAT_PARENT_NOTIFY_DELAY_SECONDS = 0
    aim_at(settings, twilio, app_url=live_server.url)
    consented_phone(parent)
    worker(**worker_env(twilio, live_server.url))

    send_message(vet, appointment, "Biscuit's kidney values are high.")

    wait_until(
        lambda: Text.objects.filter(status=Text.Status.DELIVERED).exists(),
        timeout=30,
        what="the text to be delivered",
    )
    [sent] = twilio.sent()
    assert sent["to"] == PARENT_NUMBER and "kidney" not in sent["body"]
    assert f"Read and reply: {live_server.url}/signin/" in sent["body"]
    time.sleep(0.3)
    assert smtp.messages == []  # the text replaced the email


def test_the_command_serves_and_prints_each_text(tmp_path):
    env = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": SENDER,
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "twilio.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "twilio_local", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}{MESSAGES}"

        def answered() -> requests.Response | None:
            try:
                return requests.post(
                    url,
                    data={"To": PARENT_NUMBER, "From": SENDER, "Body": "New message about Miso"},
                    auth=(ACCOUNT_SID, AUTH_TOKEN),
                    timeout=5,
                )
            except requests.ConnectionError:
                return None

        response = wait_until(answered, timeout=60, what="the command to listen")
        assert response.status_code == HTTPStatus.CREATED
        wait_until(lambda: "Text to" in log.read_text(), what="the printed text")
        assert f"Text to {PARENT_NUMBER}: New message about Miso" in log.read_text()
    finally:
        process.terminate()
        process.wait(10)
