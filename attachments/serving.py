"""Answering a download: the bytes (or nginx's X-Accel-Redirect), with the headers that keep a
file from running as a page, conditional requests and byte ranges for video seeking."""

import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import IO

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

from attachments.storage import attachment_storage, is_local

CHUNK = 64 * 1024
SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# No file has a byte position of 20 digits (2**63 has 19), and Python refuses to parse an
# integer of more than 4,300: such a number is refused before it is read.
BEYOND_ANY_FILE = re.compile(r"\d{20}")
# Even if a browser were tricked into rendering a file as a page, it could run nothing and
# reach nothing.
SANDBOX = "sandbox; default-src 'none'"


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `Range: bytes=…`, clamped to the file; None to send
    the whole file (no range, several ranges, or one not understood). Raises `Unsatisfiable`
    for a range that starts past the end, or names a position no file has."""
    if BEYOND_ANY_FILE.search(header):
        raise Unsatisfiable
    match = SINGLE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        raise Unsatisfiable
    if end < start:
        return None
    return start, end


class Unsatisfiable(Exception):
    pass


def _chunks(file: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        file.close()


def _private(response: HttpResponse) -> HttpResponse:
    response.private_cache = True  # vetchat.middleware.NoStoreMiddleware leaves it be
    return response


def serve_file(
    request: HttpRequest,
    *,
    key: str,
    content_type: str,
    filename: str,
    inline: bool,
    etag: str,
) -> HttpResponse:
    """The stored file at `key`, for a user the caller has already let through."""
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
        "Accept-Ranges": "bytes",
    }
    if etag in request.headers.get("If-None-Match", ""):
        return _private(HttpResponse(status=HTTPStatus.NOT_MODIFIED, headers=headers))
    headers["Content-Disposition"] = content_disposition_header(not inline, filename)

    storage = attachment_storage()
    if not is_local(storage):
        # Object storage answers ranges itself; the signed URL carries the answer's type and
        # disposition, and lives for VETCHAT_S3_URL_SECONDS.
        url = storage.url(
            key,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": headers["Content-Disposition"],
                "ResponseCacheControl": "private, no-cache",
            },
        )
        return _private(HttpResponseRedirect(url, headers=headers))

    if settings.VETCHAT_X_ACCEL_REDIRECT:
        # nginx sends the bytes (and answers ranges) from its internal location.
        headers["X-Accel-Redirect"] = settings.VETCHAT_X_ACCEL_PREFIX + key
        return _private(HttpResponse(content_type=content_type, headers=headers))

    size = storage.size(key)
    wanted = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if wanted and (if_range is None or if_range == etag):
        try:
            span = byte_range(wanted, size)
        except Unsatisfiable:
            headers["Content-Range"] = f"bytes */{size}"
            return _private(
                HttpResponse(status=HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, headers=headers)
            )
        if span is not None:
            first, last = span
            length = last - first + 1
            return _private(
                StreamingHttpResponse(
                    _chunks(storage.open(key, "rb"), first, length),
                    status=HTTPStatus.PARTIAL_CONTENT,
                    content_type=content_type,
                    headers={
                        **headers,
                        "Content-Range": f"bytes {first}-{last}/{size}",
                        "Content-Length": str(length),
                    },
                )
            )
    # FileResponse writes Content-Disposition itself, from these two.
    del headers["Content-Disposition"]
    return _private(
        FileResponse(
            storage.open(key, "rb"),
            content_type=content_type,
            as_attachment=not inline,
            filename=filename,
            headers=headers,
        )
    )
