"""The PDF reads our own files and nothing else: no request to a URL someone wrote, no file
outside our folders."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from tests.transcripts.conftest import pdf_text
from transcripts.pdf import OwnFilesFetcher, URLRefused, html_to_pdf

PNG = (Path(settings.BASE_DIR) / "static" / "icons" / "icon-192.png").resolve()


@pytest.fixture
def foreign_server():
    """An HTTP server that counts every request it is sent."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG.read_bytes())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_an_image_on_another_server_is_never_requested(foreign_server):
    base, hits = foreign_server
    fetcher = OwnFilesFetcher()
    html = (
        f'<p>Before</p><img src="{base}/tracker.png">'
        f'<div style="background: url({base}/bg.png)">After</div>'
    )
    pdf = html_to_pdf(html, fetcher)
    assert hits == []
    assert fetcher.refused == [f"{base}/tracker.png", f"{base}/bg.png"]
    assert "Before" in pdf_text(pdf)


def test_a_file_outside_our_folders_is_refused(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG.read_bytes())
    fetcher = OwnFilesFetcher()
    html_to_pdf(
        f'<img src="{secret.as_uri()}"><img src="file:///etc/passwd">'
        f'<img src="file://{PNG.parent}/../../manage.py">',
        fetcher,
    )
    assert fetcher.refused == [
        secret.as_uri(),
        "file:///etc/passwd",
        f"file://{PNG.parent}/../../manage.py",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.png",
        "ftp://example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file://evil.example/static/icons/icon-192.png",
        "file:///etc/passwd",
    ],
)
def test_the_fetcher_refuses_anything_but_our_files(url):
    with pytest.raises(URLRefused):
        OwnFilesFetcher().fetch(url)


def test_our_own_static_files_are_read_from_disk():
    fetcher = OwnFilesFetcher()
    response = fetcher.fetch(PNG.as_uri())
    assert response.read() == PNG.read_bytes()
    assert response.content_type == "image/png"
    pdf = html_to_pdf(f'<img src="{PNG.as_uri()}"><p>With a picture</p>', fetcher)
    assert fetcher.refused == []
    assert b"/Image" in pdf  # the picture is embedded
