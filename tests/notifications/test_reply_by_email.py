"""Replies by email, through real SMTP both ways: the unread email's Reply-To, and the gateway
(`manage.py mail_gateway`) posting what is sent to it as its sender's message, or bouncing it."""

import base64
import os
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import CoOwnership
from appointments.services import co_owner_revoke
from attachments.models import Attachment
from chat.models import Chat, Message
from chat.services import chat_get_or_create
from notifications.emails import build
from notifications.inbound.addresses import (
    key_of_address,
    reply_address_for,
    reply_addresses_revoke,
)
from notifications.inbound.gateway import gateway_start, gateway_stop
from notifications.models import QueuedEmail, UnreadEmail
from tests.attachments.files import jpeg_with_gps, pdf_document
from tests.care_team import co_owner
from tests.factories import AppointmentFactory, ClinicFactory, send_message
from tests.notifications.conftest import ROOT, test_database_url, wait_until

REPLIES = Path(__file__).parent / "replies"
DOMAIN = "reply.vetchat.test"


@pytest.fixture(autouse=True)
def reply_domain(settings) -> None:
    settings.VETCHAT_REPLY_DOMAIN = DOMAIN


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gateway:
    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, raw: bytes, *, to: str, mail_from: str = "sender@example.net") -> None:
        # On the wire every line ends in CRLF; smtplib sends bytes as they are.
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as client:
            client.sendmail(mail_from, [to], raw)


@pytest.fixture
def gateway(transactional_db) -> Iterator[Gateway]:
    controller = gateway_start("127.0.0.1", free_port())
    yield Gateway(controller.port)
    gateway_stop(controller)


def address_of(user, appointment) -> str:
    chat = chat_get_or_create(appointment_id=appointment.pk)
    return reply_address_for(user=user, chat=chat)


def reply(
    to: str,
    sender: str,
    text: str = "Thank you, see you tomorrow.",
    *,
    message_id: str = "<reply-1@example.net>",
    subject: str = "Re: 1 unread message about Bella",
    headers: dict[str, str] | None = None,
    files: list[tuple[str, str, bytes]] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(f"{text}\n\nOn Tue, 3 Mar 2026 at 09:30, Riverside Vets wrote:\n> Hi\n")
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def mixed(to: str, sender: str, text: str, file: tuple[str, str, bytes]) -> bytes:
    """A reply with one large file, written out directly: the email package's generator
    takes many seconds over 30 MB, and the test is about the gateway's side."""
    name, content_type, data = file
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: Bella\r\nMessage-ID: <big@example.net>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--b\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
    )
    body = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return head.encode() + body + b"--b--\r\n"


def messages_of(user) -> list[Message]:
    return list(Message.objects.filter(sender=user).order_by("seq"))


def bounces() -> list[dict]:
    return [queued.message for queued in QueuedEmail.objects.filter(kind="reply_bounce")]


# The reply address ---------------------------------------------------------------------------


def test_a_reply_address_is_signed_stable_and_names_nothing_readable(appointment, parent):
    address = address_of(parent, appointment)
    local, _, domain = address.partition("@")
    assert domain == DOMAIN
    assert local.startswith("reply+")
    assert parent.email.split("@")[0] not in local
    assert str(appointment.pk) not in local and appointment.pet.name.lower() not in local
    assert address_of(parent, appointment) == address  # the same on every email
    assert key_of_address(address.upper()) is not None  # a server may change its case


def test_a_forged_token_is_refused_without_asking_the_database(appointment, parent):
    local, _, _ = address_of(parent, appointment).partition("@")
    forged = local[:-1] + ("0" if local[-1] != "0" else "1")
    with CaptureQueriesContext(connection) as queries:
        assert key_of_address(f"{forged}@{DOMAIN}") is None
        assert key_of_address(f"reply+{'a' * 44}@{DOMAIN}") is None
        assert key_of_address(f"{local}@another.example") is None
    assert len(queries) == 0


def test_without_a_reply_domain_emails_offer_no_reply_address(settings, appointment, parent):
    settings.VETCHAT_REPLY_DOMAIN = ""
    chat = chat_get_or_create(appointment_id=appointment.pk)
    assert reply_address_for(user=parent, chat=chat) is None
    email = UnreadEmail.objects.create(
        user=parent, clinic_id=chat.clinic_id, chat=chat, first_seq=1, last_seq=1, message_count=1
    )
    message = build(parent, [email])
    assert message.reply_to == []
    assert "reply to this email" not in message.body


def test_the_unread_email_of_one_chat_replies_to_its_address_a_digest_to_none(vet):
    first, second = AppointmentFactory(veterinarian=vet), AppointmentFactory(veterinarian=vet)
    emails = []
    for appointment in (first, second):
        chat = chat_get_or_create(appointment_id=appointment.pk)
        emails.append(
            UnreadEmail.objects.create(
                user=vet, clinic_id=chat.clinic_id, chat=chat, first_seq=1, last_seq=1,
                message_count=1,
            )
        )  # fmt: skip
    one = build(vet, emails[:1])
    assert one.reply_to == [address_of(vet, first)]
    assert "To answer, reply to this email" in one.body
    assert "To answer, reply to this email" in one.alternatives[0].content
    # A digest spans several chats: a reply to it could belong to any, so it offers none.
    digest = build(vet, emails)
    assert digest.reply_to == []
    assert "reply to this email" not in digest.body


# Real mail clients' replies ------------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(p.stem for p in REPLIES.glob("*.eml")))
def test_a_reply_from_each_mail_client_lands_as_what_was_written(
    fixture, gateway, appointment, parent
):
    # given a reply as that client writes it, to the parent's address for this chat
    raw = (REPLIES / f"{fixture}.eml").read_bytes()
    raw = raw.replace(b"PARENT_ADDRESS", parent.email.encode())
    raw = raw.replace(b"REPLY_ADDRESS", address_of(parent, appointment).encode())
    # when it arrives by SMTP
    gateway.send(raw, to=address_of(parent, appointment), mail_from=parent.email)
    # then the chat holds exactly what the parent wrote, and nobody is bounced
    [message] = messages_of(parent)
    assert message.content == (REPLIES / f"{fixture}.txt").read_text()
    assert message.chat.appointment_id == appointment.pk
    assert bounces() == []


def test_there_are_at_least_ten_mail_client_fixtures_each_with_its_text():
    fixtures = sorted(REPLIES.glob("*.eml"))
    assert len(fixtures) >= 10
    assert all(f.with_suffix(".txt").exists() for f in fixtures)


# Refused and bounced -------------------------------------------------------------------------


def test_a_forged_token_is_refused_at_rcpt_and_nothing_is_stored(gateway, appointment, parent):
    local, _, _ = address_of(parent, appointment).partition("@")
    forged = f"{local[:-4]}beef@{DOMAIN}"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        gateway.send(reply(forged, parent.email), to=forged, mail_from=parent.email)
    assert refused.value.recipients[forged][0] == 550
    for other in (f"someone@{DOMAIN}", "reply+abc@elsewhere.example"):
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            gateway.send(reply(other, parent.email), to=other, mail_from=parent.email)
    assert messages_of(parent) == []
    assert bounces() == []


def test_a_reply_from_another_address_is_not_posted_and_its_owner_is_told(
    gateway, appointment, parent
):
    address = address_of(parent, appointment)
    gateway.send(reply(address, "mallory@example.org"), to=address, mail_from="mallory@example.org")
    assert messages_of(parent) == []
    # the bounce goes to the address's own user, never to the unverified sender
    [bounce] = bounces()
    assert bounce["to"] == [parent.email]
    assert "mallory@example.org" in bounce["body"]
    assert bounce["headers"]["Auto-Submitted"] == "auto-replied"


def test_a_removed_co_owner_gets_a_polite_bounce_and_nothing_is_posted(
    gateway, appointment, parent
):
    # given a co-owner who was emailed a reply address, then removed by the owner
    robin = co_owner(appointment)
    address = address_of(robin, appointment)
    co_owner_revoke(ownership_id=CoOwnership.objects.get(user=robin).pk, by=parent)
    # when their reply arrives
    gateway.send(reply(address, robin.email), to=address, mail_from=robin.email)
    # then nothing is posted and they are told why, politely
    assert messages_of(robin) == []
    [bounce] = bounces()
    assert bounce["to"] == [robin.email]
    assert "no longer take part in this chat" in bounce["body"]


def test_a_reply_to_a_closed_chat_bounces_with_the_clinics_phone(gateway, parent, vet):
    clinic = ClinicFactory(name="Hillside Vets", phone="+44 20 7946 0000")
    old = AppointmentFactory(
        clinic=clinic,
        pet__owner=parent,
        veterinarian=vet,
        status="completed",
        starts_at=timezone.now() - timedelta(days=10),
    )
    address = address_of(parent, old)
    gateway.send(reply(address, parent.email), to=address, mail_from=parent.email)
    assert messages_of(parent) == []
    [bounce] = bounces()
    assert "follow-up window of this appointment closed" in bounce["body"]
    assert "To reach Hillside Vets, call +44 20 7946 0000." in bounce["body"]
    assert "Hillside Vets" in bounce["from_email"]


def test_an_empty_reply_bounces_we_could_not_find_your_reply(gateway, appointment, parent):
    address = address_of(parent, appointment)
    gateway.send(reply(address, parent.email, text=""), to=address, mail_from=parent.email)
    assert messages_of(parent) == []
    [bounce] = bounces()
    assert "could not find your reply" in bounce["body"]


def test_a_revoked_address_posts_nothing(gateway, appointment, parent):
    address = address_of(parent, appointment)
    assert reply_addresses_revoke(user=parent) == 1
    gateway.send(reply(address, parent.email), to=address, mail_from=parent.email)
    assert messages_of(parent) == []
    [bounce] = bounces()
    assert "no longer works" in bounce["body"]
    assert address_of(parent, appointment) != address  # the next email carries a new one
    # and a stranger writing to the stopped address makes no mail at all
    gateway.send(reply(address, "mallory@example.org"), to=address, mail_from="mallory@example.org")
    assert len(bounces()) == 1


@pytest.mark.parametrize(
    ("headers", "mail_from"),
    [
        ({"Auto-Submitted": "auto-replied"}, "parent"),
        ({"Auto-Submitted": "auto-generated; type=vacation"}, "parent"),
        ({"Precedence": "bulk"}, "parent"),
        ({"Precedence": "junk"}, "parent"),
        ({"X-Autoreply": "yes"}, "parent"),
        ({"X-Autorespond": "Out of office"}, "parent"),
        ({"Subject": "Out of Office: 1 unread message"}, "parent"),
        ({"Subject": "Automatische Antwort: Bella"}, "parent"),
        ({}, ""),  # a delivery report, sent with an empty return path
    ],
)
def test_an_auto_reply_is_dropped_without_a_word(gateway, appointment, parent, headers, mail_from):
    address = address_of(parent, appointment)
    headers = dict(headers)
    subject = headers.pop("Subject", "Re: Bella")
    raw = reply(address, parent.email, "I am away until Monday.", subject=subject, headers=headers)
    gateway.send(raw, to=address, mail_from=parent.email if mail_from else "<>")
    assert messages_of(parent) == []
    assert bounces() == []


def test_the_same_message_id_delivered_twice_is_one_message(gateway, appointment, parent):
    address = address_of(parent, appointment)
    raw = reply(address, parent.email, "Only once, please.", message_id="<same@example.net>")
    gateway.send(raw, to=address, mail_from=parent.email)
    gateway.send(raw, to=address, mail_from=parent.email)
    assert [m.content for m in messages_of(parent)] == ["Only once, please."]


def test_malformed_mail_is_answered_in_smtp_and_never_posted_half_read(
    gateway, appointment, parent
):
    address = address_of(parent, appointment)
    no_from = f"To: {address}\r\nSubject: hi\r\n\r\nWho am I?\r\n".encode()
    odd_charset = (
        f"From: {parent.email}\r\nTo: {address}\r\nMessage-ID: <odd@example.net>\r\n"
        "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nCaf\xe9 au lait\r\n"
    ).encode("latin-1")
    # when both arrive, each is answered 250 (no error the sender's server would retry forever)
    gateway.send(no_from, to=address, mail_from=parent.email)
    gateway.send(odd_charset, to=address, mail_from=parent.email)
    # then the one without a From is not posted (its owner is told), the other is, readably
    [message] = messages_of(parent)
    assert message.content == "Caf\ufffd au lait"
    [bounce] = bounces()
    assert bounce["to"] == [parent.email]
    assert "an unknown address" in bounce["body"]


# Attachments ---------------------------------------------------------------------------------


def test_a_photo_and_a_pdf_arrive_as_the_messages_attachments(gateway, appointment, parent):
    address = address_of(parent, appointment)
    files = [
        ("paw.jpg", "image/jpeg", jpeg_with_gps()),
        ("bloods.pdf", "application/pdf", pdf_document()),
    ]
    gateway.send(
        reply(address, parent.email, "Photo and lab results.", files=files),
        to=address,
        mail_from=parent.email,
    )
    [message] = messages_of(parent)
    assert message.content == "Photo and lab results."
    assert message.message_type == Message.Type.FILE
    assert sorted(a["name"] for a in message.attachments) == ["bloods.pdf", "paw.jpg"]
    assert Attachment.objects.filter(message_id=message.pk, uploader=parent).count() == 2
    assert bounces() == []


def test_a_30_mb_attachment_is_refused_by_the_upload_limit_and_the_text_still_posted(
    gateway, appointment, parent
):
    # given a reply carrying a 30 MB document (over the 20 MB upload limit)
    address = address_of(parent, appointment)
    big = pdf_document() + b"\0" * (30 * 1024 * 1024)
    raw = mixed(
        address, parent.email, "The scan is attached.", ("scan.pdf", "application/pdf", big)
    )
    # when it arrives: the gateway takes it (it is under its message limit)
    gateway.send(raw, to=address, mail_from=parent.email)
    # then the text is posted without the file, and the parent is told the file was too large
    [message] = messages_of(parent)
    assert message.content == "The scan is attached."
    assert message.attachments == []
    [bounce] = bounces()
    assert "scan.pdf: Documents can be at most 20 MB." in bounce["body"]
    assert "Your reply was posted" in bounce["body"]


def test_a_mail_over_the_gateways_limit_is_refused_in_smtp(
    settings, transactional_db, appointment, parent
):
    # given a gateway that takes at most 64 KB
    settings.VETCHAT_MAIL_GATEWAY_MAX_BYTES = 64 * 1024
    controller = gateway_start("127.0.0.1", free_port())
    address = address_of(parent, appointment)
    raw = reply(address, parent.email, "x" * (100 * 1024))
    try:
        # when a larger reply is sent, then the gateway refuses it (552) and stores nothing
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            Gateway(controller.port).send(raw, to=address, mail_from=parent.email)
    finally:
        gateway_stop(controller)
    assert refused.value.smtp_code == 552
    assert messages_of(parent) == []


# End to end ----------------------------------------------------------------------------------


def test_replying_to_the_delivered_unread_email_posts_in_the_chat(
    worker, smtp, gateway, settings, appointment, parent, vet
):
    # given the unread email, delivered by the job worker over SMTP
    settings.VETCHAT_NOTIFY_DELAY_SECONDS = 0
    worker(VETCHAT_REPLY_DOMAIN=DOMAIN, VETCHAT_NOTIFY_DELAY_SECONDS="0")
    send_message(vet, appointment, "How is Bella's paw today?")
    wait_until(lambda: smtp.messages, timeout=20, what="the unread email")
    [email] = smtp.messages
    [(_, reply_to)] = getaddresses([email["Reply-To"]])
    assert reply_to.endswith(f"@{DOMAIN}")
    # when the parent answers it from their mail client
    answer = EmailMessage()
    answer["From"] = parent.email
    answer["To"] = email["Reply-To"]
    answer["Subject"] = "Re: " + email["Subject"]
    answer["In-Reply-To"] = email["Message-ID"]
    answer["Message-ID"] = "<answer-1@example.net>"
    quoted = "\n".join("> " + line for line in email.get_body(("plain",)).get_content().split("\n"))
    answer.set_content(f"Much better, thank you!\n\nOn Tue, 3 Mar 2026, vetchat wrote:\n{quoted}\n")
    gateway.send(answer.as_bytes(), to=reply_to, mail_from=parent.email)
    # then it is in the chat as the parent's message
    [message] = messages_of(parent)
    assert message.content == "Much better, thank you!"
    assert Chat.objects.get(pk=message.chat_id).appointment_id == appointment.pk


def test_manage_py_mail_gateway_listens_and_stops_on_sigterm(transactional_db, tmp_path):
    port = free_port()
    log = tmp_path / "gateway.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mail_gateway", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": test_database_url(), "VETCHAT_REPLY_DOMAIN": DOMAIN},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: "Mail gateway:" in log.read_text() or process.poll() is not None, 60)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            code, _ = client.mail("someone@example.net")
            assert code == 250
            code, _ = client.rcpt(f"nobody@{DOMAIN}")
            assert code == 550
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, log.read_text()
    assert "Mail gateway stopped." in log.read_text()


def test_the_raw_mail_fixtures_parse_as_rfc_5322():
    for eml in REPLIES.glob("*.eml"):
        assert message_from_bytes(eml.read_bytes(), policy=policy.default)["Message-ID"]
