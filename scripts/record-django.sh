#!/usr/bin/env bash
# Re-records sample-traces/django/ from the example Django shop (examples/django/): makes a venv
# with pip (target/django-venv, packages pinned in examples/django/requirements.txt), then runs the
# shop on 127.0.0.1 under uvicorn (ASGI) and under gunicorn's gthread worker (WSGI, 1 worker x 4
# threads), each time under the bounded load of examples/django/load.py (a few seconds), and records:
#   asgi.otlp-threads.jsonl, asgi.zipkin.json  OTLP/JSON lines + Zipkin v2, spans with thread.id/name
#   asgi.otlp.jsonl                            OTLP/JSON lines, spans without thread attributes
#   asgi.viztracer.json(.gz)                   viztracer --log_async (no OpenTelemetry)
#   asgi.asyncio-debug.log                     asyncio debug-mode log (no OpenTelemetry)
#   wsgi.otlp-threads.jsonl, wsgi.zipkin.json, wsgi.otlp.jsonl   the same under gunicorn
#   clients/<recording>.requests.jsonl        the load generator's own log of each run
# Needs python3 (3.11 was used) and PyPI. Files over 1 MB are gzipped. Timings differ from run to
# run: the script rewrites sample-traces/django/expected.json (scripts/check-django.py --write);
# update the figures and examples of sample-traces/django/README.md (check-django.py --markdown).
# Arguments: recording names (e.g. asgi.viztracer) to re-record only those; none: all.
# RECORDING_FLAG=path: a file that exists while a recording runs (other jobs may wait on it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/target/django-venv
out=$root/sample-traces/django
app=$root/examples/django
app_port=18400 upstream_port=18401 sink_port=18402
flag=${RECORDING_FLAG:-}

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$app/requirements.txt"
py=$venv/bin/python
mkdir -p "$out/clients"
source scripts/quiet.sh

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
        "$py" -c "import urllib.request as u,sys; u.urlopen(u.Request(sys.argv[1],
            headers={'x-request-id': 'ready-probe'}), timeout=1)" "$1" \
            2>/dev/null && return 0
        sleep 0.1
    done
    echo "record-django: $1 did not answer" >&2
    return 1
}

# record NAME SERVER [ENV...]: SERVER is uvicorn, gunicorn or viztracer (uvicorn under viztracer).
record() {
    local name=$1 server=$2
    shift 2
    local clientlog=$out/clients/$name.requests.jsonl light=
    [ "$server" = viztracer ] && light=--light
    [ -z "$flag" ] || touch "$flag"
    quiet "record-django $name"
    (
        cd "$app"
        export TZ=UTC
        case $server in
            uvicorn) exec env "$@" "$venv/bin/uvicorn" shopsite.asgi:application \
                --host 127.0.0.1 --port $app_port --no-access-log --log-level warning ;;
            gunicorn) exec env "$@" "$venv/bin/gunicorn" shopsite.wsgi:application \
                -b 127.0.0.1:$app_port -w 1 -k gthread --threads 4 --log-level warning ;;
            viztracer) exec env "$@" "$venv/bin/viztracer" --quiet --log_async \
                --tracer_entries 400000 --min_duration 200 -o "$out/asgi.viztracer.json" \
                -m uvicorn shopsite.asgi:application \
                --host 127.0.0.1 --port $app_port --no-access-log --log-level warning ;;
        esac
    ) &
    local server_pid=$!
    pids+=($server_pid)
    wait_up "http://127.0.0.1:$app_port/"
    "$py" "$app/load.py" "http://127.0.0.1:$app_port" "$clientlog" $light
    # SIGINT: uvicorn and gunicorn shut down gracefully; the SDK flushes its batches at exit.
    kill -INT "$server_pid"
    wait "$server_pid" || true
    [ -z "$flag" ] || rm -f "$flag"
}

# zipkin_run NAME SERVER [ENV...]: record with the Zipkin sink up, then join its batches into one
# JSON list of spans (Zipkin v2 JSON, what /api/v2/spans takes and /api/v2/trace returns).
zipkin_run() {
    local name=$1 zname=${1%%.*}.zipkin
    rm -f "$out/$zname.batches"
    "$py" "$app/zipkin_sink.py" $sink_port "$out/$zname.batches" &
    local sink=$!
    pids+=($sink)
    sleep 0.5
    record "$@" ZIPKIN_URL=http://127.0.0.1:$sink_port/api/v2/spans
    sleep 0.5
    kill "$sink"
    "$py" -c '
import json, sys
spans = [s for line in open(sys.argv[1]) for s in json.loads(line)]
json.dump(spans, open(sys.argv[2], "w"), separators=(",", ":"))' "$out/$zname.batches" "$out/$zname.json"
    rm -f "$out/$zname.batches"
}

wanted() { [ $# -eq 0 ] || [[ " $* " == *" $want "* ]]; }
runs=(
    "zipkin_run asgi.otlp-threads uvicorn OTLP_FILE=$out/asgi.otlp-threads.jsonl SPAN_THREAD_ATTRS=1"
    "record asgi.otlp uvicorn OTLP_FILE=$out/asgi.otlp.jsonl"
    "record asgi.viztracer viztracer"
    "record asgi.asyncio-debug uvicorn ASYNCIO_LOG=$out/asgi.asyncio-debug.log"
    "zipkin_run wsgi.otlp-threads gunicorn OTLP_FILE=$out/wsgi.otlp-threads.jsonl SPAN_THREAD_ATTRS=1"
    "record wsgi.otlp gunicorn OTLP_FILE=$out/wsgi.otlp.jsonl"
)
for run in "${runs[@]}"; do
    read -r -a words <<<"$run"
    want=${words[1]}
    wanted "$@" || continue
    rm -f "$out/$want".* "$out/clients/$want".*
    [ "${words[0]}" != zipkin_run ] || rm -f "$out/${want%%.*}.zipkin".*
    "${words[@]}"
done

for f in "$out"/asgi.* "$out"/wsgi.*; do
    if [[ $f != *.gz ]] && [ "$(stat -c %s "$f")" -gt 1000000 ]; then gzip -9 -n -f "$f"; fi
done
[ ! -f scripts/check-django.py ] || "$py" scripts/check-django.py --write >/dev/null
ls -l "$out" "$out/clients"
