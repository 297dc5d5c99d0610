#!/usr/bin/env bash
# Run vetchat with the demo clinic on http://127.0.0.1:8000, and its job worker. Ctrl+C stops both.
# Without DATABASE_URL, a PostgreSQL cluster is kept in .pgdata/ and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh

export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
local_db=
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start .pgdata)
  export DATABASE_URL
  local_db=1
  trap 'scripts/postgres.sh stop .pgdata' EXIT
fi

.venv/bin/python manage.py migrate --no-input
if [ -n "$local_db" ]; then
  .venv/bin/python manage.py seed_demo
else
  .venv/bin/python manage.py seed_demo || echo "Demo data skipped (see above); serving anyway."
fi
.venv/bin/python manage.py collectstatic --no-input -v0

# Development VAPID keys for web push, made once and kept in the ignored .devdata/.
if [ -z "${VETCHAT_VAPID_PRIVATE_KEY:-}" ]; then
  mkdir -p .devdata
  [ -s .devdata/vapid.env ] || .venv/bin/python manage.py vapid_keys >.devdata/vapid.env
  set -a
  . .devdata/vapid.env
  set +a
fi

# The job queue's worker (unread-message emails) runs beside the web server. In a script,
# Ctrl+C does not reach a background process, so the exit trap stops it (SIGTERM: it finishes
# the job in hand) before the database.
.venv/bin/python manage.py procrastinate worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; '"${local_db:+scripts/postgres.sh stop .pgdata}" EXIT

echo "vetchat is at http://127.0.0.1:${PORT:-8000}/ (Ctrl+C stops it)"
.venv/bin/gunicorn vetchat.wsgi \
  --bind "127.0.0.1:${PORT:-8000}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --graceful-timeout 5
