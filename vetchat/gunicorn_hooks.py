"""gunicorn's hooks for the app servers: `gunicorn --config python:vetchat.gunicorn_hooks …`,
beside the usual flags (which still win over anything set here).

With `PROMETHEUS_MULTIPROC_DIR` set, each worker process writes its metrics to files in that
directory (`vetchat.observability`). A worker that exits leaves its files behind: its counters
still count towards the node's totals, as they should, but its open sockets would be counted as
open for ever, so its live gauges' files are removed as gunicorn reaps it.
"""

import os
from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
