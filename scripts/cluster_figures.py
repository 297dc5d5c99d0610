"""The key figures of each node of scripts/cluster.sh, read from its /metrics as Prometheus
would: `python scripts/cluster_figures.py CLUSTER_PORT` with VETCHAT_METRICS_TOKEN set."""

import os
import sys
import urllib.error
import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families

NODES = 3
COLUMNS = [
    ("requests", "vetchat_http_requests_total", None),
    ("5xx", "vetchat_http_requests_total", ("status", "5xx")),
    ("sockets", "vetchat_open_websockets", None),
    ("pushes", "vetchat_pushes_sent_total", None),
    ("dropped", "vetchat_pushes_dropped_total", None),
    ("resyncs", "vetchat_resyncs_total", None),
    ("refused", "vetchat_rate_limit_refusals_total", None),
    ("queued", "vetchat_job_queue_depth", None),
    ("oldest s", "vetchat_job_queue_oldest_age_seconds", "max"),
]


def scrape(port: int, token: str) -> dict[str, list]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310  # nosec B310  # our own loopback node
        text = response.read().decode()
    samples: dict[str, list] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append(sample)
    return samples


def figure(samples: dict[str, list], name: str, rule) -> str:
    found = samples.get(name, [])
    if rule == "max":
        return f"{max((s.value for s in found), default=0):.0f}"
    if rule is not None:
        label, value = rule
        found = [s for s in found if s.labels.get(label) == value]
    return f"{sum(s.value for s in found):.0f}"


def main() -> None:
    base = int(sys.argv[1])
    token = os.environ["VETCHAT_METRICS_TOKEN"]
    print(f"{'':10}" + "".join(f"{title:>10}" for title, _, _ in COLUMNS))
    for n in range(1, NODES + 1):
        try:
            samples = scrape(base + 20 + n, token)
        except (OSError, urllib.error.URLError):
            print(f"node{n:<6}    (no answer)")
            continue
        row = "".join(f"{figure(samples, name, rule):>10}" for _, name, rule in COLUMNS)
        print(f"node{n:<6}{row}")


if __name__ == "__main__":
    main()
