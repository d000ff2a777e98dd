#!/usr/bin/env bash
# Records sample-traces/har/. `django`: the example Django shop (examples/django/, under uvicorn, its spans
# to OTLP/JSON lines with thread attributes) serving its page (whose LCP image is
# /inventory/?as=png) to headless Chromium, once with the server idle and once while 4 clients
# keep requesting /leaderboard/ (~100 ms of Python on the event loop each). Each run saves, of
# one page load: NAME.har (Playwright's recordHar), NAME.devtools.json.gz (a DevTools Performance
# trace over CDP) and NAME.otlp.jsonl (the server's spans). `demo`: the Rust demo server
# (examples/demo_server.rs, --mode page and page-burst: its page's LCP image /chart does ~100 ms
# of CPU inline; page-burst runs 3 clients of /report, CPU inline too), its spans as a
# tracing-subscriber JSON log with every span event (demo-NAME.json-full.log). Arguments: which
# (django, demo); none: both. Needs python3 + PyPI (the venv of
# scripts/record-django.sh), node + npm's playwright-core (PLAYWRIGHT_CORE=its directory, else
# `npm install playwright-core` in a scratch directory and point at it) and Debian's chromium.
# RECORDING_FLAG=path: a file that exists while a recording runs (other jobs may wait on it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/target/django-venv
out=$root/sample-traces/har
app=$root/examples/django
app_port=18430 upstream_port=18431
flag=${RECORDING_FLAG:-}

command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$app/requirements.txt"
py=$venv/bin/python
mkdir -p "$out"

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -z "$flag" ] || rm -f "$flag"
}
trap cleanup EXIT

"$py" "$app/upstream.py" "$upstream_port" 80 &
pids+=($!)

wait_up() { # url
    local i
    for i in $(seq 1 100); do
        "$py" -c "import urllib.request as u,sys; u.urlopen(sys.argv[1], timeout=1)" "$1" \
            2>/dev/null && return 0
        sleep 0.1
    done
    echo "record-har: $1 did not answer" >&2
    return 1
}

# record NAME [BURST_PATH CLIENTS]
record() {
    local name=$1
    shift
    rm -f "$out/$name".*
    [ -z "$flag" ] || touch "$flag"
    (
        cd "$app"
        export TZ=UTC
        exec env OTLP_FILE="$out/$name.otlp.jsonl" SPAN_THREAD_ATTRS=1 \
            UPSTREAM_URL="http://127.0.0.1:$upstream_port/stock" \
            "$venv/bin/uvicorn" shopsite.asgi:application \
            --host 127.0.0.1 --port $app_port --no-access-log --log-level warning
    ) &
    local server_pid=$!
    pids+=($server_pid)
    wait_up "http://127.0.0.1:$app_port/inventory/"
    local burst=()
    [ $# -eq 0 ] || burst=("http://127.0.0.1:$app_port$1" "$2")
    node scripts/record-har.cjs "http://127.0.0.1:$app_port/" "$out/$name.har" \
        "$out/$name.devtools.json.gz" "${burst[@]}"
    # SIGINT: uvicorn shuts down gracefully; the SDK flushes its batches at exit.
    kill -INT "$server_pid"
    wait "$server_pid" || true
    [ -z "$flag" ] || rm -f "$flag"
}

# demo NAME MODE: the demo server serves its page for 8 s (page-burst: under its own burst).
demo() {
    local name=$1 mode=$2 port=18432
    rm -f "$out/$name".*
    [ -z "$flag" ] || touch "$flag"
    DEMO_SECONDS=8 target/debug/examples/demo_server --mode "$mode" --port $port \
        --log-format json-full --out "$out/$name.json-full.log" &
    local server_pid=$!
    pids+=($server_pid)
    sleep 1.5 # calibration, then listening; in page-burst the burst is under way
    node scripts/record-har.cjs "http://127.0.0.1:$port/" "$out/$name.har" \
        "$out/$name.devtools.json.gz"
    wait "$server_pid" || true
    [ -z "$flag" ] || rm -f "$flag"
}

wanted() { [ $# -eq 0 ] || [[ " $* " == *" $want "* ]]; }
want=django
if wanted "$@"; then
    record page-idle
    record page-burst /leaderboard/ 4
fi
want=demo
if wanted "$@"; then
    cargo build -q --example demo_server
    demo demo-page-idle page
    demo demo-page-burst page-burst
fi

for f in "$out"/*.har "$out"/*.jsonl "$out"/*.log; do
    if [ "$(stat -c %s "$f")" -gt 1000000 ]; then gzip -9 -n -f "$f"; fi
done
ls -l "$out"
