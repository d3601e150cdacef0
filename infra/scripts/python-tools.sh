#!/usr/bin/env bash
# Creates (once per machine) the project's Python venv with pinned tools: moto (DynamoDB + SQS on
# loopback), cfn-lint, jsonschema, aws-sam-cli (sam validate --lint, sam build) and cargo-lambda
# (Lambda builds). Prints the venv path; callers use "$VENV/bin/...".
#
# The venv lives in the user's cache, named by a digest of the pins and the Python version, so
# every clone and worktree of the project shares one (a fresh clone used to spend a minute
# installing the same wheels again), and a change of pins makes a new one. The checkout's
# `.venv` is a link to it (RUNBOOK commands use `.venv`). MOTCUA_VENV names another place.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
pins=('moto[server]==5.2.5' 'cfn-lint==1.58.0' 'jsonschema==4.23.0' 'aws-sam-cli==1.170.0'
  'cargo-lambda==1.9.2')
digest=$( (python3 --version; printf '%s\n' "${pins[@]}") | sha256sum | cut -c1-16)
venv="${MOTCUA_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/motcua/venv-$digest}"
stamp="$venv/.motcua-tools"
if [ ! -f "$stamp" ]; then
  mkdir -p "$(dirname "$venv")"
  # one creator at a time; a venv left half-made by an interrupted run is made again
  exec 9>"$venv.lock"
  flock 9
  if [ ! -f "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
    touch "$stamp"
  fi
  exec 9>&-
fi
# the checkout's .venv: a link to the shared venv, unless it is a venv of its own
if [ -z "${MOTCUA_VENV:-}" ] && { [ -L "$root/.venv" ] || [ ! -e "$root/.venv" ]; }; then
  ln -sfn "$venv" "$root/.venv"
fi
echo "$venv"
