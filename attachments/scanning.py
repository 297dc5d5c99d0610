"""The malware scan every kept file passes before it can be attached: ClamAV's clamd, over its
unix socket, when `VETCHAT_CLAMD_SOCKET` names one. The bytes are streamed (INSTREAM), so
clamd needs no access to the app's folders; its `StreamMaxLength` must exceed the largest
upload (deploy/clamd.conf)."""

import logging
from pathlib import Path

from django.conf import settings

from vetchat.errors import Unprocessable

logger = logging.getLogger(__name__)


class Infected(Unprocessable):
    code = "infected"


class ScanUnavailable(Unprocessable):
    code = "scan_unavailable"


def scan(path: Path) -> None:
    """Raise `Infected` when clamd finds something in the file, `ScanUnavailable` when it
    cannot answer (nothing unscanned is kept); nothing without a clamd configured."""
    socket_path = settings.VETCHAT_CLAMD_SOCKET
    if not socket_path:
        return
    # Here, not at the top: only a server taking uploads scans, never a socket worker.
    from clamav_client.clamd import ClamdError, ClamdUnixSocket

    try:
        client = ClamdUnixSocket(path=socket_path, timeout=settings.VETCHAT_MEDIA_TIMEOUT_SECONDS)
        with path.open("rb") as content:
            state, signature = client.instream(content)["stream"]
    except (ClamdError, OSError, KeyError, ValueError) as error:
        logger.warning("clamd could not scan an upload", exc_info=True)
        message = "The file could not be checked for malware just now. Try again shortly."
        raise ScanUnavailable(message, fields={"file": message}) from error
    if state == "FOUND":
        logger.warning("clamd found %s in an upload; it was not kept", signature)
        message = "This file contains malware and was not kept."
        raise Infected(message, fields={"file": message})
    if state != "OK":
        logger.warning("clamd answered %s %s", state, signature)
        message = "The file could not be checked for malware. Try again shortly."
        raise ScanUnavailable(message, fields={"file": message})
