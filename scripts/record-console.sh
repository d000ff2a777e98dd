#!/usr/bin/env bash
# Records sample-traces/console.*.jsonl: the demo server (same endpoints and load as
# examples/demo_server.rs) under console-subscriber's recorder. Needs only cargo; the demo is
# built with --cfg tokio_unstable in its own target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-console-demo.sh
bin=target/console-demo/release/console-demo
for mode in patterns incident; do
    out="sample-traces/console.$mode.jsonl"
    "$bin" "$out" --mode "$mode" --log-format none
    if [ "$(stat -c %s "$out")" -gt 1000000 ]; then
        gzip -9 -n -f "$out"
    fi
done
ls -l sample-traces/console.*
