"""The 304 poll and the send of an earlier commit and of this checkout, side by side, in turns.

    python -m bench.beside de8b5e2 [--rounds 6] [--seconds 10] [--ports 8771,8772] [--smoke]

Two runs of `make bench` one after the other differ by as much as the changes they compare on
this shared machine. Here both apps are served at once (each gunicorn with 2 sync workers, its
own PostgreSQL and Redis, the same data), and wrk asks each in turn, round after round, first
the floor (`/healthz`), the poll with nothing new (`If-None-Match`, 304), then sends (16
senders in 16 chats), so a slow moment falls on both alike. The earlier commit runs from a git
worktree, with this checkout's Python packages; what it does not know of (Redis) it ignores.
Prints each round and the medians.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import ROOT, Measure, ratio, start_gunicorn, stop, wrk

# Run in each checkout: the data and the poll targets as that checkout's `bench.run` makes them.
# Written out here because an earlier commit's `bench.run` builds them inside its `main`.
PREPARE = """
import os, sys
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vetchat.settings")
django.setup()
from django.core.management import call_command
from appointments.models import Appointment
from bench.dataset import FULL, SMOKE, build
from bench.run import write_targets
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
data = build(SMOKE if sys.argv[2] == "smoke" else FULL)
chats = list(
    Appointment.objects.select_related("chat", "pet_parent")
    .exclude(pk__in=[data.long_chat.pk, data.short_chat.pk])
    .order_by("starts_at")[:217]
)
sessions = {}
write_targets(Path(sys.argv[1] + "-send.tsv"), chats[:16], sessions)
write_targets(Path(sys.argv[1] + "-poll.tsv"), chats[17:], sessions)
"""


# This checkout is installed editable: Python looks up a module the earlier commit lacks (a new
# admin.py) in this tree. The earlier tree's processes drop that finder as they start.
SITECUSTOMIZE = """import sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
"""


def isolated(work: Path) -> Path:
    folder = work / "earlier-site"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


def run(*command: str, **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        sys.exit(f"{command[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("commit", help="the earlier commit, as git names it")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--ports", default="8771,8772", help="the two apps' ports")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one 1-second round")
    args = parser.parse_args()
    ports = dict(zip(("before", "after"), map(int, args.ports.split(",")), strict=True))
    rounds, seconds = (1, 1.0) if args.smoke else (args.rounds, args.seconds)

    work = Path(tempfile.mkdtemp(prefix="vetchat-beside."))
    work.chmod(0o711)  # the clusters inside run as the postgres user when we are root
    earlier = work / "checkout"
    run("git", "worktree", "add", "--detach", str(earlier), args.commit, cwd=ROOT)
    trees = {"before": earlier, "after": ROOT}
    services: list[tuple[str, Path]] = []
    servers = {}
    try:
        for name, tree in trees.items():
            pg, redis = work / f"{name}-pg", work / f"{name}-redis"
            env = {
                **os.environ,
                "DATABASE_URL": run("scripts/postgres.sh", "start", str(pg), cwd=ROOT).strip(),
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                # Commits that sign the record's chain refuse to start without a key.
                "VETCHAT_INTEGRITY_KEYS": f"bench:{secrets.token_urlsafe(32)}",
                "DJANGO_RATE_LIMITS": "off",
                "DJANGO_DEBUG": "0",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
                # Its own static files, uncompressed (commits that know these variables): a
                # test run may be reading the checkout's.
                "DJANGO_STATIC_ROOT": str(work / f"{name}-static"),
                "DJANGO_STATIC_COMPRESS": "0",
            }
            if tree != ROOT:
                env["PYTHONPATH"] = str(isolated(work))
            services.append(("scripts/postgres.sh", pg))
            env["REDIS_URL"] = run("scripts/redis.sh", "start", str(redis), cwd=ROOT).strip()
            services.append(("scripts/redis.sh", redis))
            targets = work / name
            size = "smoke" if args.smoke else "full"
            run(sys.executable, "-c", PREPARE, str(targets), size, cwd=tree, env=env)
            servers[name] = (
                start_gunicorn(tree, ports[name], env),
                f"http://127.0.0.1:{ports[name]}",
                targets,
            )
        commit = run("git", "rev-parse", "--short", args.commit, cwd=ROOT).strip()
        head = run("git", "rev-parse", "--short", "HEAD", cwd=ROOT).strip()
        print(f"before: {commit}, after: {head} (with its uncommitted changes)", flush=True)
        results = compare(servers, rounds, seconds, args.smoke)
    finally:
        for server, _, _ in servers.values():
            stop(server)
        for script, folder in reversed(services):
            subprocess.run([script, "stop", str(folder)], cwd=ROOT, check=False)
        run("git", "worktree", "remove", "--force", str(earlier), cwd=ROOT)
    print_summary(results)


# What each round asks: wrk's mode, the targets file, threads and connections.
MODES = {
    "healthz": ("poll", 2, 16),
    "poll-304": ("poll", 2, 16),
    "send": ("send", 16, 16),
}
LABELS = {
    "healthz": "floor: /healthz",
    "poll-304": "poll, nothing new (304)",
    "send": "send, 16 senders in 16 chats",
}


def compare(
    servers: dict, rounds: int, seconds: float, smoke: bool
) -> dict[str, dict[str, list[Measure]]]:
    results: dict[str, dict[str, list[Measure]]] = {
        name: {mode: [] for mode in MODES} for name in servers
    }
    for _, base, targets in servers.values():  # warm both up
        wrk("poll-304", Path(f"{targets}-poll.tsv"), 1, 2, 16, base)
    order = list(servers)
    for number in range(rounds):
        for name in order if number % 2 == 0 else reversed(order):
            _, base, targets = servers[name]
            for mode, (kind, threads, connections) in MODES.items():
                if smoke:  # two requests at a time: the test suite shares the machine
                    threads, connections = 1, 2
                measure = wrk(
                    mode, Path(f"{targets}-{kind}.tsv"), seconds, threads, connections, base
                )
                results[name][mode].append(measure)
                print(
                    f"round {number + 1} {name:6s} {mode:8s} {measure.rps:7.0f} req/s"
                    f"  p99 {measure.p99_ms:6.1f} ms  errors {measure.errors}",
                    flush=True,
                )
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    return results


def print_summary(results: dict[str, dict[str, list[Measure]]]) -> None:
    before, after = results["before"], results["after"]
    print("\n| | before req/s | after req/s | after ÷ before |")
    print("|---|---:|---:|---:|")
    for mode, label in LABELS.items():
        old = statistics.median(m.rps for m in before[mode])
        new = statistics.median(m.rps for m in after[mode])
        print(f"| {label} | {old:,.0f} | {new:,.0f} | {ratio(new, old):.2f} |")
    for mode in ("poll-304", "send"):
        paired = [
            f"{ratio(a.rps, b.rps):.2f}" for a, b in zip(after[mode], before[mode], strict=True)
        ]
        print(f"\n{LABELS[mode]}, after ÷ before, round by round: {', '.join(paired)}")
    errors = sum(m.errors for side in results.values() for runs in side.values() for m in runs)
    print(f"errors: {errors}")


if __name__ == "__main__":
    main()
