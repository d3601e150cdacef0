#!/usr/bin/env bash
# The project's one test command. On a fresh machine it installs what it needs (a Python venv
# with pinned moto and cfn-lint), starts moto on a free loopback port, and runs every check:
# formatting, the SAM template lint, clippy, and the whole test suite with the AWS SDK pointed
# at moto. moto is stopped on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# A CI clone builds once: incremental caches would only add gigabytes to its target directory.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

started=$(date +%s)
# Each step prints the seconds since the start, so a slow run shows where its time went.
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

# A cold build, moto and the Python tools take about 8 GiB: warn before a full disk breaks a
# later step with a less obvious error (pip's "No space left on device").
step "disk space"
df -h . | tail -1
free_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((10 * 1024 * 1024)) ]; then
  echo "warning: less than 10 GiB free here; a cold build may not fit" >&2
fi

step "cargo fmt --check"
cargo fmt --all --check

step "system packages (chromium and chromedriver for the browser tests, faketime for the date guard)"
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || ! command -v faketime >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver faketime \
    >/dev/null
fi
chromium --version
chromedriver --version
faketime -f +400d date -u

step "python tools (moto, cfn-lint, jsonschema, aws-sam-cli, cargo-lambda)"
venv=$(infra/scripts/python-tools.sh)

step "cfn-lint template.yaml"
"$venv/bin/cfn-lint" template.yaml

step "sam validate --lint (offline)"
SAM_CLI_TELEMETRY=0 AWS_REGION=ap-southeast-1 "$venv/bin/sam" validate --lint --template template.yaml

step "event fixtures against the JSON Schema"
"$venv/bin/python" infra/scripts/check-event-fixtures.py

step "template: every log group has a retention, every queue its retention and encryption"
"$venv/bin/python" infra/scripts/check-template.py

step "architecture rules: file and function sizes, wiring (infra/ARCHITECTURE.md)"
python3 infra/scripts/check-architecture.py .

step "start moto"
trap 'infra/scripts/moto.sh stop' EXIT
endpoint=$(infra/scripts/moto.sh start)
echo "moto at $endpoint"
export AWS_ENDPOINT_URL="$endpoint"
export AWS_REGION=ap-southeast-1
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_EC2_METADATA_DISABLED=true

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The local server (the README's run command) builds the function libraries without their
# `lambda` feature: it must compile that way and link no AWS SDK.
step "the local server without the AWS SDK"
cargo clippy -p local --locked -- -D warnings
if cargo tree -p local -e normal --locked | grep -E "aws-sdk-|aws-config"; then
  echo "the local server must not depend on the AWS SDK" >&2
  exit 1
fi

# Both selections the passes below run are built here: cargo under libfaketime would hang on
# anything left to compile.
step "cargo test: build every test"
cargo test --workspace --locked --no-run
cargo test --workspace --locked --lib --tests --no-run

# The suite runs three times, at once: with today's clock, and with the wall clock 400 days
# ahead and 30 days back (libfaketime; nothing is rebuilt). No test may depend on today's date:
# every decision takes its time from an injected Clock and every test builds its timestamps from
# the clock it injects. The passes run side by side because one pass leaves half the machine idle
# (its tests wait on moto, on fakes and on timeouts); each has its own moto, since moto applies
# DynamoDB requests one at a time. Doc tests run in the first pass only: rustdoc hangs under
# libfaketime, and no doc comment holds a test. Each log is printed whole once all are done.
step "cargo test, three passes at once: today, the clock shifted +400d and -30d (faketime)"
logs=target/test-logs
mkdir -p "$logs"
for name in today plus-400d minus-30d; do echo "1 0" >"$logs/$name.rc"; done # until it ends
pass() { # NAME CLOCK-SHIFT CARGO-TEST-ARGS...
  local name=$1 shift_by=$2 endpoint
  shift 2
  endpoint=$(infra/scripts/moto.sh start "$name")
  local began=$(date +%s) rc=0
  if [ "$shift_by" = none ]; then
    AWS_ENDPOINT_URL="$endpoint" cargo test "$@" >"$logs/$name.log" 2>&1 || rc=$?
  else
    AWS_ENDPOINT_URL="$endpoint" faketime -f "$shift_by" cargo test "$@" >"$logs/$name.log" 2>&1 \
      || rc=$?
  fi
  infra/scripts/moto.sh stop "$name"
  echo "$rc $(( $(date +%s) - began ))" >"$logs/$name.rc"
}
pass today none --workspace --locked &
pass plus-400d +400d --workspace --locked --lib --tests &
pass minus-30d -30d --workspace --locked --lib --tests &
wait
failed=""
for name in today plus-400d minus-30d; do
  read -r rc secs <"$logs/$name.rc"
  printf '\n==> pass %s: exit %s after %ss (%s)\n' "$name" "$rc" "$secs" "$logs/$name.log"
  cat "$logs/$name.log"
  [ "$rc" = 0 ] || failed="$failed $name"
done
if [ -n "$failed" ]; then
  echo "the suite failed in:$failed (logs in $logs/)" >&2
  exit 1
fi

# The Lambda binaries as cargo test built them (dev profile): each starts against moto and
# answers a fixture. The release build that `sam build` deploys takes 12-16 min on 2 cores and is
# checked (sizes, start-up) by `BUILD=release infra/scripts/lambda-smoke.sh` before a deployment
# (RUNBOOK) and for BENCHMARKS.md; only the profile differs.
step "every Lambda binary answers a fixture (dev profile)"
BUILD=debug VENV="$venv" infra/scripts/lambda-smoke.sh

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - started ))"
