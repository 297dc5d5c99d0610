#!/usr/bin/env bash
# A project-local coturn (Debian's `coturn`) for the video calls' TURN relay, on loopback only,
# with coturn's REST-style auth: it accepts the time-limited credentials vetchat issues per call
# from the shared secret in VETCHAT_TURN_SECRET (calls/ice.py), and keeps no user database.
#   scripts/coturn.sh start DIR    start if stopped, print VETCHAT_TURN_URLS
#   scripts/coturn.sh stop DIR
# Production runs coturn on a public address with TLS: deploy/coturn.conf.
set -euo pipefail

action=${1:?usage: coturn.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: coturn.sh start|stop DIR}")

pidfile=$dir/turnserver.pid
log=$dir/turnserver.log
conf=$dir/turnserver.conf
portfile=$dir/port

running() {
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

urls() {
  local port
  port=$(cat "$portfile")
  echo "turn:127.0.0.1:$port?transport=udp,turn:127.0.0.1:$port?transport=tcp"
}

case "$action" in
  start)
    if ! command -v turnserver >/dev/null; then
      echo "turnserver not found. Install it (Debian: apt-get install coturn)." >&2
      exit 1
    fi
    if [ -z "${VETCHAT_TURN_SECRET:-}" ]; then
      echo "Set VETCHAT_TURN_SECRET: the secret coturn and vetchat share." >&2
      exit 1
    fi
    mkdir -p "$dir"
    if ! running; then
      # A free port: the kernel's choice for a socket bound to port 0 (TCP and UDP alike here).
      port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
      echo "$port" >"$portfile"
      # The secret goes in a file only its user reads, never on the command line (ps shows it).
      (
        umask 077
        cat >"$conf" <<CONF
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=$port
realm=vetchat
use-auth-secret
static-auth-secret=$VETCHAT_TURN_SECRET
fingerprint
no-tls
no-dtls
no-cli
no-multicast-peers
allow-loopback-peers
pidfile=$pidfile
log-file=$log
simple-log
no-stdout-log
CONF
      )
      rm -f "$pidfile"
      if [ "$(id -u)" = 0 ]; then
        # Never as root: Debian's package made the `turnserver` user for it, and the (unused,
        # empty) user database it can reach after dropping root, /var/lib/turn/turndb.
        chown -R turnserver:turnserver "$dir"
        set -- --proc-user turnserver --proc-group turnserver
      else
        set -- --userdb "$dir/turndb"
      fi
      turnserver -c "$conf" --daemon "$@" >/dev/null 2>&1
      for _ in $(seq 100); do
        running && ss -lun 2>/dev/null | grep -q "127.0.0.1:$port " && break
        sleep 0.05
      done
      if ! running; then
        tail -n 20 "$log"* >&2 2>/dev/null || true
        echo "coturn did not start; see $log" >&2
        exit 1
      fi
    fi
    urls
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
    echo "usage: coturn.sh start|stop DIR" >&2
    exit 2
    ;;
esac
