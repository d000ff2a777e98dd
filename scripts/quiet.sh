# Sourced by the recording scripts: `quiet NAME` waits up to 2 minutes for the CPUs to be at
# most 25 % busy over one second (other work on a 2-core machine, a cargo build or a test run,
# stretches the demo's polls and distorts recorded timings), then goes on anyway with a warning
# naming NAME. Does nothing where /proc/stat cannot be read.
quiet() {
    [ -r /proc/stat ] || return 0
    local i a b
    for i in $(seq 1 120); do
        a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
        local busy=$(( (b[1]+b[2]+b[3]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[6]+a[7]) ))
        local total=$(( busy + (b[4]+b[5]) - (a[4]+a[5]) ))
        if [ $(( busy * 100 )) -le $(( total * 25 )) ]; then return 0; fi
    done
    echo "$1: the machine stayed busy; recorded timings may be distorted" >&2
}
