#!/usr/bin/env bash
# Refresh requirements.lock and requirements-dev.lock from pyproject.toml: the newest releases
# its ranges allow, each pinned with the hashes of every file PyPI has for it.
#   scripts/lock.sh                 re-resolve everything
#   scripts/lock.sh --upgrade-package django    move one package only
set -euo pipefail
cd "$(dirname "$0")/.."

# uv's resolver: pip-compile spends many minutes backtracking through boto3's daily releases.
tools=${TMPDIR:-/tmp}/vetchat-uv
[ -x "$tools/bin/uv" ] || {
  python3.11 -m venv "$tools"
  "$tools/bin/pip" install --quiet "uv>=0.9,<1"
}
common=(--quiet --generate-hashes --python-version 3.11 "$@")
"$tools/bin/uv" pip compile "${common[@]}" -o requirements.lock pyproject.toml
"$tools/bin/uv" pip compile "${common[@]}" --extra dev -o requirements-dev.lock pyproject.toml
