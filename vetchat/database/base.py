"""Django's PostgreSQL backend, with a health check that costs no round trip.

Connections are kept between requests (`CONN_MAX_AGE`), and Django checks a kept one before a
request uses it with `SELECT 1`: a round trip on every poll of every open chat. A server that
restarts, or ends an idle connection, closes its end of the socket, which the socket then
reports at once, with nothing sent; `SELECT 1` is only asked when something is waiting on the
socket (the server's farewell, or a notice), and decides as before. What this check cannot
see, a server vanished from the network without closing its connections, fails the first query,
and Django then drops the connection at the end of that request.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        watch = select.poll()  # not select(): a worker holding many sockets has large numbers
        try:
            watch.register(self.connection.fileno(), select.POLLIN)
            idle = not watch.poll(0)
        except (OSError, ValueError):
            return False
        return idle or super().is_usable()
