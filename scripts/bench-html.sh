#!/usr/bin/env bash
# Size, peak memory and time of `stallscope analyze --format html` on generated big inputs: a
# tracing JSON log (gen_tracing_log) and, when python3 and ../shared/tools/gen_chrome_trace.py
# are there, a Chrome trace. Fails when a page is 5 MB or more (issue 15: a 200 MB trace must
# give a report under 5 MB).
#   scripts/bench-html.sh [MB]      (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-200}"
cargo build --release --quiet --features testgen --bins --example gen_tracing_log
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
target/release/examples/gen_tracing_log "$dir/big.log" "$mb" 42
inputs=("$dir/big.log")
gen=../shared/tools/gen_chrome_trace.py
if command -v python3 >/dev/null && [ -f "$gen" ]; then
    # About 306 bytes an event.
    python3 "$gen" "$dir/big-chrome.json" $((mb * 3400)) 7 >/dev/null
    inputs+=("$dir/big-chrome.json")
else
    echo "no python3 or $gen: the Chrome trace is left out" >&2
fi
status=0
for input in "${inputs[@]}"; do
    echo "input: $(basename "$input"), $(stat -c %s "$input") bytes"
    /usr/bin/time -f "  %e s wall, %U s user, %M KB peak RSS" \
        target/release/stallscope analyze --format html -o "$input.html" "$input"
    size=$(stat -c %s "$input.html")
    echo "  page: $size bytes"
    grep -o '<p class="sampled">[^<]*' "$input.html" | sed 's/<p class="sampled">/  sampled: /' || true
    if [ "$size" -ge $((5 << 20)) ]; then
        echo "  FAIL: the page is 5 MB or more" >&2
        status=1
    fi
done
exit $status
