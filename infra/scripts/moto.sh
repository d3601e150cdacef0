#!/usr/bin/env bash
# Starts or stops moto server on a free loopback port.
#   infra/scripts/moto.sh start [NAME] -> prints "http://127.0.0.1:PORT" once moto answers
#   infra/scripts/moto.sh stop [NAME]  -> stops that server, or every one this checkout started
# NAME (default "moto") tells apart servers running at once: infra/test.sh gives each of its
# three suite passes its own, since one moto applies DynamoDB requests one at a time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state="$root/target/moto"
mkdir -p "$state"
name=${2:-moto}
case "$name" in
  *[!a-z0-9-]*) echo "moto.sh: a name is lower-case letters, digits and '-': $name" >&2; exit 2 ;;
esac
case "${1:-}" in
  start)
    venv=$("$root/infra/scripts/python-tools.sh")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # moto server with DynamoDB requests applied one at a time, as DynamoDB applies the writes
    # to an item (infra/scripts/moto_serial.py)
    "$venv/bin/python" "$root/infra/scripts/moto_serial.py" -H 127.0.0.1 -p "$port" \
      >"$state/$name.log" 2>&1 &
    echo $! >"$state/$name.pid"
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      sleep 0.2
    done
    echo "moto did not answer on port $port; log:" >&2
    cat "$state/$name.log" >&2
    exit 1
    ;;
  stop)
    if [ -n "${2:-}" ]; then pids=("$state/$name.pid"); else pids=("$state"/*.pid); fi
    for pid in "${pids[@]}"; do
      if [ -f "$pid" ]; then
        kill "$(cat "$pid")" 2>/dev/null || true
        rm -f "$pid"
      fi
    done
    ;;
  *)
    echo "usage: $0 start|stop [NAME]" >&2
    exit 2
    ;;
esac
