#!/usr/bin/env bash
# Re-records sample-traces/ from the demo server (examples/demo_server.rs). Needs only cargo.
# Each run takes 5-10 s of real traffic on 127.0.0.1; timings differ from run to run, so the
# figures in sample-traces/README.md and tests/samples.rs must be re-checked after re-recording.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example demo_server
bin=target/release/examples/demo_server
out=sample-traces
mkdir -p "$out"

record() { # mode format file
    "$bin" --mode "$1" --log-format "$2" --out "$out/$3"
    if [ "$(stat -c %s "$out/$3")" -gt 1000000 ]; then
        gzip -9 -n -f "$out/$3"
    fi
}

record patterns json-full   patterns.json-full.log
record patterns json-close  patterns.json-close.log
record patterns text        patterns.text.log
record patterns text-full   patterns.text-full.log
record incident json-full   incident.json-full.log
record incident json-close  incident.json-close.log
record incident text        incident.text.log
record incident text-ansi   incident.text-ansi.log
record patterns chrome-threaded patterns.chrome-threaded.json
record incident chrome-async    incident.chrome-async.json
ls -l "$out"
