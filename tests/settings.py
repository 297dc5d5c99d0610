"""The app's own settings, with each parallel test worker (pytest-xdist) on Redis databases of
its own: the tests clear the cache and listen to channel groups, and workers must not hear each
other. PostgreSQL needs nothing here: pytest-django gives each worker its own test database."""

import atexit
import os
import shutil
import tempfile
from urllib.parse import parse_qsl, urlsplit, urlunsplit


def worker_redis_url(url: str, worker: str) -> str:
    """`url` on database N + 1 for worker gwN; a URL that already names a database, as one handed
    to a server the tests start, is kept."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query or parts.path.strip("/").isdigit():
        return url
    database = int(worker.removeprefix("gw")) + 1
    if parts.scheme == "redis+sentinel":  # /MASTER_NAME[/DB]
        name, _, db = parts.path.strip("/").partition("/")
        return url if db else urlunsplit(parts._replace(path=f"/{name}/{database}"))
    if parts.scheme == "unix":  # urlunsplit would drop the "//" of a URL with no host
        return f"{url}{'&' if parts.query else '?'}db={database}"
    return urlunsplit(parts._replace(path=f"/{database}"))


if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = worker_redis_url(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )
# The chat record's key for this run; servers the tests start inherit it. Migrations run as
# DATABASE_URL's role, which creates the test databases.
os.environ.setdefault("VETCHAT_INTEGRITY_KEYS", "test:test-only-chat-integrity-key-0123456789")
os.environ.pop("DATABASE_MIGRATION_URL", None)
# Transcripts and the chat heads' checkpoints go to a folder of the run's own, never to the
# checkout's (where a development server's checkpoints name chats of another database).
if not os.environ.get("VETCHAT_TRANSCRIPT_ROOT"):
    os.environ["VETCHAT_TRANSCRIPT_ROOT"] = tempfile.mkdtemp(prefix="vetchat-test-transcripts-")
    atexit.register(shutil.rmtree, os.environ["VETCHAT_TRANSCRIPT_ROOT"], ignore_errors=True)

from vetchat.settings import *  # noqa: E402, F403
from vetchat.settings import DATABASES  # noqa: E402

# Django empties the tables between transactional tests; the record's tables refuse TRUNCATE
# unless the session allows it (chat/migrations/0007_chain_links.py).
DATABASES["default"]["OPTIONS"]["options"] = "-c vetchat.allow_truncate=on"
