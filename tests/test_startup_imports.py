"""A worker that serves only sockets stays small: what it imports at start, and on its first
request, leaves out the libraries of the features it never serves (docs/benchmarks.md, Live
chat: 131 MB a worker at start before they were imported where they are used, 82 MB after).

Each check runs a fresh process, as gunicorn's uvicorn worker does: the ASGI application from
`vetchat.asgi` with the production settings, then a `GET /healthz` through it, which loads the
URL conf and with it every view."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The PDF layout of transcripts, the image and file-type checks of uploads, S3, Web Push.
NEVER_IN_A_SOCKET_WORKER = [
    "weasyprint",
    "PIL",
    "pillow_heif",
    "magic",
    "boto3",
    "botocore",
    "storages.backends.s3",
    "pywebpush",
    "clamav_client",
    "smtplib",
]
# The API's request handling and the HTTP middleware (WhiteNoise's index of the static files
# among them): loaded by the first HTTP request, not before.
NOT_AT_START = [
    "rest_framework.views",
    "rest_framework.renderers",
    "requests",
    "whitenoise.middleware",
    "csp.middleware",
]

WORKER = """
import asyncio, json, os, sys

from vetchat.asgi import application

watched = json.loads(sys.argv[1])
at_start = [name for name in watched if name in sys.modules]
try:  # as uvicorn starts a worker: lifespan first, and on without it when refused
    asyncio.run(application({"type": "lifespan", "asgi": {"version": "3.0"}}, None, None))
except ValueError:
    pass
after_lifespan = [name for name in watched if name in sys.modules]


async def get(path):
    sent, asked = [], False

    async def receive():
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    await application(
        {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        },
        receive,
        send,
    )
    return sent[0]["status"]


status = asyncio.run(get("/healthz"))
after_request = [name for name in watched if name in sys.modules]
print(json.dumps({
    "status": status,
    "at_start": at_start,
    "after_lifespan": after_lifespan,
    "after_request": after_request,
}))
"""


def start_a_socket_worker() -> dict:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") or key == "DJANGO_SECRET_KEY"
    }
    result = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(NEVER_IN_A_SOCKET_WORKER + NOT_AT_START)],
        cwd=ROOT,
        env={
            **environ,
            "DJANGO_SETTINGS_MODULE": "vetchat.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": environ.get("DJANGO_SECRET_KEY") or "startup-test-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            # With a bucket named, the attachments storage is S3's: still not loaded at start.
            "VETCHAT_S3_BUCKET": "startup-imports-test",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_socket_worker_loads_no_pdf_image_s3_or_push_library():
    # when
    worker = start_a_socket_worker()

    # then
    assert worker["status"] == 200
    assert worker["at_start"] == [], "imported at start"
    assert worker["after_lifespan"] == [], "imported by the lifespan's start"
    unwanted = [name for name in worker["after_request"] if name in NEVER_IN_A_SOCKET_WORKER]
    assert unwanted == [], "imported by the first request"
