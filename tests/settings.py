"""The app's own settings, with each parallel test worker (pytest-xdist) on Redis databases of
its own: the tests clear the cache and listen to channel groups, and workers must not hear each
other. PostgreSQL needs nothing here: pytest-django gives each worker its own test database."""

import os
from urllib.parse import parse_qsl, urlsplit, urlunsplit


def worker_redis_url(url: str, worker: str) -> str:
    """`url` on database N + 1 for worker gwN; a URL that already names a database, as one handed
    to a server the tests start, is kept."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query or parts.path.strip("/").isdigit():
        return url
    database = int(worker.removeprefix("gw")) + 1
    if parts.scheme == "unix":  # urlunsplit would drop the "//" of a URL with no host
        return f"{url}{'&' if parts.query else '?'}db={database}"
    return urlunsplit(parts._replace(path=f"/{database}"))


if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = worker_redis_url(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )

from vetchat.settings import *  # noqa: E402, F403
