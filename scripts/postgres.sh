#!/usr/bin/env bash
# A project-local PostgreSQL cluster that listens only on a unix socket inside its own folder.
#   scripts/postgres.sh start DIR [fast]   init if needed, start if stopped, print DATABASE_URL
#   scripts/postgres.sh url DIR ROLE       print the URL of ROLE: owner or app
#   scripts/postgres.sh stop DIR
# "fast" trades durability for speed (fsync off): for throwaway test clusters only.
# Three roles, as in production (README, "Deploying"): vetchat, the cluster's superuser, whose
# URL `start` prints for tests and tools (the test runner creates databases with it);
# vetchat_owner, which owns the vetchat database and its tables and runs the migrations
# (DATABASE_MIGRATION_URL); vetchat_app, the app's own role (DATABASE_URL), which owns nothing
# and is granted row rights by `manage.py migrate`.
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

psql_as_superuser() {
  as_owner "$bindir/psql" -h "$socket" -U vetchat -v ON_ERROR_STOP=1 -qtA "$@"
}

# The roles, and the vetchat database owned by vetchat_owner. A database made before the roles
# were (a .pgdata of an earlier checkout) is handed over with everything the superuser made in
# it, so that migrations run as its owner.
set_up_roles() {
  psql_as_superuser -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE vetchat_owner LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vetchat_owner') \gexec
SELECT 'CREATE ROLE vetchat_app LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vetchat_app') \gexec
SQL
  owner=$(psql_as_superuser -d postgres -c \
    "select pg_get_userbyid(datdba) from pg_database where datname = 'vetchat'")
  if [ -z "$owner" ]; then
    as_owner "$bindir/createdb" -h "$socket" -U vetchat -O vetchat_owner vetchat
  elif [ "$owner" != vetchat_owner ]; then
    psql_as_superuser -d vetchat >/dev/null <<'SQL'
ALTER DATABASE vetchat OWNER TO vetchat_owner;
SELECT format('ALTER TABLE %s OWNER TO vetchat_owner', c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relowner = 'vetchat'::regrole
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') \gexec
SELECT format('ALTER SEQUENCE %s OWNER TO vetchat_owner', c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relowner = 'vetchat'::regrole AND c.relkind = 'S'
  AND NOT EXISTS (
    SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e')
  ) \gexec
SELECT format('ALTER ROUTINE %s OWNER TO vetchat_owner', p.oid::regprocedure)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proowner = 'vetchat'::regrole
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \gexec
SELECT format('ALTER TYPE %s OWNER TO vetchat_owner', t.oid::regtype)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typowner = 'vetchat'::regrole
  AND t.typtype IN ('e', 'd', 'r', 'm') AND t.typelem = 0
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') \gexec
SQL
  fi
}

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
    set_up_roles
    echo "postgresql://vetchat@/vetchat?host=$socket"
    ;;
  url)
    case "$mode" in
      owner) echo "postgresql://vetchat_owner@/vetchat?host=$socket" ;;
      app) echo "postgresql://vetchat_app@/vetchat?host=$socket" ;;
      *)
        echo "usage: postgres.sh url DIR owner|app" >&2
        exit 2
        ;;
    esac
    ;;
  stop)
    if [ -d "$data" ]; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: postgres.sh start|stop DIR [fast], postgres.sh url DIR owner|app" >&2
    exit 2
    ;;
esac
