#!/usr/bin/env bash
# Benchmarks of the polling, sending and history paths under gunicorn, driven by wrk, then the
# live chat's delivery and the search over a million messages.
# Always on a throwaway PostgreSQL (normal durability) and Redis of its own, removed afterwards.
#   scripts/bench.sh [--smoke]     BENCH_SECONDS, BENCH_ROUNDS, BENCH_PORT tune a run
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null || missing+=(wrk)
# WeasyPrint's libraries and a font, for the transcript's PDF.
ls /usr/lib/*/libpango-1.0.so.0 >/dev/null 2>&1 || missing+=(libpango-1.0-0)
ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || missing+=(libpangoft2-1.0-0)
ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || missing+=(libharfbuzz-subset0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing ${missing[*]}: install Debian's packages (apt-get install ${missing[*]})." >&2
    exit 1
  fi
fi

scripts/venv.sh dev

work=$(mktemp -d "${TMPDIR:-/tmp}/vetchat-bench.XXXXXX")
chmod 711 "$work" # the cluster inside runs as the postgres user when we are root
trap 'scripts/redis.sh stop "$work/redis"; scripts/postgres.sh stop "$work/pg"; rm -rf "$work"' EXIT
DATABASE_URL=$(scripts/postgres.sh start "$work/pg")
REDIS_URL=$(scripts/redis.sh start "$work/redis")
export DATABASE_URL REDIS_URL
export DJANGO_SECRET_KEY
DJANGO_SECRET_KEY=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")
# The hot paths' cost, not the per-user budgets (tests/chat/test_limits.py covers those).
export DJANGO_RATE_LIMITS=off
export DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=127.0.0.1,testserver BENCH_WORKDIR=$work

.venv/bin/python manage.py collectstatic --no-input -v0
.venv/bin/python -m bench.run "$@"
.venv/bin/python -m bench.live "$@"
.venv/bin/python -m bench.search "$@"
.venv/bin/python -m bench.transcripts "$@"
