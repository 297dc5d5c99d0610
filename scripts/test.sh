#!/usr/bin/env bash
# Every check and test vetchat has: lint, format, the whole pytest suite (browser tests included).
# Without DATABASE_URL (REDIS_URL), a throwaway PostgreSQL cluster (Redis) is started and removed
# afterwards.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/chat -x
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium for the browser tests, wrk for the benchmark's smoke run, Redis for the live chat,
# ffmpeg and libmagic for attachments (videos remuxed, every upload typed by its content).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
command -v redis-server >/dev/null || missing+=(redis-server)
# WeasyPrint's libraries and a font, for the transcript's PDF.
ls /usr/lib/*/libpango-1.0.so.0 >/dev/null 2>&1 || missing+=(libpango-1.0-0)
ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || missing+=(libpangoft2-1.0-0)
ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || missing+=(libharfbuzz-subset0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
ls /usr/lib/*/libmagic.so.1 /usr/lib/libmagic.so.1 >/dev/null 2>&1 || missing+=(libmagic1)
# clamd and sigtool: the malware-scan tests start their own clamd on a database they build.
command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
command -v sigtool >/dev/null || missing+=(clamav)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]}..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing ${missing[*]}: install Debian's packages (apt-get install ${missing[*]})." >&2
    exit 1
  fi
fi

scripts/venv.sh dev

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Medium and high findings fail the run; each accepted one is explained where it is (# nosec).
.venv/bin/bandit --quiet --recursive --severity-level medium --exclude '*/migrations/*' \
  accounts appointments attachments audit chat transcripts notifications portal vetchat bench \
  2>/dev/null

pgdir=
redisdir=
cleanup() {
  if [ -n "$redisdir" ]; then scripts/redis.sh stop "$redisdir" && rm -rf "$redisdir"; fi
  if [ -n "$pgdir" ]; then scripts/postgres.sh stop "$pgdir" && rm -rf "$pgdir"; fi
}
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  pgdir=$(mktemp -d "${TMPDIR:-/tmp}/vetchat-test-pg.XXXXXX")
  DATABASE_URL=$(scripts/postgres.sh start "$pgdir" fast)
  export DATABASE_URL
fi
if [ -z "${REDIS_URL:-}" ]; then
  redisdir=$(mktemp -d "${TMPDIR:-/tmp}/vetchat-test-redis.XXXXXX")
  REDIS_URL=$(scripts/redis.sh start "$redisdir")
  export REDIS_URL
fi
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")}
export DJANGO_DEBUG=0

# Pages under test load the same hashed static files production serves.
.venv/bin/python manage.py collectstatic --no-input -v0

.venv/bin/python -m pytest "$@"
