#!/usr/bin/env bash
# Checks that every Lambda binary starts and answers one events/ fixture through a stub Lambda
# Runtime API (lambda-startup.py), with its configuration read from moto's SSM and Secrets
# Manager as on AWS, and again with the clock 400 days ahead. Prints size and start-up time per
# function. Needs AWS_ENDPOINT_URL (moto) and the project venv (cargo-lambda).
#
# BUILD=debug (the test command): the dev-profile binaries, built in seconds once `cargo test`
#   has built the workspace. Checks the wiring: configuration, store, queues, routing, clocks.
# BUILD=release (the default; before a deployment and for BENCHMARKS.md): what `sam build`
#   deploys, `cargo lambda build --release` (12-16 min on 2 cores), and every bootstrap must be
#   at most 12 MB (they measure 8.4-10.8 MB; the target is 10 MB, see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${VENV:?set VENV to the project venv}
export PATH="$venv/bin:$PATH"
build=${BUILD:-release}
functions=(notifier webhook lookup qr due-watch token-refresher admin)
max_bytes=$((12 * 1000 * 1000))

case "$build" in
  debug)
    # --workspace --tests resolves features exactly as `cargo test --workspace` did, so only the
    # binaries it did not need are linked (per-package features would rebuild the SDK crates)
    cargo build --locked --workspace --bins --tests
    bootstrap() { echo "target/debug/$1"; } ;;
  release)
    cargo lambda build --release --locked $(printf -- '-p %s ' "${functions[@]}")
    bootstrap() { echo "target/lambda/$1/bootstrap"; }
    for f in "${functions[@]}"; do
      size=$(stat -c %s "$(bootstrap "$f")")
      if [ "$size" -gt "$max_bytes" ]; then
        echo "$f: bootstrap is $size bytes, over the 12 MB budget" >&2
        exit 1
      fi
    done ;;
  *) echo "BUILD must be debug or release" >&2; exit 2 ;;
esac

q="{queue}" d="{dlq}"   # a fresh queue pair on moto per run (lambda-startup.py)
# `$clock_shift` runs the bootstrap under faketime: every function must answer the same with the
# clock moved (its decisions come from the clock, never from the fixtures' dates).
smoke() {
  ${clock_shift:+faketime -f "$clock_shift"} "$venv/bin/python" infra/scripts/lambda-startup.py \
    "$(bootstrap "$1")" "$2" "${@:3}"
}
smoke_all() {
  smoke notifier events/notifier/sqs-batch-with-poison.json INBOUND_QUEUE_URL=$q INBOUND_DLQ_URL=$d \
    OUTBOUND_QUEUE_URL=$q OUTBOUND_DLQ_URL=$d
  smoke webhook events/webhook/apigw-get-check.json ZALO_EVENTS_QUEUE_URL=$q ZALO_EVENTS_DLQ_URL=$d
  smoke webhook events/webhook/sqs-empty-batch.json MOTCUA_ROLE=events ZALO_EVENTS_QUEUE_URL=$q \
    ZALO_EVENTS_DLQ_URL=$d OUTBOUND_QUEUE_URL=$q OUTBOUND_DLQ_URL=$d
  smoke lookup events/lookup/apigw-openapi.json
  smoke qr events/qr/apigw-receipt-svg-iam.json MOTCUA_QR_AUTH=iam
  smoke due-watch events/due-watch/scheduled.json OUTBOUND_QUEUE_URL=$q OUTBOUND_DLQ_URL=$d \
    ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d
  smoke due-watch events/due-watch/sweep.json OUTBOUND_QUEUE_URL=$q OUTBOUND_DLQ_URL=$d \
    ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d
  smoke due-watch events/due-watch/announcements.json OUTBOUND_QUEUE_URL=$q OUTBOUND_DLQ_URL=$d \
    ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d
  smoke token-refresher events/token-refresher/scheduled.json
  smoke admin events/admin/apigw-me-jwt.json ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d
  smoke admin events/admin/sqs-announcement-job.json MOTCUA_ROLE=announcer \
    ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d INBOUND_QUEUE_URL=$q INBOUND_DLQ_URL=$d
}
clock_shift="" smoke_all
echo "== the same with the clock 400 days ahead (faketime -f +400d)"
clock_shift="+400d" smoke_all
