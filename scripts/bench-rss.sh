#!/usr/bin/env bash
# Peak memory and wall time of `stallscope analyze` on a generated tracing JSON log, next to
# `wc -l` on the same file (a floor for reading it at all), in one run.
#   scripts/bench-rss.sh [MB]     (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-200}"
cargo build --release --quiet --example gen_tracing_log
cargo build --release --quiet
log="$(mktemp -d)/bench-${mb}.log"
target/release/examples/gen_tracing_log "$log" "$mb" 42
size=$(stat -c %s "$log")
echo "input: $log, $size bytes"
for cmd in "wc -l $log" "target/release/stallscope analyze $log"; do
    /usr/bin/time -f "%e s wall, %M KB peak RSS: $cmd" $cmd >/dev/null
done
rm -f "$log"
