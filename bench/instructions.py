"""Python instructions per request, counted by callgrind, to compare small changes.

    python -m bench.instructions [--path /healthz] [--anonymous] [--requests 200] [--tree DIR]

Time on this shared machine moves by a fifth within minutes; the instructions one process
executes for the same requests do not (0.2% from run to run). This counts them for the poll with
nothing new (the bench's cached session, `If-None-Match`, 304) or for another path, sent through
Django's WSGI handler in one process: no server, no network. Only this process is counted, so
the work of PostgreSQL, Redis and the kernel is not in the figure; `bench.beside` measures the
whole.

`--tree` runs another checkout's code (a git worktree of an earlier commit) on a database of its
own (DATABASE_URL), which that code migrates. Needs valgrind; builds the smoke data when the
database has no users.
"""

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

POLL = "/api/appointment-chat/messages"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", default=POLL, help="what to ask (default: the 304 poll)")
    parser.add_argument("--anonymous", action="store_true", help="without the session cookie")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--tree", default=".", help="the checkout whose code is measured")
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    with tempfile.TemporaryDirectory() as work:
        counts = Path(work) / "callgrind.out"
        child = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={counts}",
                # -P: the checkout, not this file's folder, comes first on sys.path
                *(sys.executable, "-P", __file__, "--child"),
                *(args.path, str(args.anonymous), str(args.requests)),
            ],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree), "DJANGO_RATE_LIMITS": "off"},
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            sys.exit(child.stdout + child.stderr[-3000:])
        summary = subprocess.run(
            ["callgrind_annotate", str(counts)], capture_output=True, text=True, check=True
        ).stdout
    total = int(re.search(r"^([\d,]+) .*PROGRAM TOTALS", summary, re.M)[1].replace(",", ""))
    print(child.stdout.strip())
    print(f"python instructions per request: {total // args.requests:,}")


def measure(path: str, anonymous: bool, requests: int) -> None:
    """In the child, under valgrind: counting is switched on for the requests only."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from appointments.models import Appointment
    from bench.dataset import SMOKE, build
    from bench.run import session_for

    call_command("migrate", verbosity=0)
    if not User.objects.exists():
        build(SMOKE)
    appointment = (  # an ordinary chat, not the very long one
        Appointment.objects.select_related("chat", "pet_parent")
        .filter(chat__last_seq__range=(1, 100))
        .order_by("starts_at")
        .first()
    )
    session = session_for(appointment.pet_parent)
    query = f"appointmentId={appointment.pk}&after={appointment.chat.last_seq}"
    client = Client()
    client.cookies["sessionid"] = session
    etag = client.get(f"{POLL}?{query}").headers.get("ETag", "")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query if path == POLL else "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_IF_NONE_MATCH": etag,
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    if not anonymous:
        environ["HTTP_COOKIE"] = f"sessionid={session}"
    handler = WSGIHandler()
    statuses = []

    def ask() -> None:
        body = handler(
            {**environ, "wsgi.input": io.BytesIO()}, lambda status, headers: statuses.append(status)
        )
        b"".join(body)
        body.close()

    for _ in range(50):  # connections, prepared statements and caches as a running server has
        ask()
    control = ["callgrind_control", "--instr"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(requests):
        ask()
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)
    print(f"GET {path}: {', '.join(sorted(set(statuses[50:])))}, {requests} requests")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        path, anonymous, requests = sys.argv[2:5]
        measure(path, anonymous == "True", int(requests))
    else:
        main()
