#!/usr/bin/env bash
# Builds every Lambda with cargo-lambda (release, x86_64) and checks that each bootstrap starts
# and answers one events/ fixture through a stub Lambda Runtime API (lambda-startup.py), with its
# configuration read from moto's SSM and Secrets Manager as on AWS. Prints size and start-up time
# per function. Needs AWS_ENDPOINT_URL (moto) and the project venv (cargo-lambda).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${VENV:?set VENV to the project venv}
export PATH="$venv/bin:$PATH"

cargo lambda build --release --locked \
  -p notifier -p webhook -p lookup -p qr -p due-watch -p token-refresher -p admin

q="{queue}" d="{dlq}"   # a fresh queue pair on moto per run (lambda-startup.py)
# `$clock_shift` runs the bootstrap under faketime: every function must answer the same with the
# clock moved (its decisions come from the clock, never from the fixtures' dates).
smoke() {
  ${clock_shift:+faketime -f "$clock_shift"} "$venv/bin/python" infra/scripts/lambda-startup.py \
    "target/lambda/$1/bootstrap" "$2" "${@:3}"
}
smoke_all() {
  smoke notifier events/notifier/sqs-batch-with-poison.json INBOUND_QUEUE_URL=$q INBOUND_DLQ_URL=$d
  smoke webhook events/webhook/apigw-get-check.json ZALO_EVENTS_QUEUE_URL=$q ZALO_EVENTS_DLQ_URL=$d
  smoke webhook events/webhook/sqs-empty-batch.json MOTCUA_ROLE=events ZALO_EVENTS_QUEUE_URL=$q \
    ZALO_EVENTS_DLQ_URL=$d OUTBOUND_QUEUE_URL=$q OUTBOUND_DLQ_URL=$d
  smoke lookup events/lookup/apigw-openapi.json
  smoke qr events/qr/apigw-receipt-svg-iam.json MOTCUA_QR_AUTH=iam
  smoke due-watch events/due-watch/scheduled.json
  smoke token-refresher events/token-refresher/scheduled.json
  smoke admin events/admin/apigw-me-jwt.json ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d
  smoke admin events/admin/sqs-announcement-job.json MOTCUA_ROLE=announcer \
    ANNOUNCEMENTS_QUEUE_URL=$q ANNOUNCEMENTS_DLQ_URL=$d
}
clock_shift="" smoke_all
echo "== the same with the clock 400 days ahead (faketime -f +400d)"
clock_shift="+400d" smoke_all
