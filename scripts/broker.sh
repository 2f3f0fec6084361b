#!/usr/bin/env bash
# The development broker: nisshi 0.7.0, a Kafka-compatible broker in Rust.
#   scripts/broker.sh install          build it once into the cache (15-30 min on 2 cores); skipped when present
#   scripts/broker.sh start [PORT]     start it on 127.0.0.1:PORT (default 19092), in-memory storage; prints the PID
#   scripts/broker.sh stop             stop the broker this script started
# Any Kafka broker works in production; nisshi is what the tests run against.
set -euo pipefail

CACHE="${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
ROOT="$CACHE/nisshi-0.7.0"
BIN="$ROOT/bin/nisshi"
STATE="${SLUICE_BROKER_STATE:-$CACHE/broker}"

case "${1:-}" in
  install)
    if [ -x "$BIN" ]; then
      echo "nisshi already installed at $BIN"
      exit 0
    fi
    mkdir -p "$CACHE"
    cargo install nisshi --version 0.7.0 --locked --ignore-rust-version --features dynostore,libsql --root "$ROOT"
    ;;
  start)
    port="${2:-19092}"
    [ -x "$BIN" ] || { echo "error: nisshi is not installed; run: scripts/broker.sh install" >&2; exit 2; }
    mkdir -p "$STATE"
    cd "$STATE"
    # Started directly (no subshell), so $! is the broker's own PID.
    nohup "$BIN" broker --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://nisshi/ \
        > "$STATE/broker.log" 2>&1 &
    echo $! > "$STATE/broker.pid"
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "broker listening on 127.0.0.1:$port (pid $(cat "$STATE/broker.pid"))"
        exit 0
      fi
      sleep 0.1
    done
    echo "error: the broker did not start; see $STATE/broker.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$STATE/broker.pid" ]; then
      pid=$(cat "$STATE/broker.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      rm -f "$STATE/broker.pid"
      echo "broker stopped (pid $pid)"
    fi
    ;;
  *)
    echo "usage: scripts/broker.sh install | start [PORT] | stop" >&2
    exit 2
    ;;
esac
