#!/usr/bin/env bash
# Every check and test vetchat has: lint, format, the whole pytest suite (browser tests included).
# Without DATABASE_URL (REDIS_URL), a throwaway PostgreSQL cluster (Redis) is started and removed
# afterwards.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/chat -x
# Tests run in TEST_WORKERS processes (pytest-xdist), each with its own test database, Redis
# database, live servers and browser: most of a test's time is spent waiting on a server.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/packages.sh test
scripts/venv.sh dev

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Medium and high findings fail the run; each accepted one is explained where it is (# nosec).
.venv/bin/bandit --quiet --recursive --severity-level medium --exclude '*/migrations/*' \
  tenancy accounts appointments attachments audit chat calls transcripts clinic triage notifications sms oncall safety metrics portal vetchat \
  bench 2>/dev/null

pgdir=
redisdir=
turndir=
cleanup() {
  if [ -n "$turndir" ]; then scripts/coturn.sh stop "$turndir" && rm -rf "$turndir"; fi
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
# The video calls' TURN relay the browser tests force calls through (scripts/coturn.sh): a
# missing coturn fails the run rather than skipping the relayed call.
if [ -z "${VETCHAT_TURN_URLS:-}" ]; then
  turndir=$(mktemp -d "${TMPDIR:-/tmp}/vetchat-test-turn.XXXXXX")
  VETCHAT_TURN_SECRET=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))")
  export VETCHAT_TURN_SECRET
  VETCHAT_TURN_URLS=$(scripts/coturn.sh start "$turndir")
  export VETCHAT_TURN_URLS
fi
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")}
export DJANGO_DEBUG=0
export VETCHAT_INTEGRITY_KEYS=${VETCHAT_INTEGRITY_KEYS:-test:$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))")}

# Pages under test load the same hashed static files production serves; their compressed copies
# are tested by tests/e2e/test_static_files.py alone.
export DJANGO_STATIC_COMPRESS=0
.venv/bin/python manage.py collectstatic --no-input -v0

.venv/bin/python -m pytest --numprocesses "${TEST_WORKERS:-4}" --dist load "$@"
