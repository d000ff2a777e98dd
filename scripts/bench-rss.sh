#!/usr/bin/env bash
# Peak memory and wall time of `stallscope analyze` on a generated input, next to `wc -l` on the
# same file (a floor for reading it at all), in one run.
#   scripts/bench-rss.sh [MB] [log|console]     (default 200 log)
# log: a tracing JSON log; console: a console-subscriber recording (~5.5 KB per task).
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-200}"
kind="${2:-log}"
cargo build --release --quiet
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
case "$kind" in
log)
    cargo build --release --quiet --features testgen --example gen_tracing_log
    input="$dir/bench-${mb}.log"
    target/release/examples/gen_tracing_log "$input" "$mb" 42
    ;;
console)
    cargo build --release --quiet --features testgen --example gen_console_recording
    input="$dir/bench-${mb}.jsonl"
    target/release/examples/gen_console_recording "$input" $((mb * 190)) 7
    ;;
*)
    echo "usage: scripts/bench-rss.sh [MB] [log|console]" >&2
    exit 2
    ;;
esac
size=$(stat -c %s "$input")
echo "input: $input, $size bytes"
for cmd in "wc -l $input" "target/release/stallscope analyze $input"; do
    /usr/bin/time -f "%e s wall, %M KB peak RSS: $cmd" $cmd >/dev/null
done
