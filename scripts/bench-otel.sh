#!/usr/bin/env bash
# Throughput and peak memory of `stallscope analyze` on generated OTLP/JSON lines (the
# Collector's file exporter shape, `src/testgen/otlp.rs`), next to `wc -l` on the same file.
#   scripts/bench-otel.sh [MB]     (default 200)
# MB/s = file size / wall time of `stallscope analyze` (one thread: the reader is single-threaded).
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-200}"
cargo build --release --quiet
cargo build --release --quiet --features testgen --example gen_otlp
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
input="$dir/bench-${mb}.jsonl"
target/release/examples/gen_otlp "$input" "$mb" 42
size=$(stat -c %s "$input")
echo "input: $input, $size bytes"
for cmd in "wc -l $input" "target/release/stallscope analyze $input"; do
    /usr/bin/time -f "%e s wall, %U s user, %M KB peak RSS: $cmd" $cmd >/dev/null
done 2>&1 | tee "$dir/times"
wall=$(grep 'stallscope analyze' "$dir/times" | awk '{print $1}')
awk -v s="$size" -v w="$wall" 'BEGIN { printf "analyze: %.0f MB/s (MB = 2^20 bytes)\n", s / 1048576 / w }'
