#!/usr/bin/env bash
# Multi-GB inputs, end to end: wall time and peak RSS of `stallscope analyze --format json` on a
# generated 2 GB tracing JSON log and a 2 GB Chrome trace, each as a file and on stdin from a
# pipe (`cat f | stallscope analyze -`). The inputs go to a temporary directory and are
# deleted at the end. Needs ~4.5 GB free there, python3, GNU time (/usr/bin/time).
#   scripts/bench-big.sh [MB] [DIR]     (default 2048, $TMPDIR or /tmp)
# Run it niced on a shared machine: `nice -n 10 scripts/bench-big.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-2048}"
gen_chrome="${GEN_CHROME:-../shared/tools/gen_chrome_trace.py}"
[ -x /usr/bin/time ] || { echo "bench-big.sh: needs GNU time at /usr/bin/time (apt install time)" >&2; exit 2; }
[ -f "$gen_chrome" ] || { echo "bench-big.sh: no $gen_chrome (set GEN_CHROME to gen_chrome_trace.py)" >&2; exit 2; }
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --quiet --features testgen \
    --bin stallscope --example gen_tracing_log
bin=target/release/stallscope
dir="$(mktemp -d "${2:-${TMPDIR:-/tmp}}/bench-big.XXXXXX")"
trap 'rm -rf "$dir"' EXIT

log="$dir/big.log"
target/release/examples/gen_tracing_log "$log" "$mb" 42 >/dev/null
# ~330,000 events per 100 MB.
trace="$dir/big.json"
python3 "$gen_chrome" "$trace" $((mb * 3300)) 7 >/dev/null

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sm)"
for input in "$log" "$trace"; do
    size=$(stat -c %s "$input")
    echo "== $(basename "$input"): $size bytes ($((size >> 20)) MiB)"
    /usr/bin/time -f "file:  %e s wall, %M KB peak RSS" \
        "$bin" analyze --format json "$input" >"$dir/out.json"
    echo "       $(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["inputs"][0]; print("format", i["format"], "events", i.get("events"), "requests", i.get("requests"))' "$dir/out.json")"
    # The time of the whole pipeline (cat too); the RSS is stallscope's.
    /usr/bin/time -f "stdin: %e s wall, %M KB peak RSS (stallscope; cat | in the wall time)" \
        sh -c "cat '$input' | '$bin' analyze --format json - >'$dir/out.json'"
done
