#!/usr/bin/env bash
# Wall time and peak memory of `stallscope analyze --format json` on one pretty-printed OTLP/JSON
# document (`gen_otlp --pretty`: the spans of scripts/bench-otel.sh in one
# ExportTraceServiceRequest, `jq .`-style), as a file and on stdin from a pipe.
#   scripts/bench-otel-pretty.sh [MB] [BINARY]   (default 300, target/release/stallscope)
# BINARY: another build to measure on the same input (a copy of an older release binary).
# MB/s = file size (2^20 bytes) / wall time. The file is generated once into
# target/bench-otel-pretty-MB.json and kept for the next run (delete it to regenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-300}"
bin="${2:-target/release/stallscope}"
cargo build --release --quiet
cargo build --release --quiet --features testgen --example gen_otlp
input="target/bench-otel-pretty-${mb}.json"
[ -f "$input" ] || target/release/examples/gen_otlp --pretty "$input" "$mb" 42
size=$(stat -c %s "$input")
echo "input: $input, $size bytes, $(wc -l < "$input") lines; binary: $bin"
times="$(mktemp)"
trap 'rm -f "$times"' EXIT
/usr/bin/time -o "$times" -f "%e %M" "$bin" analyze --format json "$input" >/dev/null
read -r wall rss < "$times"
awk -v s="$size" -v w="$wall" -v r="$rss" \
    'BEGIN { printf "file:  %.2f s wall, %.0f MB/s, %.0f MB peak RSS\n", w, s / 1048576 / w, r / 1024 }'
# The pipeline's peak is the reader's: `cat` holds a few pages.
/usr/bin/time -o "$times" -f "%e %M" sh -c "cat '$input' | '$bin' analyze --format json - >/dev/null"
read -r wall rss < "$times"
awk -v s="$size" -v w="$wall" -v r="$rss" \
    'BEGIN { printf "stdin: %.2f s wall, %.0f MB/s, %.0f MB peak RSS\n", w, s / 1048576 / w, r / 1024 }'
