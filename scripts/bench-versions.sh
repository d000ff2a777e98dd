#!/usr/bin/env bash
# Two stallscope binaries side by side on the same generated inputs: whole process,
# `analyze --format json`, the two alternating run by run, median of RUNS; peak RSS from
# /usr/bin/time. For "did this change make it slower or bigger" (the machine is shared and
# noisy: only the ratio of the two, measured in one run, means anything).
#
#   scripts/bench-versions.sh OLD_BIN NEW_BIN [RUNS] [DIR]
#
# DIR (default: a temporary folder, removed after) receives the inputs: a 200 MB tracing JSON log
# and a 200 MB console recording (examples/gen_*, feature testgen), a 400,000-event Chrome trace
# (../shared/tools/gen_chrome_trace.py, when python3 and the script are there) and its gzip.
set -euo pipefail
old=$1 new=$2 runs=${3:-5}
cd "$(dirname "$0")/.."
dir=${4:-$(mktemp -d)}
[ -n "${4:-}" ] || trap 'rm -rf "$dir"' EXIT
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --features testgen --example gen_tracing_log --example gen_console_recording
[ -f "$dir/log200.log" ] || target/release/examples/gen_tracing_log "$dir/log200.log" 200 42
[ -f "$dir/console200.jsonl" ] || target/release/examples/gen_console_recording "$dir/console200.jsonl" 38000 7
inputs=("log200.log:" "console200.jsonl:")
if [ -f ../shared/tools/gen_chrome_trace.py ] && command -v python3 >/dev/null; then
    [ -f "$dir/chrome.json" ] || python3 ../shared/tools/gen_chrome_trace.py "$dir/chrome.json" 400000 1 >/dev/null
    [ -f "$dir/chrome.json.gz" ] || gzip -k -1 "$dir/chrome.json"
    inputs+=("chrome.json:" "chrome.json.gz:" "chrome.json:stdin")
fi
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| input | MB | old s | new s | new/old | old peak RSS MB | new peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for spec in "${inputs[@]}"; do
    f=${spec%%:*} mode=${spec#*:}
    o=() n=() ro=() rn=()
    for _ in $(seq "$runs"); do
        for which in old new; do
            bin=$old; [ "$which" = new ] && bin=$new
            if [ "$mode" = stdin ]; then
                /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$bin" analyze --format json - <"$dir/$f" >/dev/null 2>&1
            else
                /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$bin" analyze --format json "$dir/$f" >/dev/null 2>&1
            fi
            r=$(tail -1 "$dir/time.txt")
            if [ "$which" = old ]; then o+=("${r% *}"); ro+=("${r#* }"); else n+=("${r% *}"); rn+=("${r#* }"); fi
        done
    done
    mo=$(median "${o[@]}") mn=$(median "${n[@]}") mro=$(median "${ro[@]}") mrn=$(median "${rn[@]}")
    awk -v f="$f${mode:+ ($mode)}" -v mb="$(( $(stat -c %s "$dir/$f") / 1000000 ))" -v o="$mo" -v n="$mn" -v ro="$mro" -v rn="$mrn" \
        'BEGIN { printf "| %s | %d | %.2f | %.2f | %.2f | %.1f | %.1f |\n", f, mb, o, n, n / o, ro / 1024, rn / 1024 }'
done
