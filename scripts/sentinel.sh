#!/usr/bin/env bash
# A project-local Redis with Sentinel (Debian's `redis-sentinel`), on loopback TCP only, keeping
# nothing on disk but the configuration files Sentinel rewrites: a primary on PORT (redis1), a
# replica on PORT+1 (redis2) and three sentinels on PORT+2..PORT+4 that watch them under the name
# `vetchat` (quorum 2) and promote the replica about three seconds after the primary stops answering.
#   scripts/sentinel.sh start DIR PORT   start what is stopped, print REDIS_URL
#   scripts/sentinel.sh stop DIR         stop everything, forget the roles
#   scripts/sentinel.sh status DIR       one line per process: name, up/down, port, role
#   scripts/sentinel.sh primary DIR      redis1 or redis2: the primary two sentinels agree on
# A stopped or killed Redis that is started again rejoins as a replica of the current primary.
# Every process asks for one password, made at the first start and kept in DIR/password (mode
# 600); the URL carries it (redis+sentinel://:PASSWORD@...), as production's would.
set -euo pipefail

usage="usage: sentinel.sh start DIR PORT | stop|status|primary DIR"
action=${1:?$usage}
dir=$(realpath -m "${2:?$usage}")
portfile=$dir/port
master_name=vetchat

if [ -n "${3:-}" ]; then
  port=$3
  if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65531 ]; then
    echo "PORT must be a number from 1 to 65531 (the set takes PORT..PORT+4), not $port." >&2
    exit 2
  fi
  if [ -s "$portfile" ] && [ "$(cat "$portfile")" != "$port" ]; then
    echo "$dir runs on port $(cat "$portfile"), not $port: stop it first." >&2
    exit 2
  fi
elif [ -s "$portfile" ]; then
  port=$(cat "$portfile")
elif [ "$action" = start ]; then
  echo "$usage" >&2
  exit 2
else
  port=
fi

passwordfile=$dir/password
redises=(redis1 redis2)
sentinels=(sentinel1 sentinel2 sentinel3)

port_of() {
  case "$1" in
    redis1) echo "$port" ;;
    redis2) echo $((port + 1)) ;;
    sentinel1) echo $((port + 2)) ;;
    sentinel2) echo $((port + 3)) ;;
    sentinel3) echo $((port + 4)) ;;
  esac
}

# A Redis process of ours: one that has exited but is not yet reaped by its parent (init) counts
# as gone, and so does another program that was given the pid of one that is.
alive() {
  local stat
  stat=$(cut -d' ' -f2,3 "/proc/$1/stat" 2>/dev/null) || return 1
  [[ "$stat" == "(redis-"*")"* && "$stat" != *" Z" ]]
}

running() {
  [ -s "$dir/$1.pid" ] && alive "$(cat "$dir/$1.pid")"
}

ask() { # ask NAME COMMAND...: a command to one process, empty output if it does not answer
  local name=$1
  shift
  REDISCLI_AUTH=$(cat "$passwordfile" 2>/dev/null || true) \
    timeout 2 redis-cli -h 127.0.0.1 -p "$(port_of "$name")" "$@" 2>/dev/null || true
}

role() {
  ask "$1" role | head -n 1
}

# The primary's port as the sentinels name it, when at least two of them agree.
primary_port() {
  local name answer
  local -A votes=()
  for name in "${sentinels[@]}"; do
    answer=$(ask "$name" sentinel get-master-addr-by-name "$master_name" | sed -n 2p)
    [ -n "$answer" ] && votes[$answer]=$((${votes[$answer]:-0} + 1))
  done
  for answer in "${!votes[@]}"; do
    if [ "${votes[$answer]}" -ge 2 ]; then
      echo "$answer"
      return
    fi
  done
}

name_of_port() {
  local name
  for name in "${redises[@]}"; do
    [ "$(port_of "$name")" = "$1" ] && echo "$name"
  done
  true
}

wait_for() { # wait_for SECONDS COMMAND...: true once COMMAND succeeds
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

answers() {
  [ "$(ask "$1" ping)" = PONG ]
}

replica_in_sync() {
  ask "$1" info replication | grep -q '^master_link_status:up'
}

# It knows the two other sentinels and sees the primary and the replica up: ready to fail over.
sentinel_ready() {
  local state flags
  state=$(ask "$1" sentinel master "$master_name" | paste -sd' ')
  [[ " $state " == *" num-slaves 1 "* && " $state " == *" num-other-sentinels 2 "* ]] || return 1
  [[ " $state " != *"s_down"* && " $state " != *"disconnected"* ]] || return 1
  flags=$(ask "$1" sentinel replicas "$master_name" | awk 'last == "flags" { print } { last = $0 }')
  [ "$flags" = slave ]
}

fail() {
  echo "$1 did not start; see $dir/$1.log" >&2
  tail -n 20 "$dir/$1.log" >&2 2>/dev/null || true
  exit 1
}

write_redis_conf() {
  local name=$1
  # Written once: Sentinel rewrites it (replicaof) when it moves the primary.
  [ -s "$dir/$name.conf" ] && return
  cat >"$dir/$name.conf" <<CONF
bind 127.0.0.1
port $(port_of "$name")
daemonize yes
pidfile $dir/$name.pid
logfile $dir/$name.log
dir $dir
save ""
appendonly no
repl-diskless-sync yes
repl-diskless-sync-delay 0
repl-diskless-load swapdb
maxclients 10000
requirepass $(cat "$passwordfile")
masterauth $(cat "$passwordfile")
CONF
  [ "$name" = redis2 ] && echo "replicaof 127.0.0.1 $port" >>"$dir/$name.conf"
  true
}

write_sentinel_conf() {
  local name=$1
  [ -s "$dir/$name.conf" ] && return
  cat >"$dir/$name.conf" <<CONF
bind 127.0.0.1
port $(port_of "$name")
daemonize yes
pidfile $dir/$name.pid
logfile $dir/$name.log
dir $dir
sentinel monitor $master_name 127.0.0.1 $port 2
sentinel down-after-milliseconds $master_name 2000
sentinel failover-timeout $master_name 3000
sentinel parallel-syncs $master_name 1
sentinel auth-pass $master_name $(cat "$passwordfile")
requirepass $(cat "$passwordfile")
sentinel sentinel-pass $(cat "$passwordfile")
CONF
}

start_redis() {
  local name=$1 primary
  running "$name" && return
  write_redis_conf "$name"
  rm -f "$dir/$name.pid"
  set -- "$dir/$name.conf"
  # A Redis that was primary before it stopped must not come back as a second, empty primary
  # until the sentinels notice: it starts as a replica of the one they name now.
  primary=$(primary_port)
  if [ -n "$primary" ] && [ "$primary" != "$(port_of "$name")" ]; then
    set -- "$@" --replicaof 127.0.0.1 "$primary"
  fi
  redis-server "$@" >/dev/null
  wait_for 5 answers "$name" || fail "$name"
  if [ "$(role "$name")" = slave ]; then
    wait_for 10 replica_in_sync "$name" || fail "$name"
    ask "$name" config rewrite >/dev/null # its file names its primary, as Sentinel keeps it
  fi
}

start_sentinel() {
  local name=$1
  running "$name" && return
  write_sentinel_conf "$name"
  rm -f "$dir/$name.pid"
  redis-sentinel "$dir/$name.conf" >/dev/null
  wait_for 5 answers "$name" || fail "$name"
}

url() {
  local name hosts=()
  for name in "${sentinels[@]}"; do
    hosts+=("127.0.0.1:$(port_of "$name")")
  done
  echo "redis+sentinel://:$(cat "$passwordfile")@$(
    IFS=,
    echo "${hosts[*]}"
  )/$master_name/0"
}

case "$action" in
  start)
    if ! command -v redis-sentinel >/dev/null || ! command -v redis-server >/dev/null ||
      ! command -v redis-cli >/dev/null; then
      echo "redis-sentinel not found. Install it (Debian: apt-get install redis-sentinel)." >&2
      exit 1
    fi
    mkdir -p "$dir"
    echo "$port" >"$portfile"
    [ -s "$passwordfile" ] || (
      umask 077
      od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$passwordfile"
    )
    # The replica first, in sync, so that each sentinel's first look at the primary finds it.
    for name in "${redises[@]}"; do start_redis "$name"; done
    for name in "${sentinels[@]}"; do start_sentinel "$name"; done
    for name in "${sentinels[@]}"; do
      wait_for 15 sentinel_ready "$name" || fail "$name"
    done
    url
    ;;
  stop)
    for name in "${sentinels[@]}" "${redises[@]}"; do
      if running "$name"; then
        pid=$(cat "$dir/$name.pid")
        kill "$pid"
        for _ in $(seq 100); do
          alive "$pid" || break
          sleep 0.05
        done
      fi
      rm -f "$dir/$name.pid"
    done
    # Nothing was kept: the next start begins afresh, with redis1 the primary.
    for name in "${sentinels[@]}" "${redises[@]}"; do rm -f "$dir/$name.conf"; done
    rm -f "$portfile"
    ;;
  status)
    [ -n "$port" ] || {
      echo "nothing started in $dir" >&2
      exit 1
    }
    for name in "${redises[@]}" "${sentinels[@]}"; do
      if running "$name"; then
        case "$(role "$name")" in
          master) what=primary ;;
          slave) what=replica ;;
          sentinel) what=sentinel ;;
          *) what="not answering" ;;
        esac
        echo "$name up $(port_of "$name") $what"
      else
        echo "$name down $(port_of "$name")"
      fi
    done
    ;;
  primary)
    primary=
    [ -n "$port" ] && primary=$(name_of_port "$(primary_port)")
    if [ -z "$primary" ]; then
      echo "No two sentinels agree on a primary for $dir." >&2
      exit 1
    fi
    echo "$primary"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
