#!/bin/sh
# The real binary on generated trees: for each size, a fresh tree from
# bulkbuild-gentree whose builds do nothing, a whole-tree bulk with
# `bulkbuild -x -j 8`, and bulkbuild's own cost (no children).
#
# usage: bench/run-bench.sh [-b BINDIR] [-w WORKDIR] [SIZE ...]
#   BINDIR   holds bulkbuild and bulkbuild-gentree (default .build-bench/release)
#   WORKDIR  scratch space for the trees (default /tmp/bulkbuild-bench)
#   SIZE     number of ports (default 300 2000 10000 34000)
#
# Own CPU and peak RSS come from the RUSAGE line bulkbuild writes to
# performance.log at exit (getrusage(RUSAGE_SELF): every thread, no child).
# A binary without that line is measured by sampling /proc/PID/stat and
# VmHWM every 20 ms instead (marked "~"), which can miss the last 20 ms.
# The first job is the first J line of engine.log, from the launch (wall
# time: on a loaded machine mostly the listing's make, not bulkbuild), and
# "1st cpu" bulkbuild's own CPU by then (the FIRST line of performance.log).
# "agent s" is the user + system CPU of the run's local agent (the
# `bulkbuild agent` that spawns local tasks; the AGENT line of
# performance.log), which is not in bulkbuild's own figures: "-" when the
# run had none (-D LOCAL_AGENT=0, or an older binary).
# Extra bulkbuild arguments can be given in BULKBUILD_ARGS.
set -eu
bin=.build-bench/release
work=/tmp/bulkbuild-bench
while getopts b:w: o; do
    case $o in
    b) bin=$OPTARG ;;
    w) work=$OPTARG ;;
    *) echo "usage: $0 [-b BINDIR] [-w WORKDIR] [SIZE ...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 300 2000 10000 34000
for f in bulkbuild bulkbuild-gentree; do
    [ -x "$bin/$f" ] || { echo "$0: $bin/$f: not found (swift build -c release --scratch-path .build-bench)" >&2; exit 2; }
done
bin=$(cd "$bin" && pwd)
mkdir -p "$work"
hz=$(getconf CLK_TCK)

printf '%8s %9s %9s %9s %8s %8s %8s %8s %9s %7s %8s\n' ports "user s" "sys s" "ms/port" "RSS MB" "list s" "1st job" "1st cpu" "wall s" status "agent s"
for n in "$@"; do
    tree=$work/tree-$n
    rm -rf "$tree"
    "$bin/bulkbuild-gentree" "$tree" --ports "$n" >/dev/null
    out=$work/out-$n.txt
    sample=$work/sample-$n.txt
    : > "$sample"
    launch=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin/bulkbuild" -x -j 8 -D PORTSDIR="$tree" ${BULKBUILD_ARGS:-} >"$out" 2>&1 &
    pid=$!
    # The fallback measure: the last /proc sample before the process ends.
    while [ -r /proc/$pid/stat ] && ! grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null; do
        { cut -d' ' -f14,15 /proc/$pid/stat; grep VmHWM /proc/$pid/status; } > "$sample.new" 2>/dev/null \
            && [ -s "$sample.new" ] && mv "$sample.new" "$sample"
        sleep 0.02
    done
    status=0
    wait $pid || status=$?
    end=$(date +%s.%N)
    logs=$(ls -d "$tree"/logs/* | head -1)
    perf=$logs/performance.log
    first=$(awk -F'[@:]' '/: J: / { print $2; exit }' "$logs/engine.log")
    rusage=$(grep ' RUSAGE ' "$perf" | tail -1 || true)
    listed=$(grep ' LISTED ' "$perf" | tail -1 || true)
    firstcpu=$(grep ' FIRST ' "$perf" | head -1 | sed -n 's/.* cpu=\([0-9.]*\).*/\1/p' || true)
    agent=$(grep ' AGENT ' "$perf" | tail -1 | awk '{ u = 0; s = 0; for (i = 1; i <= NF; i++) {
        if ($i ~ /^user=/) { sub(/user=/, "", $i); u = $i } if ($i ~ /^sys=/) { sub(/sys=/, "", $i); s = $i } }
        printf "%.2f", u + s }' || true)
    if [ -n "$rusage" ]; then
        user=$(echo "$rusage" | sed 's/.*user=\([0-9.]*\).*/\1/')
        sys=$(echo "$rusage" | sed 's/.*sys=\([0-9.]*\).*/\1/')
        rss=$(echo "$rusage" | sed 's/.*maxrss=\([0-9]*\).*/\1/')
        mark=""
    else
        user=$(awk -v hz="$hz" 'NR == 1 { print $1 / hz }' "$sample")
        sys=$(awk -v hz="$hz" 'NR == 1 { print $2 / hz }' "$sample")
        rss=$(awk '/VmHWM/ { print $2 }' "$sample")
        mark="~"
    fi
    list="-"
    [ -n "$listed" ] && list=$(echo "$listed" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^cpu=/) { sub(/cpu=/, "", $i); print $i } }')
    awk -v n="$n" -v u="$user" -v s="$sys" -v r="$rss" -v l="$list" -v f="$first" -v a="$launch" -v e="$end" -v fc="${firstcpu:--}" \
        -v st="$status" -v m="$mark" -v ag="${agent:--}" 'BEGIN {
        printf "%8d %9s %9s %9s %8s %8s %8s %8s %9.1f %7d %8s\n", n, m sprintf("%.2f", u), m sprintf("%.2f", s),
            m sprintf("%.3f", (u + s) * 1000 / n), m sprintf("%.1f", r / 1024), l,
            (f == "" ? "-" : sprintf("%.2f", f - a)), fc, e - a, st, ag }'
done
