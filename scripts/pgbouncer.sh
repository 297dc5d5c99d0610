#!/usr/bin/env bash
# A project-local PgBouncer in transaction pooling mode, in front of one PostgreSQL server.
#   scripts/pgbouncer.sh start DIR PORT UPSTREAM_HOST UPSTREAM_PORT
#       write the config, start if stopped, print the HOST:PORT clients connect to
#   scripts/pgbouncer.sh stop DIR
# It listens on 127.0.0.1:PORT and forwards every database name to the upstream (a wildcard
# entry, so the test runs' per-worker databases pass too). UPSTREAM_HOST is a host name or
# address, or the directory of PostgreSQL's unix socket (scripts/postgres.sh's DIR/run).
# Clients are trusted on loopback, as PostgreSQL trusts them in scripts/postgres.sh: the
# upstream must trust PgBouncer's connections too, since it holds no passwords to pass on.
# The app connects with ?pooler=transaction in its DATABASE_URL (vetchat/settings.py).
set -euo pipefail

usage="usage: pgbouncer.sh start DIR PORT UPSTREAM_HOST UPSTREAM_PORT, pgbouncer.sh stop DIR"
action=${1:?$usage}
dir=$(realpath -m "${2:?$usage}")

config=$dir/pgbouncer.ini
users=$dir/users.txt
pidfile=$dir/pgbouncer.pid
log=$dir/pgbouncer.log

running() {
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

accepting() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

case "$action" in
  start)
    port=${3:?$usage}
    upstream_host=${4:?$usage}
    upstream_port=${5:?$usage}
    bin=$(command -v pgbouncer || true)
    if [ -z "$bin" ] && [ -x /usr/sbin/pgbouncer ]; then
      bin=/usr/sbin/pgbouncer
    fi
    if [ -z "$bin" ]; then
      echo "pgbouncer not found. Install it (Debian: apt-get install pgbouncer; scripts/packages.sh" >&2
      echo "does) or connect to PostgreSQL directly." >&2
      exit 1
    fi
    if [[ "$upstream_host" == /* ]] && [ ! -d "$upstream_host" ]; then
      echo "$upstream_host is not a directory: give PostgreSQL's socket directory or a host." >&2
      exit 1
    fi
    mkdir -p "$dir"
    if running; then
      configured=$(sed -n 's/^listen_port = //p' "$config")
      if [ "$configured" != "$port" ]; then
        echo "PgBouncer in $dir already listens on port $configured; stop it first." >&2
        exit 1
      fi
      echo "127.0.0.1:$port"
      exit 0
    fi
    # trust still needs each user listed: the cluster's three roles (scripts/postgres.sh).
    printf '"%s" ""\n' vetchat vetchat_owner vetchat_app >"$users"
    # Sizes for three app nodes: each node's processes keep a client connection per thread
    # (CONN_MAX_AGE), most of them idle between requests, and a transaction holds a server
    # connection only while it runs. 20 server connections a database and role (plus 5 when
    # clients have waited 3 s), at most 40 a database: with the job workers, which connect
    # directly (they LISTEN), and replication, well inside max_connections = 100.
    cat >"$config" <<CONFIG
[databases]
* = host=$upstream_host port=$upstream_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $users
admin_users = vetchat
stats_users = vetchat
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
reserve_pool_size = 5
reserve_pool_timeout = 3
max_db_connections = 40
server_idle_timeout = 60
server_connect_timeout = 5
query_wait_timeout = 30
CONFIG
    chmod 644 "$config" "$users"
    # In the foreground, its pid the script's to keep and its log on stderr: as the postgres user
    # (root runs it so, since PgBouncer refuses root) it could not write either into DIR, which
    # stays root's and may hold other files.
    if [ "$(id -u)" = 0 ]; then
      as_user=(-u postgres)
    else
      as_user=()
    fi
    logged=$(stat -c %s "$log" 2>/dev/null || echo 0)
    setsid "$bin" "${as_user[@]}" "$config" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    # Up once this process says it listens: another one may already hold the port.
    listening() {
      running && tail -c "+$((logged + 1))" "$log" | grep -q "listening on 127.0.0.1:$port"
    }
    for _ in $(seq 100); do
      listening && accepting "$port" && break
      sleep 0.05
    done
    if ! listening || ! accepting "$port"; then
      running && kill "$(cat "$pidfile")"
      rm -f "$pidfile"
      tail -n 20 "$log" >&2
      exit 1
    fi
    echo "127.0.0.1:$port"
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
    fi
    rm -f "$pidfile"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
