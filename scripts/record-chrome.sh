#!/usr/bin/env bash
# Records the two DevTools traces in sample-traces/: headless Chromium loading the demo server's
# page (whose largest image comes from a handler doing ~100 ms of CPU inline), once with the
# server idle and once during a burst of CPU-inline requests. Installs what it needs: Debian's
# chromium and PyPI's websocket-client.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
python3 -c 'import websocket' 2>/dev/null || pip install -q websocket-client
cargo build --release --example demo_server
server=target/release/examples/demo_server
port=8931
devtools=9233

record() { # mode out
    DEMO_SECONDS=20 "$server" --mode "$1" --port "$port" --log-format json-close --out /dev/null &
    local spid=$!
    sleep 1.5  # calibration, then listening; in page-burst the burst is under way
    local profile
    profile=$(mktemp -d)
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --remote-debugging-port="$devtools" about:blank >/dev/null 2>&1 &
    local cpid=$!
    python3 scripts/cdp_trace.py "$devtools" "http://127.0.0.1:$port/" "sample-traces/$2"
    kill "$cpid" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    rm -rf "$profile"
}

record page        devtools.page-idle.json.gz
record page-burst  devtools.page-burst.json.gz
ls -l sample-traces/devtools.*
