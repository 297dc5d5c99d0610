#!/usr/bin/env bash
# vetchat as a clinic group runs it, on one machine as separate processes (docs/scaling.md):
# HAProxy in front of three app nodes, PostgreSQL as a Patroni cluster (a primary and a
# synchronous streaming replica, etcd holding the leader key) behind PgBouncer, and Redis with
# Sentinel (a primary, a replica, three sentinels).
#   scripts/cluster.sh up              start what is stopped, print the one URL
#   scripts/cluster.sh down            stop everything it started
#   scripts/cluster.sh status          each part's health and the key figures
#   scripts/cluster.sh kill NAME       SIGKILL one part (a machine dying)
#   scripts/cluster.sh restart NAME    start it again (after a kill) or restart it
# NAME is a process: node1..node3, pg1, pg2, redis1, redis2, sentinel1..sentinel3, etcd,
# pgbouncer, haproxy; or a role, resolved to whoever holds it now: pg-primary, pg-replica,
# redis-primary, redis-replica.
# State lives in CLUSTER_DIR (.cluster/): data, logs, the generated configurations and one pid
# file a process. Ports are CLUSTER_PORT (8400) and the ones above it, listed in `ports` below.
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-}
dir=$(realpath -m "${CLUSTER_DIR:-.cluster}")
base=${CLUSTER_PORT:-8400}

# The ports, all on 127.0.0.1.
web_port=$base            # HAProxy: the one URL
stats_port=$((base + 1))  # HAProxy's own stats, as CSV for `status`
pg_rw_port=$((base + 2))  # HAProxy: the PostgreSQL primary, as Patroni tells
pg_ro_port=$((base + 3))  # HAProxy: the replica
bouncer_port=$((base + 4))
etcd_port=$((base + 5))
etcd_peer_port=$((base + 6))
redis_port=$((base + 10)) # redis1, redis2, then the three sentinels (scripts/sentinel.sh)
wsgi_port() { echo $((base + 20 + $1)); }
asgi_port() { echo $((base + 30 + $1)); }
worker_metrics_port() { echo $((base + 40 + 2 * $1 + $2)); }
pg_port() { echo $((base + 50 + $1)); }
patroni_port() { echo $((base + 60 + $1)); }
NODES=(node1 node2 node3)

bindir=
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && bindir=$candidate
done

pidfile() { echo "$dir/$1.pid"; }
pid_of() { [ -s "$(pidfile "$1")" ] && cat "$(pidfile "$1")"; }
# A process that has exited but waits to be reaped (by init, which is slow to) counts as gone.
running_pid() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$(echo "${stat##*) }" | cut -d' ' -f1)" != Z ]
}
alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  running_pid "$pid"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND until it succeeds
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "cluster: $what did not come up within ${seconds} s (logs in $dir)" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Every part is a Debian package, installed when missing as `make run` installs its own.
install_missing() {
  scripts/packages.sh cluster
  scripts/venv.sh
}

# --- etcd: the store Patroni keeps its leader key in -----------------------------------------
start_etcd() {
  alive etcd && return
  mkdir -p "$dir/etcd"
  etcd --name etcd --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "etcd=http://127.0.0.1:$etcd_peer_port" \
    --log-level warn >>"$dir/etcd.log" 2>&1 &
  echo $! >"$(pidfile etcd)"
  wait_for 30 etcd curl -fsS "http://127.0.0.1:$etcd_port/health"
}

# --- PostgreSQL under Patroni ----------------------------------------------------------------
patroni_config() { # patroni_config N: the configuration of pgN
  local n=$1
  cat <<YAML
scope: vetchat
name: pg$n
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$(patroni_port "$n")
  connect_address: 127.0.0.1:$(patroni_port "$n")
etcd3:
  host: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    # A dead primary's key lapses after ttl seconds; the replica takes over at its next loop.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    # A commit returns once the replica has it too, so a promoted replica holds every send
    # that was answered 201. Alone, the survivor goes on without waiting.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 300
        wal_log_hints: "on"
        hot_standby: "on"
        max_wal_senders: 5
        max_replication_slots: 5
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$(pg_port "$n")
  connect_address: 127.0.0.1:$(pg_port "$n")
  data_dir: $dir/pg$n/data
  bin_dir: $bindir
  # The replica's copy starts at once rather than after a spread checkpoint (minutes).
  basebackup:
    - checkpoint: fast
  pgpass: $dir/pg$n/pgpass
  authentication:
    superuser:
      username: vetchat
    replication:
      username: replicator
    rewind:
      username: vetchat
  parameters:
    unix_socket_directories: $dir/pg$n
YAML
}

start_pg() { # start_pg N
  local n=$1
  alive "pg$n" && return
  mkdir -p "$dir/pg$n"
  patroni_config "$n" >"$dir/pg$n.yml"
  chown -R postgres: "$dir/pg$n" "$dir/pg$n.yml"
  # A session of its own, so that `kill` can take Patroni down with the PostgreSQL it started.
  setsid runuser -u postgres -- patroni "$dir/pg$n.yml" >>"$dir/pg$n.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "pg$n")"
}

patroni_role() { # the role pgN holds now: primary, replica or nothing
  curl -fsS --max-time 1 "http://127.0.0.1:$(patroni_port "$1")/patroni" 2>/dev/null |
    sed -n 's/.*"role": *"\([a-z]*\)".*/\1/p' | sed 's/^master$/primary/'
}

pg_primary() {
  local n
  for n in 1 2; do [ "$(patroni_role "$n")" = primary ] && echo "pg$n" && return; done
  return 1
}

pg_replica() {
  local n
  for n in 1 2; do [ "$(patroni_role "$n")" = replica ] && echo "pg$n" && return; done
  return 1
}

psql_rw() { # as the superuser, on the primary through HAProxy
  "$bindir/psql" "postgresql://vetchat@127.0.0.1:$pg_rw_port/${PSQL_DB:-postgres}" \
    -v ON_ERROR_STOP=1 -qtA "$@"
}

# The roles scripts/postgres.sh makes: vetchat_owner owns the database and runs the migrations,
# vetchat_app is the app's own (README, "Deploying").
set_up_roles() {
  psql_rw >/dev/null <<'SQL'
SELECT 'CREATE ROLE vetchat_owner LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vetchat_owner') \gexec
SELECT 'CREATE ROLE vetchat_app LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vetchat_app') \gexec
SELECT 'CREATE DATABASE vetchat OWNER vetchat_owner'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'vetchat') \gexec
SQL
}

# --- HAProxy: the web front, and the way to whichever PostgreSQL is primary -------------------
# The app nodes' servers behind one backend, each checked through /readyz. It fails on every
# node at once while Redis fails over (seconds): three failed checks two seconds apart leave them
# in. A dead node refuses connections, which HAProxy redispatches at once.
app_servers() { # app_servers PORT_FUNCTION
  local n
  cat <<CFG
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
  http-check expect status 200
  default-server inter 2s fall 3 rise 2
CFG
  for n in 1 2 3; do echo "  server node$n 127.0.0.1:$("$1" "$n") check"; done
}

# PostgreSQL in TCP, to whichever node's Patroni answers 200 on URI. A server marked down loses
# its sessions, so nothing keeps writing to a demoted primary.
postgres_listener() { # postgres_listener NAME PORT URI
  local n
  cat <<CFG

listen $1
  bind 127.0.0.1:$2
  mode tcp
  timeout client 30m
  timeout server 30m
  option httpchk
  http-check send meth OPTIONS uri $3
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
CFG
  for n in 1 2; do
    echo "  server pg$n 127.0.0.1:$(pg_port "$n") check port $(patroni_port "$n")"
  done
}

haproxy_config() {
  cat <<CFG
global
  # Two descriptors a connection, under the usual hard limit of 20,000.
  maxconn 9000
  stats socket $dir/haproxy.sock mode 600 level admin

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # A socket idles up to the page's 25 s heartbeat between frames.
  timeout tunnel 60s
  option redispatch
  retries 2

listen stats
  bind 127.0.0.1:$stats_port
  stats enable
  stats uri /

frontend web
  bind 127.0.0.1:$web_port
  option forwardfor
  # Each node's figures are read on the node itself, never through the front door.
  http-request deny if { path_beg /metrics }
  use_backend sockets if { path_beg /ws/ }
  default_backend pages

backend pages
  balance roundrobin
CFG
  app_servers wsgi_port
  cat <<CFG

backend sockets
  balance leastconn
  # A handshake whose client gave up is dropped, not answered: in a reconnect storm, answering
  # them would keep the nodes busy for nobody.
  option abortonclose
CFG
  app_servers asgi_port
  postgres_listener postgres-primary "$pg_rw_port" /primary
  # Reads that may lag (search, transcripts): any node that serves reads, the replica or, while
  # it is away, the primary.
  postgres_listener postgres-replica "$pg_ro_port" /read-only
}

start_haproxy() {
  alive haproxy && return
  haproxy_config >"$dir/haproxy.cfg"
  haproxy -q -D -f "$dir/haproxy.cfg" -p "$(pidfile haproxy)" 2>>"$dir/haproxy.log"
  wait_for 10 haproxy test -s "$(pidfile haproxy)"
}

# --- The app nodes ---------------------------------------------------------------------------
# What every node shares, written once by `up` and read again by `restart`.
write_env() {
  [ -s "$dir/env" ] && return
  local secret integrity token
  secret=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")
  integrity=$(.venv/bin/python -c "import secrets; print('c1:' + secrets.token_urlsafe(32))")
  token=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))")
  (
    umask 077
    cat >"$dir/env" <<ENV
DJANGO_DEBUG=0
DJANGO_SECRET_KEY=$secret
VETCHAT_INTEGRITY_KEYS=$integrity
VETCHAT_METRICS_TOKEN=$token
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
DJANGO_TRUSTED_PROXY_COUNT=1
DJANGO_LOG_FORMAT=json
DJANGO_RATE_LIMITS=${DJANGO_RATE_LIMITS:-on}
VETCHAT_BASE_URL=http://127.0.0.1:$web_port
DATABASE_URL=postgresql://vetchat_app@127.0.0.1:$bouncer_port/vetchat?pooler=transaction
DATABASE_DIRECT_URL=postgresql://vetchat_app@127.0.0.1:$pg_rw_port/vetchat
DATABASE_MIGRATION_URL=postgresql://vetchat_owner@127.0.0.1:$pg_rw_port/vetchat
DATABASE_REPLICA_URL=postgresql://vetchat_app@127.0.0.1:$pg_ro_port/vetchat
REDIS_URL=$REDIS_URL
ENV
  )
}

load_env() {
  set -a
  # shellcheck disable=SC1091
  . "$dir/env"
  set +a
}

# keep_running COMMAND...: COMMAND, started again a second after it stops. procrastinate's worker
# stops when its database connection is lost (a PostgreSQL failover); SIGTERM ends both for good.
keep_running() {
  local pid
  trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM
  while :; do
    "$@" &
    pid=$!
    wait "$pid" || true
    sleep 1
  done
}

# `scripts/cluster.sh node N`, in a session of its own: the node's web servers and job workers.
# SIGTERM stops them gently; `kill nodeN` ends the whole session at once.
run_node() {
  local n=$1
  load_env
  export PROMETHEUS_MULTIPROC_DIR=$dir/node$n/metrics
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  local children=()
  .venv/bin/gunicorn vetchat.wsgi --bind "127.0.0.1:$(wsgi_port "$n")" \
    --workers "${CLUSTER_WSGI_WORKERS:-2}" --worker-class sync --graceful-timeout 5 \
    --config python:vetchat.gunicorn_hooks --log-level warning &
  children+=($!)
  .venv/bin/gunicorn vetchat.asgi --worker-class vetchat.workers.UvicornWorker \
    --bind "127.0.0.1:$(asgi_port "$n")" --workers "${CLUSTER_ASGI_WORKERS:-1}" \
    --graceful-timeout 5 --config python:vetchat.gunicorn_hooks --log-level warning &
  children+=($!)
  # The job workers LISTEN for new jobs, which a transaction pooler cannot carry: they reach
  # the primary through HAProxy alone. Each serves its own figures on a port of its own.
  DATABASE_URL=$DATABASE_DIRECT_URL VETCHAT_METRICS_PORT=$(worker_metrics_port "$n" 0) \
    keep_running env -u PROMETHEUS_MULTIPROC_DIR .venv/bin/python manage.py procrastinate worker \
    --queues notifications,transcripts,attachments &
  children+=($!)
  DATABASE_URL=$DATABASE_DIRECT_URL VETCHAT_METRICS_PORT=$(worker_metrics_port "$n" 1) \
    keep_running env -u PROMETHEUS_MULTIPROC_DIR .venv/bin/python manage.py procrastinate worker \
    --queues push &
  children+=($!)
  trap 'kill "${children[@]}" 2>/dev/null; wait' TERM INT
  wait
}

start_node() { # start_node N
  local n=$1
  alive "node$n" && return
  mkdir -p "$dir/node$n"
  setsid scripts/cluster.sh node "$n" >>"$dir/node$n.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "node$n")"
}

node_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$(wsgi_port "$1")/readyz" && curl -fsS --max-time 2 "http://127.0.0.1:$(asgi_port "$1")/readyz"; }

# --- Taking parts down -----------------------------------------------------------------------
# A process and everything in its session, at once (SIGKILL) or gently (SIGTERM). Patroni
# starts PostgreSQL in a session of its own, so pgN takes its postmaster along.
signal_part() { # signal_part SIGNAL NAME
  local sig=$1 name=$2 pid postmaster
  case "$name" in
    pg1 | pg2)
      postmaster=$(head -n 1 "$dir/$name/data/postmaster.pid" 2>/dev/null || true)
      ;;
    *) postmaster= ;;
  esac
  if pid=$(pid_of "$name"); then
    kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
  fi
  if [ "$sig" = KILL ] && [ -n "$postmaster" ]; then
    kill -KILL -- "-$postmaster" 2>/dev/null || kill -KILL "$postmaster" 2>/dev/null || true
  fi
}

stop_parts() { # stop_parts NAME...: SIGTERM to all at once, SIGKILL to those alive after 20 s
  local name pid pids=() alive_pids
  for name in "$@"; do
    pid=$(pid_of "$name") || continue
    signal_part TERM "$name"
    pids+=("$pid")
  done
  for _ in $(seq 200); do
    alive_pids=()
    for pid in "${pids[@]}"; do running_pid "$pid" && alive_pids+=("$pid"); done
    [ ${#alive_pids[@]} -eq 0 ] && break
    sleep 0.1
  done
  for name in "$@"; do
    pid=$(pid_of "$name") || continue
    running_pid "$pid" && signal_part KILL "$name"
    rm -f "$(pidfile "$name")"
  done
}

resolve() { # a role to the process that holds it now; a process name to itself
  case "$1" in
    pg-primary) pg_primary ;;
    pg-replica) pg_replica ;;
    redis-primary) scripts/sentinel.sh primary "$dir" "$redis_port" ;;
    redis-replica)
      case "$(scripts/sentinel.sh primary "$dir" "$redis_port")" in
        redis1) echo redis2 ;;
        redis2) echo redis1 ;;
        *) return 1 ;;
      esac
      ;;
    node[1-3] | pg[12] | redis[12] | sentinel[1-3] | etcd | pgbouncer | haproxy) echo "$1" ;;
    *)
      echo "cluster: no part named $1" >&2
      return 2
      ;;
  esac
}

start_part() { # start_part NAME: (re)start one stopped part
  case "$1" in
    node[1-3]) start_node "${1#node}" ;;
    pg[12]) start_pg "${1#pg}" ;;
    redis[12] | sentinel[1-3]) scripts/sentinel.sh start "$dir" "$redis_port" >/dev/null ;;
    etcd) start_etcd ;;
    pgbouncer) scripts/pgbouncer.sh start "$dir" "$bouncer_port" 127.0.0.1 "$pg_rw_port" >/dev/null ;;
    haproxy) start_haproxy ;;
  esac
}

# --- The commands ----------------------------------------------------------------------------
up() {
  install_missing
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ -n "$bindir" ] || {
    echo "cluster: PostgreSQL's server binaries are missing (apt-get install postgresql)" >&2
    exit 1
  }
  start_etcd
  start_pg 1
  start_haproxy
  wait_for 90 "the first PostgreSQL" pg_primary
  start_pg 2
  wait_for 30 "HAProxy's way to the primary" psql_rw -c "select 1"
  set_up_roles
  scripts/pgbouncer.sh start "$dir" "$bouncer_port" 127.0.0.1 "$pg_rw_port" >/dev/null
  REDIS_URL=$(scripts/sentinel.sh start "$dir" "$redis_port")
  export REDIS_URL
  write_env
  (
    load_env
    export DJANGO_LOG_LEVEL=WARNING DATABASE_URL=$DATABASE_DIRECT_URL
    .venv/bin/python manage.py migrate --no-input -v0
    if [ ! -e "$dir/seeded" ]; then
      .venv/bin/python manage.py seed_demo --force >"$dir/sign-ins"
      touch "$dir/seeded"
    fi
    DJANGO_STATIC_COMPRESS=0 .venv/bin/python manage.py collectstatic --no-input -v0
  )
  local n
  for n in 1 2 3; do start_node "$n"; done
  for n in 1 2 3; do wait_for 120 "node$n" node_ready "$n"; done
  wait_for 60 "the replica" pg_replica
  wait_for 30 "HAProxy's front" curl -fsS "http://127.0.0.1:$web_port/readyz"
  echo "http://127.0.0.1:$web_port/"
}

down() {
  stop_parts "${NODES[@]}"
  stop_parts haproxy pgbouncer
  # Both at once: neither takes over from the other while both are stopping.
  stop_parts pg1 pg2
  # A PostgreSQL whose Patroni was killed outlives it: its own postmaster.pid names it.
  signal_part KILL pg1
  signal_part KILL pg2
  stop_parts etcd
  scripts/sentinel.sh stop "$dir" "$redis_port" 2>/dev/null || true
}

status() {
  local name state role
  for name in haproxy "${NODES[@]}" pgbouncer pg1 pg2 etcd; do
    if alive "$name"; then state=up; else state=down; fi
    role=
    case "$name" in
      pg[12]) role=$(patroni_role "${name#pg}") ;;
      node[1-3]) node_ready "${name#node}" >/dev/null 2>&1 && role=ready || role=unready ;;
    esac
    printf '%-10s %-5s %s\n' "$name" "$state" "$role"
  done
  scripts/sentinel.sh status "$dir" "$redis_port" || true
  if [ -s "$dir/env" ]; then
    load_env
    .venv/bin/python scripts/cluster_figures.py "$base"
  fi
}

case "$action" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill)
    name=$(resolve "${2:?usage: cluster.sh kill NAME}")
    signal_part KILL "$name"
    rm -f "$(pidfile "$name")"
    echo "$name"
    ;;
  restart)
    name=$(resolve "${2:?usage: cluster.sh restart NAME}")
    alive "$name" && stop_parts "$name"
    start_part "$name"
    case "$name" in node[1-3]) wait_for 120 "$name" node_ready "${name#node}" ;; esac
    echo "$name"
    ;;
  node) run_node "${2:?}" ;;
  *)
    echo "usage: cluster.sh up|down|status|kill NAME|restart NAME" >&2
    exit 2
    ;;
esac
