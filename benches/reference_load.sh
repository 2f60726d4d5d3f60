#!/usr/bin/env bash
# Reference server under load (issue 2): requests/s and latency of
# GET /v1/operations/{id} and of :cancel replays (same Idempotency-Key),
# measured with wrk on loopback. Starts the server, creates a fixture, runs
# wrk twice, stops the server. Figures go in benches/README.md.
#
# Usage: benches/reference_load.sh            (defaults: 2 threads, 64 connections, 10 s)
#        DURATION=30s CONNS=128 benches/reference_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ADDR=${ADDR:-127.0.0.1:18080}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
TOKEN=sk_akua_test_alpha

case "$ADDR" in
  127.*|localhost:*) ;;
  *) echo "refusing to load-test a non-loopback address: $ADDR" >&2; exit 2 ;;
esac
if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is missing: apt-get update && apt-get install -y wrk" >&2
  exit 2
fi

cargo build --release --quiet
target/release/opconform serve --addr "$ADDR" >/dev/null &
SERVER=$!
trap 'kill -INT "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADDR/v1/operations" && break
  sleep 0.05
done

ID=$(curl -s -X POST "http://$ADDR/__fixtures/operations" \
  -H "Authorization: Bearer $TOKEN" -d '{"state":"running"}' \
  | sed -E 's/^\{"id":"([^"]+)".*/\1/')
echo "fixture: $ID"

echo "== GET /v1/operations/{id}"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
  -H "Authorization: Bearer $TOKEN" "http://$ADDR/v1/operations/$ID"

echo "== POST /v1/operations/{id}:cancel replays (one Idempotency-Key)"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
  -s benches/cancel_replay.lua "http://$ADDR/v1/operations/$ID:cancel"

echo "== machine"
echo "nproc: $(nproc)"
lscpu | grep 'Model name' || true
