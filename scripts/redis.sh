#!/usr/bin/env bash
# A project-local Redis that listens only on a unix socket inside its own folder, keeps nothing
# on disk (it is a doorbell and a cache, never the source of truth).
#   scripts/redis.sh start DIR    start if stopped, print REDIS_URL
#   scripts/redis.sh stop DIR
set -euo pipefail

action=${1:?usage: redis.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: redis.sh start|stop DIR}")

socket=$dir/redis.sock
pidfile=$dir/redis.pid
log=$dir/redis.log

running() {
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

case "$action" in
  start)
    if ! command -v redis-server >/dev/null; then
      echo "redis-server not found. Install it (Debian: apt-get install redis-server)" >&2
      echo "or set REDIS_URL to an existing Redis." >&2
      exit 1
    fi
    mkdir -p "$dir"
    if ! running; then
      rm -f "$socket"
      redis-server --port 0 --unixsocket "$socket" --unixsocketperm 700 \
        --save '' --appendonly no --dir "$dir" \
        --daemonize yes --pidfile "$pidfile" --logfile "$log" \
        --maxclients 10000 >/dev/null
      for _ in $(seq 100); do
        [ -S "$socket" ] && redis-cli -s "$socket" ping >/dev/null 2>&1 && break
        sleep 0.05
      done
      if ! redis-cli -s "$socket" ping >/dev/null 2>&1; then
        tail -n 20 "$log" >&2
        exit 1
      fi
    fi
    echo "unix://$socket"
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
    rm -f "$pidfile" "$socket"
    ;;
  *)
    echo "usage: redis.sh start|stop DIR" >&2
    exit 2
    ;;
esac
