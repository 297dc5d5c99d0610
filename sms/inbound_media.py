"""The files of an MMS, fetched from Twilio as it requires: HTTP basic auth with the account's
sid and token, and only from Twilio's own hosts.

The media URLs arrive in a webhook, so they are never trusted as addresses: a URL (or a
redirect) to any other host is not fetched at all, whatever the request names (SSRF), and the
account's credentials go to Twilio's API alone, never to its CDN or anywhere else.
"""

import mimetypes
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from django.conf import settings

if TYPE_CHECKING:
    import requests

# Twilio takes MMS of at most 5 MB in all; twice that leaves room, and bounds what a lying
# Content-Length or an endless body can cost before the upload pipeline's own limits apply.
MAX_MEDIA_BYTES = 10 * 1024 * 1024
# Twilio's API answers a media URL with a redirect to its CDN: one or two hops, never more.
MAX_REDIRECTS = 3
CONNECT_TIMEOUT_SECONDS = 5
# The whole download of one file, however slowly it trickles in, and of all of a text's files:
# Twilio waits 15 s for the webhook's answer, and the text is posted within them.
FETCH_SECONDS = 10
ALL_FILES_SECONDS = 12
TWILIO_API_HOST = "api.twilio.com"
TWILIO_CDN_SUFFIX = ".twiliocdn.com"


class MediaNotFetched(Exception):
    """Why a file could not be fetched, in words for its sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchedMedia:
    name: str
    content_type: str
    data: bytes


def _api_origins() -> set[tuple[str, str]]:
    base = urlsplit(settings.TWILIO_API_BASE)
    return {(base.scheme, base.netloc.lower()), ("https", TWILIO_API_HOST)}


def _is_api(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc.lower()) in _api_origins()


def media_url_allowed(url: str) -> bool:
    """Whether `url` is one of this account's media on Twilio's API, or on Twilio's CDN."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return False
    if _is_api(url):
        account = settings.TWILIO_ACCOUNT_SID
        return bool(account) and parts.path.startswith(f"/2010-04-01/Accounts/{account}/")
    try:
        port = parts.port
    except ValueError:  # not a port number
        return False
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and port in {None, 443} and host.endswith(TWILIO_CDN_SUFFIX)


def credentials_for(url: str) -> tuple[str, str] | None:
    """The account's credentials for Twilio's API; none for its CDN, whose links are signed."""
    return (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) if _is_api(url) else None


def media_name(index: int, content_type: str) -> str:
    """MMS files have no names: "photo-1.jpg", "file-2.pdf" (the pipeline sets the extension
    from what the file really is)."""
    kind = "photo" if content_type.startswith("image/") else "file"
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return f"{kind}-{index}{extension}"


def media_deadline() -> float:
    """When fetching a text's files gives up (a `time.monotonic()` value)."""
    return time.monotonic() + ALL_FILES_SECONDS


def media_fetch(*, url: str, content_type: str, index: int, deadline: float) -> FetchedMedia:
    """The file at a media URL of Twilio's, or MediaNotFetched saying why not."""
    import requests

    deadline = min(deadline, time.monotonic() + FETCH_SECONDS)
    if time.monotonic() >= deadline:
        raise MediaNotFetched("it took too long to download")
    for _ in range(MAX_REDIRECTS + 1):
        if not media_url_allowed(url):
            raise MediaNotFetched("it is not stored with our text provider")
        auth = credentials_for(url)
        try:
            response = requests.get(
                url,
                auth=auth,
                stream=True,
                allow_redirects=False,
                timeout=(CONNECT_TIMEOUT_SECONDS, max(deadline - time.monotonic(), 0.1)),
            )
        except requests.RequestException as error:
            raise MediaNotFetched("it could not be downloaded") from error
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                continue
            if response.status_code != HTTPStatus.OK:
                raise MediaNotFetched("it could not be downloaded")
            data = _body(response, deadline)
            served = response.headers.get("Content-Type", "") or content_type
            return FetchedMedia(media_name(index, served), served.split(";")[0].strip(), data)
    raise MediaNotFetched("it could not be downloaded")


def _body(response: "requests.Response", deadline: float) -> bytes:
    import requests

    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_MEDIA_BYTES:
        raise MediaNotFetched(_too_large())
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_MEDIA_BYTES:
                raise MediaNotFetched(_too_large())
            if time.monotonic() > deadline:
                raise MediaNotFetched("it took too long to download")
            chunks.append(chunk)
    except requests.RequestException as error:
        raise MediaNotFetched("it could not be downloaded") from error
    return b"".join(chunks)


def _too_large() -> str:
    return f"it is larger than {MAX_MEDIA_BYTES // (1024 * 1024)} MB"
