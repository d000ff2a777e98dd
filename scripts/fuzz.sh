#!/usr/bin/env bash
# Fuzzes stallscope's format sniffer, every reader and the whole pipeline with cargo-fuzz
# (fuzz/, README "Fuzzing"). Not part of CI.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]  each target (or each TARGET given, one after the
#                                          other) for SECONDS (default 600)
#
# Targets: sniff chrome chrome_stream tracing_json tracing_text console_recording
# console_capture otlp jaeger zipkin asyncio har pipeline (fuzz/Cargo.toml). viztracer traces are
# Chrome traces: `chrome` reads them, `pipeline` also runs the Python analysis on them. A
# new reader gets a target there and a line in seed_patterns below.
# To run targets side by side, start the script once per group of targets.
#
# Environment:
#   FUZZ_PAUSE_FILE   while this file exists, fuzzing is paused (SIGSTOP/SIGCONT); default none.
#                     For a machine that also records timing-sensitive traces.
#   FUZZ_SANITIZER    address (default when the toolchain has ASan) or none.
#   FUZZ_MAX_LEN      the largest input tried, in bytes (default 8192: small inputs run fast
#                     and still hold a header and many events; the seeds are cut to it).
#   FUZZ_NIGHTLY      0: build with stable and RUSTC_BOOTSTRAP=1 even when rustup has nightly.
#   FUZZ_LOG_DIR      where libFuzzer's output goes, TARGET.log (default fuzz/logs).
#   FUZZ_KEEP_GOING   1 (default): libFuzzer's fork mode with crashes, timeouts and
#                     out-of-memory inputs recorded (in fuzz/artifacts/TARGET/) and the run
#                     going on, so each target gets its whole time; 0: stop at the first one.
#
# Only stable Rust may be installed: cargo-fuzz's nightly flags are then allowed with
# RUSTC_BOOTSTRAP=1 (the stable sysroot ships the ASan runtime). Crashing inputs land in
# fuzz/artifacts/TARGET/; keep each one as a regression test in
# tests/integration/fuzz_regressions.rs (input under tests/data/fuzz/).
set -euo pipefail

seconds=${1:-600}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

all_targets=(sniff chrome chrome_stream tracing_json tracing_text console_recording console_capture
    otlp jaeger zipkin asyncio har pipeline)
targets=()
for only in "$@"; do
    case " ${all_targets[*]} " in
        *" $only "*) targets+=("$only") ;;
        *) echo "fuzz.sh: unknown target '$only'; targets: ${all_targets[*]}" >&2; exit 2 ;;
    esac
done
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")
logs=${FUZZ_LOG_DIR:-fuzz/logs}
keep_going=()
[ "${FUZZ_KEEP_GOING:-1}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# Nightly if rustup has one (FUZZ_NIGHTLY=0: stable anyway, e.g. to reuse a stable build),
# else stable with the nightly flags allowed.
toolchain=()
if [ "${FUZZ_NIGHTLY:-1}" = 1 ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
sanitizer=${FUZZ_SANITIZER:-}
if [ -z "$sanitizer" ]; then
    sysroot=$(rustc "${toolchain[@]}" --print sysroot)
    if ls "$sysroot"/lib/rustlib/*/lib/librustc-*_rt.asan.a >/dev/null 2>&1; then
        sanitizer=address
    else
        sanitizer=none
    fi
fi

# Which seed files suit which target (file names in sample-traces/ and ../shared/corpus).
seed_patterns() {
    case "$1" in
        sniff | pipeline) echo '*' ;;
        chrome | chrome_stream) echo '*chrome* *devtools* *catapult* *viztracer* *.json *.json.gz' ;;
        tracing_json) echo '*json-close* *json-full* *json-newclose* *.json.log' ;;
        tracing_text) echo '*text* *compact* *pretty* *timer* *.text.log' ;;
        console_recording) echo '*console.incident* *console.patterns* *console.jsonl*' ;;
        console_capture) echo '*capture*' ;;
        # The Django samples' and hand-written ASGI/WSGI shapes are OTLP lines.
        otlp) echo '*otlp* *-loop.jsonl *-pool.jsonl' ;;
        jaeger) echo '*jaeger*' ;;
        zipkin) echo '*zipkin*' ;;
        asyncio) echo '*asyncio*' ;;
        har) echo '*.har' ;;
    esac
}

# Seeds: small files whole, bigger ones cut to their first 64 KB, gzip ones gunzipped first.
seed() {
    local target=$1 dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    local sources=(sample-traces tests/data)
    [ -d ../shared/corpus ] && sources+=(../shared/corpus)
    local pattern f name patterns
    read -r -a patterns <<<"$(seed_patterns "$target")"
    for pattern in "${patterns[@]}"; do
        while IFS= read -r -d '' f; do
            # Not traces: notes, reference figures, the Django samples' client logs.
            case "$f" in *.md | *expected* | */clients/*) continue ;; esac
            name="seed-$(printf '%s' "$f" | tr '/.' '__')"
            [ -e "$dir/$name" ] && continue
            case "$f" in
                *.gz) gzip -dc "$f" 2>/dev/null | head -c 65536 >"$dir/$name" || true ;;
                *) head -c 65536 "$f" >"$dir/$name" ;;
            esac
        done < <(find "${sources[@]}" -type f -name "$pattern" -print0 2>/dev/null)
    done
}

# Stops the fuzzer (process group $1) with SIGINT as soon as FUZZ_PAUSE_FILE appears (libFuzzer then
# prints its stats and exits; the run resumes from its corpus once the file is gone). SIGSTOP
# would not do: libFuzzer's per-input timeout counts wall time, a long pause would look a hang.
watch_pause() {
    local pid=$1
    while kill -0 "$pid" 2>/dev/null; do
        if [ -e "$FUZZ_PAUSE_FILE" ]; then
            kill -INT -- "-$pid" 2>/dev/null || true
            return
        fi
        sleep 1
    done
}

wait_unpaused() {
    [ -n "${FUZZ_PAUSE_FILE:-}" ] || return 0
    while [ -e "$FUZZ_PAUSE_FILE" ]; do sleep 5; done
}

# Built first (cargo fuzz's default: optimised, with debug assertions and overflow checks),
# so that the runs start together: one target alone, or all of them in one cargo run (the
# library is compiled once).
for t in "${targets[@]}"; do
    seed "$t"
done
wait_unpaused
if [ "${#targets[@]}" = 1 ]; then
    cargo "${toolchain[@]}" fuzz build -s "$sanitizer" "${targets[0]}" >&2
else
    cargo "${toolchain[@]}" fuzz build -s "$sanitizer" >&2
fi

for t in "${targets[@]}"; do
    bin=$(find fuzz/target -path "*/release/$t" -type f -perm -u+x | head -n1)
    mkdir -p "fuzz/artifacts/$t" "$logs"
    log="$logs/$t.log"
    : >"$log"
    echo "fuzz.sh: $t for ${seconds}s (sanitizer: $sanitizer, seeds: $(ls "fuzz/corpus/$t" | wc -l))" >&2
    left=$seconds
    ran=0
    status=0
    while [ "$left" -gt 0 ] && [ "$status" = 0 ]; do
        wait_unpaused
        began=$(date +%s)
        echo "fuzz.sh: segment $(date -u +%FT%TZ)" >>"$log"
        # The libFuzzer binary itself, niced; memory and time per input bounded.
        # In a process group of its own: a pause stops fork mode's jobs too.
        setsid nice -n 19 "$bin" "fuzz/corpus/$t" "${keep_going[@]}" \
            -max_total_time="$left" -rss_limit_mb=512 -timeout=10 -max_len="${FUZZ_MAX_LEN:-8192}" \
            -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 2>>"$log" &
        pid=$!
        [ -n "${FUZZ_PAUSE_FILE:-}" ] && { watch_pause "$pid" & }
        wait "$pid" || status=$?
        # 130 / 72: interrupted for a pause (SIGINT), not a finding. In fork mode the status
        # is the last job's: the findings are in the artifacts.
        case $status in 130 | 72) status=0 ;; esac
        [ "${#keep_going[@]}" -gt 0 ] && status=0
        ran=$((ran + $(date +%s) - began))
        left=$((left - ($(date +%s) - began)))
    done
    # Executions: per segment (a run between pauses), libFuzzer's final count, else the last
    # status line's (fork mode prints `#N: cov: ...`).
    execs=$(awk '
        /^fuzz.sh: segment/ { n += (stat != "" ? stat : last); stat = ""; last = 0 }
        /^stat::number_of_executed_units:/ { stat = $2 }
        /^#[0-9]+/ { v = $1; sub(/^#/, "", v); sub(/:$/, "", v); last = v }
        END { n += (stat != "" ? stat : last); print n + 0 }' "$log")
    final=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
    echo "fuzz.sh: $t: exit $status, ${ran}s fuzzing, $execs executions, corpus $(ls "fuzz/corpus/$t" | wc -l) entries, last status: $final" >&2
    echo "fuzz.sh: $t: artifacts: $(ls "fuzz/artifacts/$t" | wc -l) in fuzz/artifacts/$t (log: $log)" >&2
done
