"""The SMTP side of reply by email: `manage.py mail_gateway` serves `gateway_start`.

Each mail is posted while its SMTP client waits, and only then answered 250: the mail server
relaying it (the clinic's MX) keeps it in its queue until then and delivers it again after a
4xx or a dropped connection, so nothing is lost if the gateway stops mid-mail, and the
Message-ID makes the second delivery the same message.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

from notifications.inbound.addresses import key_of_address
from notifications.inbound.receive import Received, reply_receive

logger = logging.getLogger(__name__)

# Mails posted at once; each holds a database connection and, for its files, the upload
# pipeline's decoders.
WORKERS = 4


def bind_address(value: str) -> tuple[str, int]:
    """`host:port` (`[::1]:2525` for IPv6) as its parts; ValueError when it is not one."""
    host, colon, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"Give the address as host:port, e.g. 127.0.0.1:2525 (not {value!r}).")
    return host, int(port)


def receive_all(recipients: list[str], raw: bytes, mail_from: str) -> list[Received]:
    """Post one mail for each of its reply addresses, on a worker thread."""
    close_old_connections()
    try:
        received = [
            reply_receive(recipient=recipient, raw=raw, mail_from=mail_from)
            for recipient in recipients
        ]
    finally:
        # A mail now and then: the thread keeps no connection open between them.
        connections.close_all()
    for each in received:
        logger.info("Reply by email: %s", each.outcome)
    return received


class ReplyHandler:
    """aiosmtpd's handler: reply addresses signed here are taken, anything else refused at
    RCPT, so a forged or mistyped address never costs a database query or a stored byte."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if key_of_address(address) is None:
            return "550 5.1.1 No such reply address here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                self.executor, receive_all, list(envelope.rcpt_tos), raw, envelope.mail_from or ""
            )
        except Exception:
            # The relaying server tries again later; the Message-ID keeps it to one message.
            logger.exception("A reply by email could not be processed")
            return "451 4.3.0 The reply could not be taken now; try again later"
        return "250 2.0.0 OK"


def gateway_start(host: str, port: int) -> Controller:
    """The gateway, listening in its own thread until `.stop()`."""
    executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="mail-gateway")
    controller = Controller(
        ReplyHandler(executor),
        hostname=host,
        port=port,
        server_hostname=settings.VETCHAT_REPLY_DOMAIN or "localhost",
        data_size_limit=settings.VETCHAT_MAIL_GATEWAY_MAX_BYTES,
        enable_SMTPUTF8=True,
    )
    controller.start()
    controller.executor = executor
    return controller


def gateway_stop(controller: Controller) -> None:
    """Stop listening, then let the mails in hand finish."""
    controller.stop()
    controller.executor.shutdown(wait=True)
