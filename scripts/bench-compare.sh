#!/usr/bin/env bash
# stallscope against the single-threaded path, the other tools and the I/O floor, on generated
# inputs: whole process (`analyze --format json > /dev/null`), peak RSS from /usr/bin/time, the
# commands of one input alternating run by run, median of RUNS. Prints a Markdown table, then the
# ratios. The machine is shared and noisy: the ratios, measured in one run, are the figures that
# mean something.
#
#   scripts/bench-compare.sh [RUNS] [DIR]        (RUNS default 5)
#
# DIR (default: a temporary folder, removed after) receives the inputs; given, they are kept and
# reused by the next run. BIG=1 adds a 1 GB tracing log (removed after its row). MB is 10^6
# bytes, MB/s is that over the median wall time. NODE, NPM and PYTHON name the programs (default
# node, npm, python3); a missing one skips its rows with a note. Inputs:
#   chrome.json    ~101 MB Chrome trace, object form (../shared/tools/gen_chrome_trace.py 330000 42)
#   chrome.json.gz its `gzip -1`
#   log210.log     210 MiB tracing JSON log (examples/gen_tracing_log, seed 42; log210b.log seed 43)
#   console.jsonl  console-subscriber recording, 38,000 tasks (examples/gen_console_recording)
#   otlp.jsonl     200 MiB OTLP/JSON lines (examples/gen_otlp)
#   logNNN.log     tracing JSON logs of 20 MB, 300 MB (and 1 GB with BIG=1)
set -euo pipefail
runs=${1:-5}
cd "$(dirname "$0")/.."
repo=$PWD
node=${NODE:-node} npm=${NPM:-npm} python=${PYTHON:-python3}
if [ -n "${2:-}" ]; then
    mkdir -p "$2"
    dir=$(cd "$2" && pwd)
    trap 'rm -f "$dir/time.txt" "$dir/err.txt" "$dir/log1000.log"' EXIT
else
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
notes=()
note() { notes+=("$1"); echo "bench-compare: $1" >&2; }

cargo build --release --quiet --features testgen --bin stallscope \
    --example gen_tracing_log --example gen_console_recording --example gen_otlp
bin=$repo/target/release/stallscope
gen=$repo/target/release/examples
threads=no
if "$bin" analyze --help | grep -q -- '--threads'; then
    threads=yes
else
    note "this stallscope has no --threads: only its default is measured"
fi

# Inputs.
[ -f "$dir/log210.log" ] || "$gen/gen_tracing_log" "$dir/log210.log" 210 42
[ -f "$dir/log210b.log" ] || "$gen/gen_tracing_log" "$dir/log210b.log" 210 43
[ -f "$dir/console.jsonl" ] || "$gen/gen_console_recording" "$dir/console.jsonl" 38000 42
[ -f "$dir/otlp.jsonl" ] || "$gen/gen_otlp" "$dir/otlp.jsonl" 200 42
# MiB that give 20 MB and 300 MB (10^6 bytes).
[ -f "$dir/log20.log" ] || "$gen/gen_tracing_log" "$dir/log20.log" 19 42
[ -f "$dir/log300.log" ] || "$gen/gen_tracing_log" "$dir/log300.log" 286 42
chrome=no
if ! command -v "$python" >/dev/null; then
    note "no $python: no Chrome trace (its generator is Python), so no Chrome, gzip, stdin or json.load rows"
elif [ ! -f ../shared/tools/gen_chrome_trace.py ]; then
    note "no ../shared/tools/gen_chrome_trace.py: no Chrome, gzip, stdin or json.load rows"
else
    chrome=yes
    [ -f "$dir/chrome.json" ] || "$python" ../shared/tools/gen_chrome_trace.py "$dir/chrome.json" 330000 42 >/dev/null
    [ -f "$dir/chrome.json.gz" ] || gzip -k -1 "$dir/chrome.json"
fi
devtools=no
if [ "$chrome" = yes ]; then
    if ! command -v "$node" >/dev/null || ! command -v "$npm" >/dev/null; then
        note "no $node or $npm: no DevTools trace engine row"
    else
        mkdir -p "$dir/devtools"
        if [ -d "$dir/devtools/node_modules/@paulirish/trace_engine" ] ||
            (cd "$dir/devtools" && "$npm" install --silent --no-audit --no-fund @paulirish/trace_engine@0.0.65 >/dev/null 2>&1); then
            # Beside its node_modules, so that its import finds the engine.
            cp scripts/devtools_speed.mjs "$dir/devtools/"
            devtools=yes
        else
            note "npm install @paulirish/trace_engine@0.0.65 failed (offline?): no DevTools trace engine row"
        fi
    fi
fi

q() { printf '%q' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A med rss

# measure INPUT 'LABEL|MB|COMMAND'...: runs the commands in turn, RUNS times, each under
# /usr/bin/time; prints a row per command (MB/s is MB over its median) and keeps its median
# in med[INPUT/LABEL].
measure() {
    local input=$1
    shift
    local -a labels=() sizes=() cmds=()
    local spec rest
    for spec in "$@"; do
        labels+=("${spec%%|*}")
        rest=${spec#*|}
        sizes+=("${rest%%|*}")
        cmds+=("${rest#*|}")
    done
    local -A times=() peaks=() failed=()
    local r i
    for r in $(seq "$runs"); do
        for i in "${!cmds[@]}"; do
            if /usr/bin/time -f "%e %M" -o "$dir/time.txt" bash -c "${cmds[$i]}" 2>"$dir/err.txt"; then
                local line
                line=$(tail -1 "$dir/time.txt")
                times[$i]+="${line% *} "
                peaks[$i]+="${line#* } "
            else
                [ -n "${failed[$i]:-}" ] || note "$input / ${labels[$i]} failed: $(tail -c 300 "$dir/err.txt" | tr '\n' ' ')"
                failed[$i]=1
            fi
        done
    done
    for i in "${!cmds[@]}"; do
        local key="$input/${labels[$i]}" mb=${sizes[$i]}
        if [ -n "${failed[$i]:-}" ]; then
            printf '| %s | %s | %s | failed | | |\n' "$input" "$mb" "${labels[$i]}"
            continue
        fi
        # shellcheck disable=SC2086
        med[$key]=$(median ${times[$i]})
        # shellcheck disable=SC2086
        rss[$key]=$(median ${peaks[$i]})
        awk -v i="$input" -v mb="$mb" -v l="${labels[$i]}" -v s="${med[$key]}" -v k="${rss[$key]}" \
            'BEGIN { printf "| %s | %s | %s | %.2f | %s | %.0f |\n", i, mb, l, s, (s > 0 ? sprintf("%.0f", mb / s) : "-"), k / 1024 }'
    done
}
mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f", b / 1e6 }'; }
# stallscope's rows for one file of MB (default: its size): `--threads 1` and the default.
ss() {
    local f=$1 size=${2:-$(mb "$1")}
    [ "$threads" = yes ] && echo "stallscope --threads 1|$size|exec $(q "$bin") analyze --threads 1 --format json $(q "$f") >/dev/null"
    echo "stallscope|$size|exec $(q "$bin") analyze --format json $(q "$f") >/dev/null"
}

echo "| input | MB | tool / mode | median s | MB/s | peak RSS MB |"
echo "|---|---:|---|---:|---:|---:|"
[ "$threads" = yes ] || echo "| (every input) | | stallscope --threads 1: not measured, this stallscope has no --threads (its default only) | | | |"
if [ "$chrome" = yes ]; then
    f=$dir/chrome.json
    rows=()
    m=$(mb "$f")
    mapfile -t rows < <(ss "$f")
    [ "$devtools" = yes ] && rows+=("DevTools trace engine|$m|cd $(q "$dir/devtools") && exec $(q "$node") --max-old-space-size=16000 devtools_speed.mjs $(q "$f") >/dev/null")
    command -v "$python" >/dev/null && rows+=("python json.load|$m|exec $(q "$python") -c 'import json,sys; json.load(open(sys.argv[1]))' $(q "$f")")
    rows+=("cat (I/O floor)|$m|exec cat $(q "$f") >/dev/null")
    measure chrome.json "${rows[@]}"
    # The gzip's rows count the trace it holds (MB/s of trace), not the compressed bytes.
    g=$dir/chrome.json.gz
    mapfile -t rows < <(ss "$g" "$m")
    rows+=("zcat|$m|exec zcat $(q "$g") >/dev/null")
    measure chrome.json.gz "${rows[@]}"
    notes+=("chrome.json.gz is $(mb "$g") MB; its rows count the $m MB of trace it holds")
    s=$(q "$bin")
    measure "chrome.json on stdin" \
        "stallscope - < file|$m|exec $s analyze --format json - < $(q "$f") >/dev/null" \
        "cat file, piped|$m|cat $(q "$f") | $s analyze --format json - >/dev/null"
fi
for f in log210.log console.jsonl otlp.jsonl; do
    mapfile -t rows < <(ss "$dir/$f")
    measure "$f" "${rows[@]}"
done
s=$(q "$bin")
m=$(mb "$dir/log210.log")
measure "log210.log + log210b.log" \
    "stallscope, one file|$m|exec $s analyze --format json $(q "$dir/log210.log") >/dev/null" \
    "stallscope, two files|$(( m + $(mb "$dir/log210b.log") ))|exec $s analyze --format json $(q "$dir/log210.log") $(q "$dir/log210b.log") >/dev/null"
sizes=(log20.log log300.log)
if [ "${BIG:-}" = 1 ]; then
    [ -f "$dir/log1000.log" ] || "$gen/gen_tracing_log" "$dir/log1000.log" 954 42
    sizes+=(log1000.log)
fi
for f in "${sizes[@]}"; do
    mapfile -t rows < <(ss "$dir/$f")
    measure "$f" "${rows[@]}"
done
rm -f "$dir/log1000.log"

echo
echo "Ratios (of the medians above):"
echo
ratio() { # NAME A B: A / B when both were measured
    if [ -n "${med[$2]:-}" ] && [ -n "${med[$3]:-}" ]; then
        awk -v n="$1" -v a="${med[$2]}" -v b="${med[$3]}" 'BEGIN { if (b > 0) printf "- %s: %.2f\n", n, a / b }'
    fi
}
for f in chrome.json chrome.json.gz log210.log console.jsonl otlp.jsonl log20.log log300.log log1000.log; do
    ratio "$f: stallscope --threads 1 / all cores (speed-up)" "$f/stallscope --threads 1" "$f/stallscope"
done
ratio "chrome.json: DevTools trace engine / stallscope (times faster)" "chrome.json/DevTools trace engine" "chrome.json/stallscope"
ratio "chrome.json: python json.load / stallscope" "chrome.json/python json.load" "chrome.json/stallscope"
ratio "chrome.json.gz: stallscope / zcat (1 = as fast as gunzipping alone)" "chrome.json.gz/stallscope" "chrome.json.gz/zcat"
ratio "chrome.json.gz: stallscope on the gzip / on chrome.json" "chrome.json.gz/stallscope" "chrome.json/stallscope"
ratio "stdin: pipe / redirected file" "chrome.json on stdin/cat file, piped" "chrome.json on stdin/stallscope - < file"
ratio "two files in one call / one file" "log210.log + log210b.log/stallscope, two files" "log210.log + log210b.log/stallscope, one file"
if [ ${#notes[@]} -gt 0 ]; then
    echo
    printf -- '- note: %s\n' "${notes[@]}"
fi
echo
echo "runs: $runs (median); $(nproc) cores; MB = 10^6 bytes; $(date -u +%Y-%m-%dT%H:%MZ)"
