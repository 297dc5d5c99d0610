#!/usr/bin/env bash
# A project-local PostgreSQL cluster that listens only on a unix socket inside its own folder.
#   scripts/postgres.sh start DIR [fast]   init if needed, start if stopped, print DATABASE_URL
#   scripts/postgres.sh stop DIR
# "fast" trades durability for speed (fsync off): for throwaway test clusters only.
set -euo pipefail

action=${1:?usage: postgres.sh start|stop DIR [fast]}
dir=$(realpath -m "${2:?usage: postgres.sh start|stop DIR [fast]}")
mode=${3:-}

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bindir=$candidate
  done
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null; then
  bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ]; then
  echo "PostgreSQL server binaries not found. Install them (Debian: apt-get install postgresql)" >&2
  echo "or set DATABASE_URL to an existing database." >&2
  exit 1
fi

# initdb refuses to run as root, so root runs the cluster as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

data=$dir/data
socket=$dir/run
log=$dir/postgres.log

case "$action" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$data" -U vetchat --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
      }
    fi
    as_owner mkdir -p "$socket"
    if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      options="-c listen_addresses='' -k $socket -c max_connections=200"
      if [ "$mode" = fast ]; then
        options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      fi
      as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "$options" start >/dev/null || {
        tail -n 20 "$log" >&2
        exit 1
      }
    fi
    if ! as_owner "$bindir/psql" -h "$socket" -U vetchat -d postgres -tAc \
      "select 1 from pg_database where datname = 'vetchat'" | grep -q 1; then
      as_owner "$bindir/createdb" -h "$socket" -U vetchat vetchat
    fi
    echo "postgresql://vetchat@/vetchat?host=$socket"
    ;;
  stop)
    if [ -d "$data" ]; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: postgres.sh start|stop DIR [fast]" >&2
    exit 2
    ;;
esac
