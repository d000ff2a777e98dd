#!/usr/bin/env bash
# Records the demo server's `incident` mode once per tracing-subscriber text formatter, option and
# timer into tests/data/formats/demo/ (see its README.md). Needs only cargo. `incident` runs a
# fixed ~5 s of /orders traffic with a 2 s burst of /report requests (the demo has no shorter
# setting for this mode; DEMO_SECONDS applies to the page modes only). Timings differ from run to
# run: after re-recording, re-read the figures in tests/data/formats/demo/README.md (the tests
# compute their request counts from the files themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example demo_server
bin=target/release/examples/demo_server
out=tests/data/formats/demo
mkdir -p "$out"

# Other CPU work on the machine stretches /report's polls and pauses /orders: wait up to 2 minutes
# for the CPUs to be at most 25 % busy over one second, then go on anyway.
source scripts/quiet.sh

formats=(
    compact-close compact-full
    pretty-close pretty-full
    text-notarget text-fileline text-threads-close
    text-uptime text-notime text-systime text-datespace text-timeofday text-monthday
)
for f in "${formats[@]}"; do
    file="$out/incident.$f.log"
    rm -f "$file" "$file.gz"
    quiet record-formats
    "$bin" --mode incident --log-format "$f" --out "$file" >/dev/null
    if [ "$(stat -c %s "$file")" -gt 300000 ]; then
        gzip -9 -n -f "$file"
    fi
done
ls -l "$out"
du -ch "$out"/incident.* | tail -1
