#!/usr/bin/env bash
# Peak memory of `opconform serve` across a long fuzz session.
#
# Starts the release build of the reference server on loopback, runs
# `opconform fuzz` against it (CASES generated requests, default 1,000,000,
# fixtures created through the server's provider), samples the server's RSS
# every 10 s, and prints its peak (VmHWM from /proc/PID/status) at the end.
# Target: <= 128 MiB (131072 kB).
#
#   benches/serve_memory.sh                 # 1,000,000 requests
#   CASES=200000 PORT=18191 benches/serve_memory.sh
#   SERVE_ARGS="--max-operations 5000" benches/serve_memory.sh
#   SEED=42 benches/serve_memory.sh          # a fixed generator seed
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18190}
CASES=${CASES:-1000000}
SERVE_ARGS=${SERVE_ARGS:-}
SEED_ARGS=()
[ -n "${SEED:-}" ] && SEED_ARGS=(--seed "$SEED")
BIN=${CARGO_TARGET_DIR:-target}/release/opconform

cargo build --release --bin opconform
# shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
"$BIN" serve --addr "127.0.0.1:$PORT" $SERVE_ARGS >/dev/null &
SERVER=$!
SAMPLER=
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
    kill -INT "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/operations" && break
    sleep 0.1
done

rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER/status"; }
echo "serve pid $SERVER, start: VmRSS $(rss VmRSS) kB"
(
    start=$(date +%s)
    while sleep 10; do
        echo "  +$(( $(date +%s) - start )) s: VmRSS $(rss VmRSS) kB, VmHWM $(rss VmHWM) kB"
    done
) &
SAMPLER=$!

REGRESSIONS=$(mktemp)
set +e
"$BIN" fuzz \
    --target "http://127.0.0.1:$PORT/v1" \
    --fixtures "http://127.0.0.1:$PORT/__fixtures/operations" \
    --token sk_akua_test_alpha \
    --cases "$CASES" \
    "${SEED_ARGS[@]}" \
    --regressions "$REGRESSIONS"
FUZZ=$?
set -e
rm -f "$REGRESSIONS"
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=

peak=$(rss VmHWM)
echo "fuzz exit code: $FUZZ"
echo "serve peak RSS (VmHWM): $peak kB = $(( peak / 1024 )) MiB; now VmRSS $(rss VmRSS) kB"
if [ "$peak" -gt 131072 ]; then
    echo "over the 128 MiB target" >&2
    exit 1
fi
exit "$FUZZ"
