#!/usr/bin/env bash
# Create .venv and install the project into it from the hashed lock files; reinstalls only
# when pyproject.toml or a lock file changes.
#   scripts/venv.sh [dev]
# Every dependency comes pinned, with its hashes, from requirements.lock (runtime) or
# requirements-dev.lock (runtime and test tools); scripts/lock.sh refreshes both.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=${1:-}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
lock=requirements${extra:+-$extra}.lock

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed-${extra:-runtime}
want=$(cat pyproject.toml "$lock" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r "$lock"
  # The project itself, whose dependencies the lock has already brought.
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" >"$stamp"
fi
