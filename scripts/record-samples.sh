#!/usr/bin/env bash
# Re-records sample-traces/ from the demo server (examples/demo_server.rs). Needs only cargo.
# Each run takes 5-10 s of real traffic on 127.0.0.1; timings differ from run to run, so the
# figures in sample-traces/README.md and tests/integration/samples.rs must be re-checked after re-recording.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example demo_server
bin=target/release/examples/demo_server
out=sample-traces
mkdir -p "$out"

# Timings are the point of these recordings: other CPU work on this 2-core machine (a cargo build,
# a test run) stretches /report's polls and can put 10-20 ms pauses on /thumbnail's workers.
# Wait up to 2 minutes for the CPUs to be at most 25 % busy over one second, then go on anyway.
source scripts/quiet.sh

record() { # mode format file
    rm -f "$out/$3" "$out/$3.gz"
    quiet record-samples
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
