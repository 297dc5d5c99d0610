#!/usr/bin/env bash
# Benchmarks of the polling, sending and history paths under gunicorn, driven by wrk, then the
# live chat's delivery, the video calls' signalling, the search over a million messages,
# transcripts, the red-flag matcher and what each part of a send costs.
# Always on a throwaway PostgreSQL (normal durability) and Redis of its own, removed afterwards.
#   scripts/bench.sh [--smoke]     BENCH_SECONDS, BENCH_ROUNDS, BENCH_PORT tune a run
set -euo pipefail
cd "$(dirname "$0")/.."

# Its own PostgreSQL and Redis, whatever DATABASE_URL and REDIS_URL say.
env -u DATABASE_URL -u REDIS_URL scripts/packages.sh bench
scripts/venv.sh dev

work=$(mktemp -d "${TMPDIR:-/tmp}/vetchat-bench.XXXXXX")
chmod 711 "$work" # the cluster inside runs as the postgres user when we are root
trap 'scripts/redis.sh stop "$work/redis"; scripts/postgres.sh stop "$work/pg"; rm -rf "$work"' EXIT
DATABASE_URL=$(scripts/postgres.sh start "$work/pg")
REDIS_URL=$(scripts/redis.sh start "$work/redis")
export DATABASE_URL REDIS_URL
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")
export VETCHAT_INTEGRITY_KEYS
VETCHAT_INTEGRITY_KEYS=bench:$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))")
# The hot paths' cost, not the per-user budgets (tests/chat/test_limits.py covers those).
export DJANGO_RATE_LIMITS=off
export DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=127.0.0.1,testserver BENCH_WORKDIR=$work
# Static files of its own, uncompressed: no scenario fetches them, and a test run may be reading
# the checkout's.
export DJANGO_STATIC_ROOT=$work/static DJANGO_STATIC_COMPRESS=0

.venv/bin/python manage.py collectstatic --no-input -v0
.venv/bin/python -m bench.run "$@"
.venv/bin/python -m bench.live "$@"
.venv/bin/python -m bench.calls "$@"
# A call between two browsers is proven in `make test` by tests/e2e/test_video_call.py; its
# smoke run would only start Chromium again for a figure that means nothing.
if [ "${1:-}" != "--smoke" ]; then .venv/bin/python -m bench.call_in_browser "$@"; fi
.venv/bin/python -m bench.search "$@"
.venv/bin/python -m bench.transcripts "$@"
.venv/bin/python -m bench.clinic "$@"
.venv/bin/python -m bench.send_path "$@"
