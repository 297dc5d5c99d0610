"""Where the shared Redis is: REDIS_URL names one server, or the sentinels that name the primary.

One server: `redis://`, `rediss://` or `unix://`, used as given. With Sentinel:
`redis+sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT,HOST:PORT/MASTER_NAME/DB` (the password the
servers and the sentinels ask for, the sentinels to ask, the name they watch the primary under,
the database number; the port defaults to 26379 and the database to 0). Every Redis user (the
cache, and through it the cached sessions and the rate limits; the channel layer; the push
fan-out; the access versions) then asks a sentinel which server is the primary each time it
opens a connection. After a failover the connections to the old primary
fail once, and the next ones go to the promoted replica: nothing restarts. Until the sentinels
have promoted it (about three seconds after the primary stops answering) each user fails as it
does when its one Redis is down: the cache fails open (vetchat.cache) and pushes are dropped
(pages catch up by seq).
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
import redis.sentinel
from django.core.exceptions import ImproperlyConfigured

SCHEME = "redis+sentinel"
DEFAULT_SENTINEL_PORT = 26379
FORM = f"{SCHEME}://[:PASSWORD@]HOST:PORT,HOST:PORT,.../MASTER_NAME/DB"
# How long a sentinel may take to answer before the next one is asked: a sentinel on a machine
# that is gone must not hold every new connection for the kernel's connect timeout.
SENTINEL_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int
    password: str | None = None

    def sentinel_options(self) -> dict[str, Any]:
        """How to talk to a sentinel: quickly, and with the password when there is one."""
        return {**SENTINEL_OPTIONS, **({"password": self.password} if self.password else {})}

    def server_options(self) -> dict[str, Any]:
        return {"password": self.password} if self.password else {}


def is_sentinel_url(url: str) -> bool:
    return url.startswith(f"{SCHEME}://")


def sentinel_address(url: str) -> SentinelAddress | None:
    """The sentinels, master name and database of a `redis+sentinel://` URL; None for a URL of
    one server. Raises ImproperlyConfigured, naming what is wrong, for a malformed one."""
    if not is_sentinel_url(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise ImproperlyConfigured(f"REDIS_URL: {error}: {FORM}") from error
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"REDIS_URL: a {SCHEME}:// URL takes no query or fragment: {FORM}"
        )
    credentials, at, hosts = parts.netloc.rpartition("@")
    user, _, password = credentials.partition(":")
    if at and (user or not password):
        raise ImproperlyConfigured(
            f"REDIS_URL: give the password alone, as :PASSWORD@, with no user name: {FORM}"
        )
    sentinels = tuple(_host_and_port(entry) for entry in hosts.split(","))
    master_name, _, db = parts.path.strip("/").partition("/")
    if not master_name:
        raise ImproperlyConfigured(f"REDIS_URL names no Sentinel master name: {FORM}")
    if db and not db.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL: the database must be a number, got {db!r}: {FORM}")
    return SentinelAddress(
        sentinels=sentinels,
        master_name=master_name,
        db=int(db or 0),
        password=unquote(password) if at else None,
    )


def _host_and_port(entry: str) -> tuple[str, int]:
    host, port = entry, ""
    if entry.startswith("["):  # an IPv6 address: [::1]:26379
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
    elif ":" in entry:
        host, _, port = entry.rpartition(":")
    if not host:
        raise ImproperlyConfigured(f"REDIS_URL: a sentinel without a host in {entry!r}: {FORM}")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ImproperlyConfigured(f"REDIS_URL: {port!r} is not a port, in {entry!r}: {FORM}")
    return host, int(port or DEFAULT_SENTINEL_PORT)


def channel_layer_host(url: str, **options: Any) -> dict[str, Any]:
    """One entry of channels_redis' `hosts` (and `chat.fanout.blocking_client`'s): the server,
    or the sentinels in the form channels_redis passes to redis-py's `SentinelConnectionPool`."""
    address = sentinel_address(url)
    if address is None:
        return {"address": url, **options}
    return {
        "sentinels": list(address.sentinels),
        "master_name": address.master_name,
        "sentinel_kwargs": address.sentinel_options(),
        "db": address.db,
        **address.server_options(),
        **options,
    }


def connection_pool(
    url: str, *, pool_class: type[redis.ConnectionPool], **options: Any
) -> redis.ConnectionPool:
    """A blocking pool of connections to the server `url` names, through `pool_class`; or, for a
    `redis+sentinel://` URL, to whichever server the sentinels name primary when it connects."""
    address = sentinel_address(url)
    if address is None:
        return pool_class.from_url(url, **options)
    sentinel = redis.sentinel.Sentinel(
        address.sentinels, sentinel_kwargs=address.sentinel_options()
    )
    return redis.sentinel.SentinelConnectionPool(
        address.master_name, sentinel, db=address.db, **address.server_options(), **options
    )
