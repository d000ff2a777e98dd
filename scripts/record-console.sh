#!/usr/bin/env bash
# Records sample-traces/console.*.jsonl: the demo server (same endpoints and load as
# examples/demo_server.rs) under console-subscriber's recorder, and sample-traces/joined.*: a
# recording together with tracing-subscriber logs of the same run (JSON, every poll; JSON,
# CLOSE only), requests kept in unnamed connection tasks, for `stallscope analyze LOG REC`.
# Needs only cargo; the demo is built with --cfg tokio_unstable in its own target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-console-demo.sh
bin=target/console-demo/release/console-demo
gz_if_big() {
    if [ "$(stat -c %s "$1")" -gt 1000000 ]; then
        gzip -9 -n -f "$1"
    fi
}
for mode in patterns incident; do
    out="sample-traces/console.$mode.jsonl"
    "$bin" "$out" --mode "$mode" --log-format none
    gz_if_big "$out"
    prefix="sample-traces/joined.$mode"
    "$bin" "$prefix.console.jsonl" --mode "$mode" --log-format none --paired-log "$prefix" --unnamed-tasks
    for f in "$prefix.console.jsonl" "$prefix.json-full.log" "$prefix.json-close.log"; do
        gz_if_big "$f"
    done
done
ls -l sample-traces/console.* sample-traces/joined.*
