#!/usr/bin/env bash
# Lookup load test from a second process on loopback: starts the release local server on a free
# port with the demo data (the per-address limit raised, since all load comes from 127.0.0.1),
# runs wrk against the JSON API and the HTML page, and stops the server.
#   infra/scripts/bench-lookup.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --profile local -p local -q
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./target/local/local --listen "127.0.0.1:$port" --data-dir "$data" --seed-demo --lookups-per-minute 100000000 >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
code=000.00.04.H60-261110-0028
echo "== JSON API: GET /api/v1/dossiers/$code (2 threads, 32 connections, ${secs}s)"
wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port/api/v1/dossiers/$code" | grep -E "Requests/sec|Latency|50%|99%|requests in"
echo "== HTML page: GET /tra-cuu/$code"
wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port/tra-cuu/$code" | grep -E "Requests/sec|Latency|50%|99%|requests in"
echo "peak RSS of the server: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
