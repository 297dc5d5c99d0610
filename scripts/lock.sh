#!/usr/bin/env bash
# Refresh requirements.lock and requirements-dev.lock from pyproject.toml: the newest releases
# its ranges allow, each pinned with the hashes of every file PyPI has for it.
#   scripts/lock.sh                 re-resolve everything
#   scripts/lock.sh --upgrade-package django    move one package only
set -euo pipefail
cd "$(dirname "$0")/.."

tools=${TMPDIR:-/tmp}/vetchat-piptools
[ -x "$tools/bin/pip-compile" ] || {
  python3.11 -m venv "$tools"
  "$tools/bin/pip" install --quiet "pip-tools>=7.4,<8"
}
common=(--quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url
  --no-emit-find-links "$@")
"$tools/bin/pip-compile" "${common[@]}" -o requirements.lock pyproject.toml
"$tools/bin/pip-compile" "${common[@]}" --extra dev -o requirements-dev.lock pyproject.toml
