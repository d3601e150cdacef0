#!/usr/bin/env bash
# Creates (once) the project's Python venv with pinned tools: moto (DynamoDB + SQS on loopback),
# cfn-lint, aws-sam-cli (sam validate --lint, sam build) and cargo-lambda (Lambda builds). Prints the venv path. Usage: source <(infra/scripts/python-tools.sh) is not
# needed; callers use "$VENV/bin/...".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="${MOTCUA_VENV:-$root/.venv}"
stamp="$venv/.motcua-tools-v3"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'moto[server]==5.2.5' 'cfn-lint==1.58.0' 'jsonschema==4.23.0' \
    'aws-sam-cli==1.170.0' 'cargo-lambda==1.9.2' >&2
  touch "$stamp"
fi
echo "$venv"
