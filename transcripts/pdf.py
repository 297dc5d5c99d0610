"""The transcript as a PDF: a Django template with print CSS, laid out by WeasyPrint.

WeasyPrint fetches whatever a document points at (images, style sheets) with urllib. Ours may
read only our own files on disk; every other URL, whoever wrote it, is refused, so rendering a
transcript never makes a request to another server or reads a file outside our folders.
"""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from attachments.storage import attachment_storage, is_local
from transcripts.selectors import TranscriptDocument
from transcripts.shapes import verification_text

logger = logging.getLogger(__name__)


class URLRefused(ValueError):
    """A URL the transcript may not read."""


def readable_roots() -> list[Path]:
    """The folders the PDF may read from: collected and source static files, media, and the
    attachments' folder when they are kept on disk (for their thumbnails)."""
    roots = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.MEDIA_ROOT]
    storage = attachment_storage()
    if is_local(storage):
        roots.append(storage.location)
    return [Path(root).resolve() for root in roots if root]


class OwnFilesFetcher(URLFetcher):
    """Reads file:// URLs inside `readable_roots()` from disk and refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = self._local_path(url)
        except URLRefused:
            self.refused.append(url)
            logger.warning("Transcript refused to fetch a resource outside its folders.")
            raise
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={
                "Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            },
        )

    def _local_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise URLRefused(f"Not one of our files: {url[:200]}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in readable_roots()) or not path.is_file():
            raise URLRefused(f"Not one of our files: {url[:200]}")
        return path


def print_css() -> Path:
    return Path(settings.BASE_DIR) / "templates" / "transcripts" / "print.css"


def transcript_html(document: TranscriptDocument) -> str:
    # The template's date filters show the active zone's time: the clinic's.
    with timezone.override(ZoneInfo(document.time_zone)):
        return render_to_string(
            "transcripts/transcript.html",
            {"doc": document, "verify": verification_text(document)},
        )


def html_to_pdf(html: str, fetcher: OwnFilesFetcher | None = None) -> bytes:
    """Lay out HTML of ours; relative URLs resolve under the collected static files."""
    fetcher = fetcher or OwnFilesFetcher()
    base = Path(settings.STATIC_ROOT).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(filename=str(print_css()), url_fetcher=fetcher)]
    )


def transcript_pdf(document: TranscriptDocument) -> bytes:
    return html_to_pdf(transcript_html(document))
