#!/bin/sh
# The live screen's cost on a big tree: bulkbuild drawing its ncurses
# screen in tmux while its jobs sleep, bulkbuild's own CPU (no child) over
# a window that starts once the whole tree is listed, as a share of one core.
#
# usage: bench/dashboard-bench.sh [-b BINDIR] [-w WORKDIR] [-s SECONDS] [PORTS]
#   BINDIR   holds bulkbuild and bulkbuild-gentree (default .build-bench/release)
#   WORKDIR  scratch space (default /tmp/bulkbuild-dashboard)
#   SECONDS  the measured window (default 300)
#   PORTS    size of the tree (default 34000)
#
# The builds sleep 16-24 s per phase, 8 jobs, as the 240-port dashboard
# benchmark of docs/benchmarks.md. The window's CPU is utime + stime of
# /proc/PID/stat at its two ends; the run is stopped with SIGTERM after it.
set -eu
bin=.build-bench/release
work=/tmp/bulkbuild-dashboard
window=300
while getopts b:w:s: o; do
    case $o in
    b) bin=$OPTARG ;;
    w) work=$OPTARG ;;
    s) window=$OPTARG ;;
    *) echo "usage: $0 [-b BINDIR] [-w WORKDIR] [-s SECONDS] [PORTS]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
n=${1:-34000}
for f in bulkbuild bulkbuild-gentree; do
    [ -x "$bin/$f" ] || { echo "$0: $bin/$f: not found" >&2; exit 2; }
done
bin=$(cd "$bin" && pwd)
hz=$(getconf CLK_TCK)
tree=$work/tree-$n
rm -rf "$tree"
mkdir -p "$work"
"$bin/bulkbuild-gentree" "$tree" --ports "$n" --seed 5 --sleep 16-24 --max-deps 1 --log-lines 50 >/dev/null
session=bulkbuild-dash-$$
tmux new-session -d -s "$session" -x 150 -y 45 "exec $bin/bulkbuild -D PORTSDIR=$tree -L $work/logs-$n -j 8"
pid=""
while [ -z "$pid" ]; do
    sleep 0.2
    pid=$(tmux list-panes -t "$session" -F '#{pane_pid}' 2>/dev/null || true)
done
perf=$work/logs-$n/performance.log
until grep -q ' LISTED ' "$perf" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "$0: bulkbuild ended before the listing did" >&2; exit 1; }
    sleep 1
done
cpu() { cut -d' ' -f14,15 /proc/"$pid"/stat | awk '{ print $1 + $2 }'; }
rss() { awk '/VmHWM/ { print $2 }' /proc/"$pid"/status; }
c0=$(cpu); t0=$(date +%s.%N)
sleep "$window"
c1=$(cpu); t1=$(date +%s.%N); hwm=$(rss)
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
tmux kill-session -t "$session" 2>/dev/null || true
awk -v n="$n" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v r="$hwm" 'BEGIN {
    cpu = (c1 - c0) / hz; wall = t1 - t0
    printf "%8s %9s %9s %9s %8s\n", "ports", "window s", "cpu s", "% core", "RSS MB"
    printf "%8d %9.1f %9.2f %9.2f %8.1f\n", n, wall, cpu, 100 * cpu / wall, r / 1024 }'
