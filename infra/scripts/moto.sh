#!/usr/bin/env bash
# Starts or stops moto server on a free loopback port.
#   infra/scripts/moto.sh start   -> prints "http://127.0.0.1:PORT" once moto answers
#   infra/scripts/moto.sh stop    -> stops the server started by this checkout
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state="$root/target/moto"
mkdir -p "$state"
case "${1:-}" in
  start)
    venv=$("$root/infra/scripts/python-tools.sh")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # moto server with DynamoDB requests applied one at a time, as DynamoDB applies the writes
    # to an item (infra/scripts/moto_serial.py)
    "$venv/bin/python" "$root/infra/scripts/moto_serial.py" -H 127.0.0.1 -p "$port" \
      >"$state/moto.log" 2>&1 &
    echo $! >"$state/pid"
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      sleep 0.2
    done
    echo "moto did not answer on port $port; log:" >&2
    cat "$state/moto.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$state/pid" ]; then
      kill "$(cat "$state/pid")" 2>/dev/null || true
      rm -f "$state/pid"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
