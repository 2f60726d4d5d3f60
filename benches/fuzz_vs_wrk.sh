#!/usr/bin/env bash
# Fuzz throughput vs a plain load generator (wrk) on the same reference
# server, on loopback, release build. Prints medians of 3 runs.
#
#   benches/fuzz_vs_wrk.sh            # defaults: 20000 cases, 5 s wrk, 32 connections
#   CASES=50000 DURATION=10 CONC=64 benches/fuzz_vs_wrk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CASES=${CASES:-20000}
DURATION=${DURATION:-5}
CONC=${CONC:-32}
PORT=${PORT:-18097}
TOKEN=sk_akua_test_alpha
BIN=target/release/opconform

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
cargo build --release --quiet

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fuzz_rate() { sed -n 's/.*generated in [0-9.]* s, \([0-9]*\) req\/s.*/\1/p'; }

echo "machine: $(nproc) cores; $(lscpu | sed -n 's/^Model name: *//p')"

"$BIN" serve --addr "127.0.0.1:$PORT" --step-ms 1000 >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/operations" && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT/v1"
OP=$(curl -s -X POST "http://127.0.0.1:$PORT/__fixtures/operations" -H "authorization: Bearer $TOKEN" \
  -d '{"state":"succeeded"}' | sed -n 's/.*"id":"\(op_[a-z0-9]*\)".*/\1/p')

wrk_get=(); wrk_404=(); fuzz_served=(); fuzz_embedded=()
for run in 1 2 3; do
  wrk_get+=("$(wrk -t2 -c"$CONC" -d"${DURATION}s" -H "authorization: Bearer $TOKEN" "$BASE/operations/$OP" \
    | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')")
  wrk_404+=("$(wrk -t2 -c"$CONC" -d"${DURATION}s" -H "authorization: Bearer $TOKEN" "$BASE/operations/op_opconform_missing" \
    | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')")
  fuzz_served+=("$(CI=1 "$BIN" fuzz --target "$BASE" --token "$TOKEN" --context ws_alpha \
    --fixtures "http://127.0.0.1:$PORT/__fixtures/operations" --cases "$CASES" --seed "$run" \
    --concurrency "$CONC" --no-regressions | fuzz_rate || true)")
  fuzz_embedded+=("$(CI=1 "$BIN" fuzz --cases "$CASES" --seed "$run" --concurrency "$CONC" --no-regressions | fuzz_rate || true)")
done

m_get=$(printf '%s\n' "${wrk_get[@]}" | median)
m_404=$(printf '%s\n' "${wrk_404[@]}" | median)
m_fs=$(printf '%s\n' "${fuzz_served[@]}" | median)
m_fe=$(printf '%s\n' "${fuzz_embedded[@]}" | median)
echo "wrk GET 200 (served):      ${wrk_get[*]}  -> median $m_get req/s"
echo "wrk GET 404 (served):      ${wrk_404[*]}  -> median $m_404 req/s"
echo "fuzz stateless (served):   ${fuzz_served[*]}  -> median $m_fs req/s"
echo "fuzz stateless (embedded): ${fuzz_embedded[*]}  -> median $m_fe req/s"
awk -v w="$m_get" -v f="$m_fs" 'BEGIN {printf "ratio wrk(GET 200) / fuzz(served): %.2f\n", w / f}'
