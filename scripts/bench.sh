#!/usr/bin/env bash
# Benchmarks of the polling, sending and history paths under gunicorn, driven by wrk.
# Always on a throwaway PostgreSQL of its own (normal durability), removed afterwards.
#   scripts/bench.sh [--smoke]     BENCH_SECONDS, BENCH_ROUNDS, BENCH_PORT tune a run
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: install Debian's wrk package (apt-get install wrk)." >&2
    exit 1
  fi
fi

scripts/venv.sh dev

work=$(mktemp -d "${TMPDIR:-/tmp}/vetchat-bench.XXXXXX")
chmod 711 "$work" # the cluster inside runs as the postgres user when we are root
trap 'scripts/postgres.sh stop "$work/pg"; rm -rf "$work"' EXIT
DATABASE_URL=$(scripts/postgres.sh start "$work/pg")
export DATABASE_URL
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")
# The hot paths' cost, not the per-user budgets (tests/chat/test_limits.py covers those).
export DJANGO_RATE_LIMITS=off
export DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=127.0.0.1,testserver BENCH_WORKDIR=$work

.venv/bin/python manage.py collectstatic --no-input -v0
.venv/bin/python -m bench.run "$@"
