#!/usr/bin/env bash
# `opconform audit` on large input: ~1 GiB of JSON Lines and ~1 GiB of HAR,
# generated in a temp dir (never in git), each audited in its own process
# under /usr/bin/time -v; then a file with a 2 GiB line. Targets (issue):
# >= 50,000 exchanges/s and peak RSS <= 200 MiB. Exits 1 when one is missed.
#
#   benches/audit.sh                 # SIZE=BYTES to vary (default 1 GiB), RUNS=N (default 3; the median is reported)
set -euo pipefail
SIZE=${SIZE:-1073741824}
cd "$(dirname "$0")/.."
cargo build --release --example audit_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/audit_bench
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

"$BIN" gen-jsonl "$DIR/traffic.jsonl" "$SIZE"
"$BIN" gen-har "$DIR/traffic.har" "$SIZE"
ls -l "$DIR"

missed=0
RUNS=${RUNS:-3}
audit() { # FILE: audits it RUNS times, prints each run and the median, checks the targets
  local rates=() rsss=()
  for i in $(seq "$RUNS"); do
    /usr/bin/time -v "$BIN" audit "$1" > "$DIR/out.txt" 2> "$DIR/time.txt" || true
    cat "$DIR/out.txt"
    grep -E 'Elapsed \(wall|Maximum resident|Percent of CPU' "$DIR/time.txt"
    rates+=("$(grep -oE '[0-9]+ exchanges/s' "$DIR/out.txt" | grep -oE '^[0-9]+')")
    rsss+=("$(grep -oE 'Maximum resident set size \(kbytes\): [0-9]+' "$DIR/time.txt" | grep -oE '[0-9]+$')")
  done
  local rate rss_kib
  rate=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  rss_kib=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -1)
  echo "MEDIAN $(basename "$1"): ${rate} exchanges/s over $RUNS runs (${rates[*]}); peak RSS max $((rss_kib / 1024)) MiB; load: $(uptime | sed 's/.*load average: //')"
  if [ "${rate:-0}" -lt 50000 ]; then echo "MISSED: $rate exchanges/s < 50,000"; missed=1; fi
  if [ "${rss_kib:-999999999}" -gt $((200 * 1024)) ]; then echo "MISSED: peak RSS $rss_kib KiB > 200 MiB"; missed=1; fi
}
uptime
audit "$DIR/traffic.jsonl"
audit "$DIR/traffic.har"

# A 2 GiB line: a sparse file of NUL bytes (no newline in it), then a good
# line. The audit skips it with an error naming the line and reads on.
rm -f "$DIR/traffic.har"
truncate -s 2G "$DIR/long.jsonl"
printf '\n' >> "$DIR/long.jsonl"
head -n 1 "$DIR/traffic.jsonl" >> "$DIR/long.jsonl"
/usr/bin/time -v "$BIN" audit "$DIR/long.jsonl" > "$DIR/out.txt" 2> "$DIR/time.txt" || true
cat "$DIR/out.txt"
grep -E 'input error|Elapsed \(wall|Maximum resident' "$DIR/time.txt"
grep -q 'line 1: the line is 2147483648 bytes, over the 16 MiB limit of --max-line-bytes (skipped; raise the limit to read it)' "$DIR/time.txt" \
  || { echo "MISSED: no error for the 2 GiB line"; missed=1; }
grep -q 'audited 1 exchanges' "$DIR/out.txt" || { echo "MISSED: the line after it was not read"; missed=1; }
exit $missed
