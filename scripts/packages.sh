#!/usr/bin/env bash
# The Debian packages vetchat needs, installed when missing (as root, with apt-get), or named.
#   scripts/packages.sh run    # what serving the app needs
#   scripts/packages.sh bench  # that, the load tool and valgrind
#   scripts/packages.sh cluster  # that, and the cluster's parts (scripts/cluster.sh)
#   scripts/packages.sh test   # all of it, and the tests' browser and malware scanner
set -euo pipefail

missing=()
# PostgreSQL and Redis, which the commands start themselves when DATABASE_URL / REDIS_URL are unset.
[ -n "${DATABASE_URL:-}" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null || missing+=(redis-server)
# WeasyPrint's libraries and a font, for the transcript's PDF.
ls /usr/lib/*/libpango-1.0.so.0 >/dev/null 2>&1 || missing+=(libpango-1.0-0)
ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || missing+=(libpangoft2-1.0-0)
ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || missing+=(libharfbuzz-subset0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# Attachments: ffmpeg for videos, libmagic to type every upload by its content.
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# coturn, the video calls' TURN relay: `make run` and the tests start their own (scripts/coturn.sh).
command -v turnserver >/dev/null || missing+=(coturn)
ls /usr/lib/*/libmagic.so.1 >/dev/null 2>&1 || [ -e /usr/lib/libmagic.so.1 ] || missing+=(libmagic1)
case "${1:-run}" in cluster | test)
  # The cluster (scripts/cluster.sh), which the failover tests start: HAProxy in front,
  # PostgreSQL under Patroni with etcd, PgBouncer, Redis with Sentinel.
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  command -v patroni >/dev/null || missing+=(patroni)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
  command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v curl >/dev/null || missing+=(curl)
  ;;
esac
case "${1:-run}" in bench | test)
  # wrk for the load, valgrind to count instructions (bench/instructions.py)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v valgrind >/dev/null || missing+=(valgrind)
  ;;
esac
if [ "${1:-run}" = test ]; then
  # Chromium for the browser tests, clamd and sigtool for the malware-scan tests (they start
  # their own clamd on a database they build).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
  command -v sigtool >/dev/null || missing+=(clamav)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]}..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing ${missing[*]}: install Debian's packages (apt-get install ${missing[*]})." >&2
  exit 1
fi
