#!/usr/bin/env bash
# Webhook acknowledgement latency under load from a second process on loopback: the release
# local server, wrk posting a correctly signed user_send_text body (the same body: each request
# is verified and queued; the conversation de-duplicates it later).
#   infra/scripts/bench-webhook.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
conns="${2:-32}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --profile local -p local -q
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./target/local/local --listen "127.0.0.1:$port" --data-dir "$data" --seed-demo >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
python3 - "$data" > "$data/post.lua" <<'PY'
import hashlib, json, sys, time
# dated now: the webhook refuses signed bodies older than Zalo's retries (2 h 30 min)
ts = str(int(time.time() * 1000))
secret = json.load(open(f"{sys.argv[1]}/secrets.json"))["tenants"]["tuyen-quang"]["zalo_oa_secret_key"]
body = json.dumps({"app_id": "1234567890123456789", "sender": {"id": "7001234567890123456"},
    "recipient": {"id": "0000000000000000001"}, "event_name": "user_send_text",
    "message": {"text": "TTHC 000.00.04.H60-261110-0028", "msg_id": "bench-1"}, "timestamp": ts},
    ensure_ascii=False, separators=(",", ":"))
mac = hashlib.sha256(("1234567890123456789" + body + ts + secret).encode()).hexdigest()
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print(f'wrk.headers["X-ZEvent-Signature"] = "mac={mac}"')
print(f"wrk.body = {json.dumps(body, ensure_ascii=False)}")
PY
echo "== POST /zalo/webhook (signed), 2 threads, $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$data/post.lua" "http://127.0.0.1:$port/zalo/webhook" | grep -E "Requests/sec|Latency|50%|99%|requests in|Non-2xx"
echo "peak RSS of the server: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
