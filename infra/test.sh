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

# The Python checks of the template and fixtures run in the background while cargo builds (they
# use one core for about 15 s); their output is printed, and their failure fails the run, before
# the suite starts.
step "in the background: cfn-lint, sam validate --lint, the fixtures' JSON Schema, template rules"
mkdir -p target/test-logs
python_checks() {
  "$venv/bin/cfn-lint" template.yaml
  SAM_CLI_TELEMETRY=0 AWS_REGION=ap-southeast-1 "$venv/bin/sam" validate --lint --template template.yaml
  "$venv/bin/python" infra/scripts/check-event-fixtures.py
  "$venv/bin/python" infra/scripts/check-template.py
}
python_checks >target/test-logs/python-checks.log 2>&1 &
python_checks_pid=$!

step "architecture rules: file and function sizes, wiring (infra/ARCHITECTURE.md)"
python3 infra/scripts/check-architecture.py .

# Each job of the last step starts its own moto (infra/scripts/moto.sh); this stops them all.
trap 'infra/scripts/moto.sh stop' EXIT
export AWS_REGION=ap-southeast-1
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_EC2_METADATA_DISABLED=true

# Clippy lints while the tests build: clippy-driver compiles the workspace's own crates, as
# `cargo clippy` does but through code generation, and CLIPPY_ARGS is how `cargo clippy` hands it
# `-D warnings`. So each dependency is compiled once, for the tests, not a second time in clippy's
# check mode (about 150 s of a cold run). Every cargo command below runs with these variables:
# without them cargo would rebuild the workspace's crates.
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver)

# What `cargo clippy --workspace --all-targets` lints (a main.rs holds no test or bench, so its
# harnesses are not built: check-architecture.py), then both selections the passes below run:
# cargo under libfaketime would hang on anything left to compile. `--bins --tests` resolves
# features as `cargo test --workspace` does, so the Lambda smoke's build is already done.
step "cargo build and clippy: every bin, lib, test and bench"
cargo build --workspace --locked --bins --tests --benches
cargo test --workspace --locked --no-run
cargo test --workspace --locked --lib --tests --no-run

# The local server (the README's run command) builds the function libraries without their
# `lambda` feature: it must compile that way, lint clean, and link no AWS SDK.
step "the local server without the AWS SDK"
cargo build -p local --locked
if cargo tree -p local -e normal --locked | grep -E "aws-sdk-|aws-config"; then
  echo "the local server must not depend on the AWS SDK" >&2
  exit 1
fi

step "the background checks (cfn-lint, sam validate, fixtures, template)"
python_rc=0
wait "$python_checks_pid" || python_rc=$?
cat target/test-logs/python-checks.log
if [ "$python_rc" != 0 ]; then
  echo "a template or fixture check failed (above)" >&2
  exit 1
fi

# The suite runs three times, at once: with today's clock, and with the wall clock 400 days
# ahead and 30 days back (libfaketime; nothing is rebuilt). No test may depend on today's date:
# every decision takes its time from an injected Clock and every test builds its timestamps from
# the clock it injects. The date-shifted passes run each generated DVCQG stream test on the
# embedded store over one seed instead of 8, and none on moto (MOTCUA_STREAM_SEEDS): a decision
# taken from the wall clock shows in every seed, the DynamoDB store's contract suite runs in
# every pass, and the plain pass runs them all. Doc tests run in the plain pass only: rustdoc hangs
# under libfaketime, and no doc comment holds a test.
#
# Beside them, the Lambda binaries as cargo built them (dev profile) each start against moto and
# answer a fixture. The release build that `sam build` deploys takes 12-16 min on 2 cores and is
# checked (sizes, start-up) by `BUILD=release infra/scripts/lambda-smoke.sh` before a deployment
# (RUNBOOK) and for BENCHMARKS.md; only the profile differs.
#
# One pass alone leaves half the machine idle (its tests wait on moto, on fakes and on
# timeouts), so the jobs run side by side, each with its own moto, since moto applies DynamoDB
# requests one at a time. The plain pass's generated streams (tests/, dvcqg_streams: 8 + 8
# seeds and both moto streams, half its CPU) are a job of their own, so that the rest of that
# pass does not wait behind them while the shifted passes leave a core idle; the filter is a
# test-name argument, so the builds above are what both run. Each log is printed whole once
# all are done.
step "at once: cargo test today (streams apart), +400d and -30d (faketime); every Lambda answers a fixture"
logs=target/test-logs
jobs=(today streams plus-400d minus-30d smoke)
for name in "${jobs[@]}"; do echo "1 0" >"$logs/$name.rc"; done # until it ends
job() { # NAME COMMAND...: COMMAND against a moto of its own, output in $logs/NAME.log
  local name=$1 endpoint began rc=0
  shift
  endpoint=$(infra/scripts/moto.sh start "$name")
  began=$(date +%s)
  AWS_ENDPOINT_URL="$endpoint" "$@" >"$logs/$name.log" 2>&1 || rc=$?
  infra/scripts/moto.sh stop "$name"
  echo "$rc $(( $(date +%s) - began ))" >"$logs/$name.rc"
}
shifted() { # CLOCK-SHIFT: the suite but doc tests, with the wall clock moved
  MOTCUA_STREAM_SEEDS=1 faketime -f "$1" cargo test --workspace --locked --lib --tests
}
job today cargo test --workspace --locked -- --skip dvcqg_streams:: &
job streams cargo test --workspace --locked --lib --tests -- dvcqg_streams:: &
job plus-400d shifted +400d &
job minus-30d shifted -30d &
job smoke env BUILD=debug VENV="$venv" infra/scripts/lambda-smoke.sh &
wait
failed=""
for name in "${jobs[@]}"; do
  read -r rc secs <"$logs/$name.rc"
  printf '\n==> %s: exit %s after %ss (%s)\n' "$name" "$rc" "$secs" "$logs/$name.log"
  cat "$logs/$name.log"
  [ "$rc" = 0 ] || failed="$failed $name"
done
if [ -n "$failed" ]; then
  echo "failed:$failed (logs in $logs/)" >&2
  exit 1
fi

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - started ))"
