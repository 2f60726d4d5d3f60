#!/usr/bin/env bash
# Fuzz throughput vs a plain load generator (wrk) on the same reference
# server, on loopback, release build. Runs are interleaved (wrk, fuzz, wrk,
# fuzz, ...) so background load hits both alike; prints medians of RUNS.
#
#   benches/fuzz_vs_wrk.sh            # defaults: 20000 cases, 5 s wrk, 32 connections, 3 runs
#   CASES=50000 DURATION=10 CONC=64 RUNS=5 benches/fuzz_vs_wrk.sh
#
# Loads per run:
#   wrk GET 200   one GET /operations/{id} of a succeeded fixture (plain figure)
#   wrk mix       the fuzzer's own request mix: 1000 requests generated with
#                 the run's seed (`opconform fuzz --dump-requests`), replayed
#                 in a cycle by benches/fuzz_mix.lua (like-for-like figure)
#   fuzz served   `opconform fuzz --target` the same served reference
#   fuzz embedded `opconform fuzz` with its embedded reference (same process)
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-20000}
DURATION=${DURATION:-5}
CONC=${CONC:-32}
RUNS=${RUNS:-3}
PORT=${PORT:-18097}
TOKEN=sk_akua_test_alpha
BIN=target/release/opconform
MIX=$(mktemp)

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
cargo build --release --quiet

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fuzz_rate() { sed -n 's/.*generated in [0-9.]* s, \([0-9]*\) req\/s.*/\1/p'; }
wrk_rate() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'; }

echo "machine: $(nproc) cores; $(lscpu | sed -n 's/^Model name: *//p')"
echo "before: $(uptime)"

"$BIN" serve --addr "127.0.0.1:$PORT" --step-ms 1000 >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$MIX"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/operations" && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT/v1"
FIXTURES="http://127.0.0.1:$PORT/__fixtures/operations"
OP=$(curl -s -X POST "$FIXTURES" -H "authorization: Bearer $TOKEN" \
  -d '{"state":"succeeded"}' | sed -n 's/.*"id":"\(op_[a-z0-9]*\)".*/\1/p')

wrk_get=(); wrk_mix=(); fuzz_served=(); fuzz_embedded=()
for run in $(seq "$RUNS"); do
  wrk_get+=("$(wrk -t2 -c"$CONC" -d"${DURATION}s" -H "authorization: Bearer $TOKEN" "$BASE/operations/$OP" | wrk_rate)")
  "$BIN" fuzz --target "$BASE" --token "$TOKEN" --context ws_alpha --fixtures "$FIXTURES" \
    --cases 1000 --seed "$run" --dump-requests "$MIX" >/dev/null
  wrk_mix+=("$(REQUESTS=$MIX TOKEN=$TOKEN wrk -t2 -c"$CONC" -d"${DURATION}s" -s benches/fuzz_mix.lua \
    "http://127.0.0.1:$PORT" | wrk_rate)")
  fuzz_served+=("$(CI=1 "$BIN" fuzz --target "$BASE" --token "$TOKEN" --context ws_alpha \
    --fixtures "$FIXTURES" --cases "$CASES" --seed "$run" \
    --concurrency "$CONC" --no-regressions | fuzz_rate || true)")
  fuzz_embedded+=("$(CI=1 "$BIN" fuzz --cases "$CASES" --seed "$run" --concurrency "$CONC" --no-regressions | fuzz_rate || true)")
done
echo "after:  $(uptime)"

m_get=$(printf '%s\n' "${wrk_get[@]}" | median)
m_mix=$(printf '%s\n' "${wrk_mix[@]}" | median)
m_fs=$(printf '%s\n' "${fuzz_served[@]}" | median)
m_fe=$(printf '%s\n' "${fuzz_embedded[@]}" | median)
echo "wrk GET 200 (served):        ${wrk_get[*]}  -> median $m_get req/s"
echo "wrk fuzz mix (served):       ${wrk_mix[*]}  -> median $m_mix req/s"
echo "fuzz stateless (served):     ${fuzz_served[*]}  -> median $m_fs req/s"
echo "fuzz stateless (embedded):   ${fuzz_embedded[*]}  -> median $m_fe req/s"
awk -v w="$m_mix" -v f="$m_fs" 'BEGIN {printf "ratio wrk(mix) / fuzz(served):     %.2f (like for like)\n", w / f}'
awk -v w="$m_get" -v f="$m_fs" 'BEGIN {printf "ratio wrk(GET 200) / fuzz(served): %.2f\n", w / f}'
awk -v w="$m_get" -v f="$m_fe" 'BEGIN {printf "ratio wrk(GET 200) / fuzz(embedded): %.2f\n", w / f}'
