"""Shows where vetchat is, and the demo sign-ins, once `make run` is up (scripts/run.sh).

Up means the site answers /healthz and the job worker has registered: gunicorn's workers and
the job worker print their startup lines before that, so these stay the last lines on screen
until someone uses the app.
    .venv/bin/python scripts/announce.py URL [SIGN-INS]
"""

import os
import sys
import time
import urllib.request
from datetime import datetime

import psycopg


def _connect() -> psycopg.Connection:
    return psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5)


def is_up(url: str, *, since: datetime, wait_for_worker: bool) -> bool:
    try:
        # our own loopback address, from scripts/run.sh
        with urllib.request.urlopen(f"{url}healthz", timeout=5):  # noqa: S310
            pass
        if not wait_for_worker:
            return True
        # A worker of an earlier run killed outright leaves its row, but its heartbeat is old.
        with _connect() as db:
            row = db.execute(
                "SELECT 1 FROM procrastinate_workers WHERE last_heartbeat >= %s", [since]
            ).fetchone()
            return row is not None
    except (OSError, psycopg.Error):
        return False


def main() -> None:
    url, signins = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
    # The database's clock, which stamps the heartbeats (it may be another machine's).
    with _connect() as db:
        since = db.execute("SELECT now()").fetchone()[0]
    # A worker that fails to start says so itself; the address is shown all the same.
    give_up_on_worker = time.monotonic() + 60
    while not is_up(url, since=since, wait_for_worker=time.monotonic() < give_up_on_worker):
        time.sleep(0.5)
    print(f"\nvetchat is at {url} (Ctrl+C stops it)", flush=True)
    if signins:
        print(signins, flush=True)


if __name__ == "__main__":
    main()
