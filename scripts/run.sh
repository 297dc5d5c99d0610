#!/usr/bin/env bash
# Run vetchat with the demo clinic on http://127.0.0.1:8000, and its job worker. Ctrl+C stops both.
# Without DATABASE_URL, a PostgreSQL cluster is kept in .pgdata/ and stopped on exit; without
# REDIS_URL, a Redis (nothing kept on disk) runs in .redisdata/ until exit.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/packages.sh run
scripts/venv.sh

export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
# Short log lines for a person, without the job queue's routine ones (production logs JSON).
export DJANGO_LOG_FORMAT=${DJANGO_LOG_FORMAT:-text}
# Links in the emails it prints lead back to this server, whatever its port.
export VETCHAT_BASE_URL=${VETCHAT_BASE_URL:-http://127.0.0.1:${PORT:-8000}}
# The demo's emails carry a Reply-To at this domain, taken by the mail gateway below on
# VETCHAT_MAIL_GATEWAY_BIND (127.0.0.1:2525 unless set): answer one with any SMTP client.
export VETCHAT_REPLY_DOMAIN=${VETCHAT_REPLY_DOMAIN:-reply.localhost}
# Texts: without Twilio's credentials, a local stand-in for its API (sms/local_twilio.py) takes
# them on VETCHAT_TWILIO_LOCAL_BIND and prints each text here, as the emails are printed.
twilio_local=
if [ -z "${TWILIO_ACCOUNT_SID:-}${TWILIO_AUTH_TOKEN:-}${TWILIO_FROM:-}${TWILIO_MESSAGING_SERVICE_SID:-}${TWILIO_API_BASE:-}" ]; then
  twilio_local=1
  export VETCHAT_TWILIO_LOCAL_BIND=${VETCHAT_TWILIO_LOCAL_BIND:-127.0.0.1:8025}
  export VETCHAT_SMS_PROVIDER=twilio
  export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000
  export TWILIO_AUTH_TOKEN=local-twilio-auth-token
  export TWILIO_FROM=+15005550006
  export TWILIO_API_BASE=http://$VETCHAT_TWILIO_LOCAL_BIND
fi
local_db=
local_redis=
local_turn=
worker=
gateway=
announcer=
signins=
# In a script, Ctrl+C does not reach a background process, so the exit trap stops the job
# workers (SIGTERM: each finishes the job in hand) before Redis and the database.
cleanup() {
  if [ -n "$announcer" ]; then kill "$announcer" 2>/dev/null || true; fi
  if [ -n "$worker" ]; then
    kill $worker 2>/dev/null || true
    wait $worker 2>/dev/null || true
  fi
  # SIGTERM: the gateway stops listening and posts the replies in hand first.
  if [ -n "$gateway" ]; then
    kill "$gateway" 2>/dev/null || true
    wait "$gateway" 2>/dev/null || true
  fi
  if [ -n "$local_turn" ]; then scripts/coturn.sh stop .turndata; fi
  if [ -n "$twilio_local" ] && [ "$twilio_local" != 1 ]; then
    kill "$twilio_local" 2>/dev/null || true
    wait "$twilio_local" 2>/dev/null || true
  fi
  if [ -n "$local_redis" ]; then scripts/redis.sh stop .redisdata; fi
  if [ -n "$local_db" ]; then scripts/postgres.sh stop .pgdata; fi
}
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  local_db=1
  # As in production: the app's role owns nothing, migrations run as the tables' owner.
  scripts/postgres.sh start .pgdata >/dev/null
  DATABASE_URL=$(scripts/postgres.sh url .pgdata app)
  DATABASE_MIGRATION_URL=$(scripts/postgres.sh url .pgdata owner)
  export DATABASE_URL DATABASE_MIGRATION_URL
fi
if [ -z "${REDIS_URL:-}" ]; then
  local_redis=1
  REDIS_URL=$(scripts/redis.sh start .redisdata)
  export REDIS_URL
fi

# The chat record's integrity key, made once and kept outside the database in the ignored
# .devdata/ (README, "Security").
if [ -z "${VETCHAT_INTEGRITY_KEYS:-}${VETCHAT_INTEGRITY_KEY_FILE:-}" ]; then
  mkdir -p .devdata
  [ -s .devdata/integrity.keys ] || (
    umask 077
    .venv/bin/python -c "import secrets; print('dev1:' + secrets.token_urlsafe(32))" \
      >.devdata/integrity.keys
  )
  export VETCHAT_INTEGRITY_KEY_FILE=$PWD/.devdata/integrity.keys
fi

.venv/bin/python manage.py migrate --no-input
# The sign-ins are kept to be shown once everything has started (below). With debug off
# (DJANGO_DEBUG=0 make run) seed_demo refuses unless forced: the cluster in .pgdata/ is this
# checkout's own, so it is forced there; a database named by DATABASE_URL is left as it is.
if [ -n "$local_db" ]; then
  case "${DJANGO_DEBUG,,}" in
    1 | true | yes | on) signins=$(.venv/bin/python manage.py seed_demo) ;;
    *) signins=$(.venv/bin/python manage.py seed_demo --force) ;;
  esac
else
  signins=$(.venv/bin/python manage.py seed_demo) ||
    echo "Demo data skipped (see above); serving anyway."
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

# The video calls' TURN relay: a coturn on loopback sharing a secret made once in .devdata/
# (calls on one machine connect directly anyway; this one is there to try the relayed path).
if [ -z "${VETCHAT_TURN_URLS:-}" ]; then
  mkdir -p .devdata
  [ -s .devdata/turn.secret ] || (
    umask 077
    .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" >.devdata/turn.secret
  )
  VETCHAT_TURN_SECRET=$(cat .devdata/turn.secret)
  export VETCHAT_TURN_SECRET
  local_turn=1
  VETCHAT_TURN_URLS=$(scripts/coturn.sh start .turndata)
  export VETCHAT_TURN_URLS
fi

# The job queue's workers run beside the web server: one for the emails, transcripts and
# uploads, and one for web push alone, so that slow push services hold back no email.
.venv/bin/python manage.py procrastinate worker --queues notifications,transcripts,attachments &
worker=$!
.venv/bin/python manage.py procrastinate worker --queues push &
worker="$worker $!"
# Replies by email: the SMTP server that posts what is sent to the emails' Reply-To.
.venv/bin/python manage.py mail_gateway &
gateway=$!
# Its texts' states come back as signed callbacks; a parent texting back is
# `curl --data-urlencode From=+12025550123 -d Body=Hi http://$VETCHAT_TWILIO_LOCAL_BIND/local/inbound`.
if [ -n "$twilio_local" ]; then
  .venv/bin/python manage.py twilio_local &
  twilio_local=$!
fi

# The address and the sign-ins, printed once the site answers and the worker has started, so
# they are the last lines on screen rather than above every startup line.
.venv/bin/python scripts/announce.py "http://127.0.0.1:${PORT:-8000}/" "$signins" &
announcer=$!

# One URL for pages, API and the live chat: ASGI workers serve all three here. Production
# splits them (README, "Deploying"). The app logs one line a request (gunicorn keeps no access
# log); at warning level gunicorn's and uvicorn's startup lines are left out, not their errors.
.venv/bin/gunicorn vetchat.asgi \
  --worker-class vetchat.workers.UvicornWorker \
  --bind "127.0.0.1:${PORT:-8000}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --graceful-timeout 5 \
  --log-level warning
