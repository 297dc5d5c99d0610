"""Attachments, measured against a real gunicorn worker on a migrated DATABASE_URL:

    python -m bench.uploads rss        # the worker's memory while 1 MB and 150 MB uploads stream
    python -m bench.uploads photo      # a 5 MB photo's upload, p50/p99, and its thumbnails' time
    python -m bench.uploads range      # a 50 MB video downloaded in 1 MB Range requests

Each adds its own users and appointments; point it at a throwaway database.
"""

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSRF = "k" * 32
BOUNDARY = "vetchatbenchboundary"
MB = 1024 * 1024


def _setup(media_root: str) -> None:
    import django

    os.environ["VETCHAT_MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    django.setup()


def _participant() -> tuple[object, str]:
    """An appointment and its pet parent's session key (second factor passed)."""
    from tests.factories import AppointmentFactory
    from tests.signin import signed_in_client

    appointment = AppointmentFactory(
        pet__owner__email=f"p{uuid.uuid4().hex}@x.io",
        veterinarian__email=f"v{uuid.uuid4().hex}@x.io",
    )
    client = signed_in_client(appointment.pet_parent)
    return appointment, client.session.session_key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One gunicorn sync worker, as production serves uploads."""

    def __init__(self, media_root: str, **env: str) -> None:
        self.port = _free_port()
        self.log = open(Path(tempfile.gettempdir()) / "vetchat-bench-uploads.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "vetchat.wsgi", "--workers", "1"),
                *("--bind", f"127.0.0.1:{self.port}", "--timeout", "300"),
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "VETCHAT_MEDIA_ROOT": media_root,
                "DJANGO_LOG_LEVEL": "WARNING",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                **env,
            },
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        self.worker_pid = self._worker()

    def _worker(self) -> int:
        for _ in range(50):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = children.read_text().split()
            if pids:
                return int(pids[0])
            time.sleep(0.1)
        raise RuntimeError("gunicorn started no worker")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.worker_pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def _headers(session_key: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={session_key}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def upload(server: Server, session_key: str, appointment_id: object, path: Path) -> int:
    """A multipart upload streamed from disk, as a phone's browser sends it."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="appointmentId"\r\n\r\n'
        f"{appointment_id}\r\n--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb") as file:
            while chunk := file.read(256 * 1024):
                yield chunk
        yield tail

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    connection.request(
        "POST",
        "/api/appointment-chat/attachments",
        body=body(),
        headers={
            **_headers(session_key),
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(head) + path.stat().st_size + len(tail)),
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def _padded_pdf(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        block = secrets.token_bytes(MB)
        while out.tell() < size:
            out.write(block[: size - out.tell()])
    return path


def _sample(server: Server, peak: list[int], done: threading.Event) -> None:
    while not done.is_set():
        peak.append(server.rss_kb())
        time.sleep(0.01)


def rss(rounds: int) -> None:
    """Peak RSS of the worker above its level before the upload, per file size."""
    with tempfile.TemporaryDirectory(prefix="vetchat-bench-media-") as media:
        _setup(media)
        appointment, key = _participant()
        # Documents may be 200 MB here, so that the file is only streamed and stored.
        server = Server(media, VETCHAT_DOCUMENT_MAX_MB="200", DJANGO_RATE_LIMITS="off")
        try:
            files = {size: _padded_pdf(Path(media) / f"{size}.pdf", size * MB) for size in (1, 150)}
            upload(server, key, appointment.pk, files[1])  # warm: imports, connections
            for size in (1, 150, 1, 150)[: 2 * rounds]:
                before = server.rss_kb()
                peak, done = [before], threading.Event()

                sampler = threading.Thread(target=_sample, args=(server, peak, done))
                sampler.start()
                started = time.perf_counter()
                status = upload(server, key, appointment.pk, files[size])
                seconds = time.perf_counter() - started
                done.set()
                sampler.join()
                print(
                    f"upload {size:>3} MB: status {status}, {seconds:5.2f} s, worker RSS "
                    f"{before / 1024:6.1f} MB before, peak {max(peak) / 1024:6.1f} MB "
                    f"(+{(max(peak) - before) / 1024:.1f} MB)"
                )
        finally:
            server.stop()


def _photo(path: Path) -> Path:
    """A 12 MP photo of noise: about 5 MB as a JPEG, as phones make them."""
    from PIL import Image

    noise = Image.frombytes("RGB", (4000, 3000), secrets.token_bytes(4000 * 3000 * 3))
    smooth = noise.resize((1600, 1200)).resize((4000, 3000))
    smooth.save(path, "JPEG", quality=95)
    return path


def photo(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vetchat-bench-media-") as folder:
        _setup(folder)
        from attachments import media

        appointment, key = _participant()
        path = _photo(Path(folder) / "photo.jpg")
        print(f"photo: {path.stat().st_size / MB:.1f} MB, 4000 x 3000")
        server = Server(folder, DJANGO_RATE_LIMITS="off")
        try:
            timings = []
            upload(server, key, appointment.pk, path)
            for _ in range(count):
                started = time.perf_counter()
                assert upload(server, key, appointment.pk, path) == 201
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            server.stop()
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(
            f"upload 5 MB photo (sniff, re-encode, 2 thumbnails, store): n={count} "
            f"p50 {statistics.median(timings):.0f} ms, p99 {p99:.0f} ms"
        )
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            work = Path(folder) / "work"
            work.mkdir()
            started = time.perf_counter()
            for _ in range(5):
                media._thumbnails(image, work)
            each = (time.perf_counter() - started) / 5 * 1000
        print(f"thumbnails 320 + 1280 px of a decoded 12 MP photo: {each:.0f} ms")


def ranges(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vetchat-bench-media-") as folder:
        _setup(folder)
        from django.core.files.base import File

        from attachments.models import Attachment
        from attachments.storage import attachment_storage, new_key

        appointment, key = _participant()
        size = 50 * MB
        source = Path(folder) / "video.bin"
        source.write_bytes(secrets.token_bytes(MB) * 50)
        with source.open("rb") as content:
            stored = attachment_storage().save(new_key(".mp4"), File(content))
        attachment = Attachment.objects.create(
            appointment=appointment,
            uploader=appointment.pet_parent,
            kind=Attachment.Kind.VIDEO,
            name="walk.mp4",
            content_type="video/mp4",
            size=size,
            storage_key=stored,
        )
        server = Server(folder, DJANGO_RATE_LIMITS="off")
        try:
            for label, chunk in (("1 MB ranges", MB), ("whole file", size)):
                started = time.perf_counter()
                total = 0
                for _ in range(repeat):
                    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                    for first in range(0, size, chunk):
                        headers = _headers(key)
                        if chunk < size:
                            headers["Range"] = f"bytes={first}-{first + chunk - 1}"
                        connection.request(
                            "GET", f"/api/appointment-chat/attachments/{attachment.pk}",
                            headers=headers,
                        )  # fmt: skip
                        response = connection.getresponse()
                        total += len(response.read())
                        assert response.status in (200, 206), response.status
                        if response.getheader("Connection") == "close":
                            connection.close()
                            connection = http.client.HTTPConnection("127.0.0.1", server.port)
                    connection.close()
                seconds = time.perf_counter() - started
                print(
                    f"download 50 MB video, {label}: {total / MB / seconds:.0f} MB/s "
                    f"({repeat} x {size // chunk} requests)"
                )
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["rss", "photo", "range"])
    parser.add_argument("--count", type=int, default=20)
    arguments = parser.parse_args()
    if arguments.what == "rss":
        rss(2)
    elif arguments.what == "photo":
        photo(arguments.count)
    else:
        ranges(3)


if __name__ == "__main__":
    main()
