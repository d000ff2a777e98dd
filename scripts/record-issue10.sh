#!/usr/bin/env bash
# Records the samples of issue 10 (sample-traces/README.md says what each holds): tokio's own task
# spans, NEW|CLOSE with thread ids, tower-http's TraceLayer, and a handler that awaits a short
# query before its CPU work. Needs only cargo. Usage: scripts/record-issue10.sh [NAME...] (only
# the files whose names contain one of NAMEs; all by default).
#
# The task-span recordings need tokio built with `--cfg tokio_unstable` and its `tracing`
# feature: that build goes to target/demo-unstable, so the project's own builds are not
# invalidated by the different RUSTFLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example demo_server
RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/demo-unstable \
    cargo build --release --example demo_server --features tokio/tracing
bin=target/release/examples/demo_server
unstable=target/demo-unstable/release/examples/demo_server
out=sample-traces
mkdir -p "$out"

# Timings are the point of these recordings (see scripts/record-samples.sh): wait for a quiet
# machine, and tell the machine's other cargo runs to wait meanwhile (/work/RECORDING, when
# /work exists; removed after each recording and on any exit).
source scripts/quiet.sh
flag=/work/RECORDING
[ -d /work ] || flag=""
trap '[ -z "$flag" ] || rm -f "$flag"' EXIT

record() { # binary file demo-args...
    local exe=$1 file=$2
    shift 2
    if [ -n "$ONLY" ] && ! grep -qE "$ONLY" <<<"$file"; then
        return 0
    fi
    rm -f "$out/$file" "$out/$file.gz"
    # Flag first, so that no new build starts while the machine quiets down.
    [ -z "$flag" ] || touch "$flag"
    quiet record-issue10
    # At high priority where allowed (root): other work on the machine then barely stretches
    # the demo's polls.
    if nice -n -15 true 2>/dev/null; then
        nice -n -15 "$exe" "$@" --out "$out/$file"
    else
        "$exe" "$@" --out "$out/$file"
    fi
    [ -z "$flag" ] || rm -f "$flag"
    if [ "$(stat -c %s "$out/$file")" -gt 1000000 ]; then
        gzip -9 -n -f "$out/$file"
    fi
}
ONLY=$(IFS='|'; echo "$*")

# tokio's task spans (issue 10, item 5): patterns load.
record "$unstable" tasks.chrome-threaded.json --mode patterns --task-spans --log-format chrome-threaded
record "$unstable" tasks.chrome-async.json    --mode patterns --task-spans --log-format chrome-async
record "$unstable" tasks.json-full.log        --mode patterns --task-spans --log-format json-full
record "$unstable" tasks.json-newclose.log    --mode patterns --task-spans --log-format json-newclose
# NEW|CLOSE with thread ids (item 3): patterns load, no task spans.
record "$bin" patterns.json-newclose.log --mode patterns --log-format json-newclose
record "$bin" patterns.text-newclose.log --mode patterns --log-format text-newclose
# tower-http's TraceLayer (item 7): incident load, `/orders/{id}` with a random id per request.
record "$bin" towerhttp.json-close.log  --mode incident --serve tower-http --log-format json-close
record "$bin" towerhttp.text-events.log --mode incident --serve tower-http --log-format text-events
# A handler that awaits a 5 ms query, then computes ~100 ms inline (item 1): incident load.
record "$bin" mixed.json-full.log  --mode incident --report-awaits-query 5 --log-format json-full
record "$bin" mixed.json-close.log --mode incident --report-awaits-query 5 --log-format json-close
ls -l "$out"
