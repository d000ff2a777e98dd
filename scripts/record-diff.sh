#!/usr/bin/env bash
# Records the two sample traces `stallscope diff` is tested on (sample-traces/diff.*.json-full.log):
# the demo's incident run with /report's CPU work inline on the worker (before), and the same run
# with it moved to spawn_blocking (--offload-report, after). Timings differ from run to run: re-check
# the figures in sample-traces/README.md and tests/integration/diff.rs after re-recording.
set -euo pipefail
cd "$(dirname "$0")/.."
# PROFILE=debug records from a debug build (quicker to build; /report's CPU work is calibrated to
# ~100 ms either way). The committed recordings say which was used in sample-traces/README.md.
profile=${PROFILE:-release}
if [ "$profile" = release ]; then cargo build --release --example demo_server; else cargo build --example demo_server; fi
bin=target/$profile/examples/demo_server
out=sample-traces
source scripts/quiet.sh

# On the shared build machine, builds wait while /work/RECORDING exists: it is made for each
# recording and removed right after (also on failure or interrupt). Another recording holding it
# is waited for (up to 10 minutes), and only a marker made here is removed.
marker=/work/RECORDING
mine=0
can_mark() { [ -d "$(dirname "$marker")" ] && [ -w "$(dirname "$marker")" ]; }
unmark() { if [ "$mine" = 1 ]; then rm -f "$marker"; mine=0; fi; }
mark() {
    can_mark || return 0
    local i
    for i in $(seq 1 300); do [ -e "$marker" ] || break; sleep 2; done
    touch "$marker"; mine=1
}
trap unmark EXIT

record() { # file extra-flags...
    local file=$1; shift
    rm -f "$out/$file" "$out/$file.gz"
    mark
    quiet record-diff
    "$bin" --mode incident --log-format json-full --out "$out/$file" "$@"
    unmark
    if [ "$(stat -c %s "$out/$file")" -gt 1000000 ]; then
        gzip -9 -n -f "$out/$file"
    fi
}

record diff.before.json-full.log
record diff.after.json-full.log --offload-report
ls -l "$out"/diff.*
