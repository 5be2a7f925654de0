#!/bin/sh
# Times `bulkbuild hosts test` on a hosts file of N host lines whose last
# line is bad, so the run is all parsing: it stops with a parse error
# (exit 2) before connecting anywhere.
#   Tests/bench/hosts-parse.sh [BINARY] [N ...]
set -eu
bin=${1:-.build/debug/bulkbuild}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 1000 10000 100000
dir=$(mktemp -d "${TMPDIR:-/tmp}/bulkbuild-hosts-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for n in "$@"; do
	awk -v n="$n" 'BEGIN {
		print "DEFAULT jobs=4 sf=1"
		for (i = 1; i < n; i++) printf "build%06d.example.org jobs=%d sf=%d.5\n", i, i % 8 + 1, i % 3 + 1
		print "build-last jobs=oops"
	}' >"$dir/hosts"
	start=$(date +%s.%N)
	status=0
	"$bin" hosts test -h "$dir/hosts" >/dev/null 2>"$dir/err" || status=$?
	end=$(date +%s.%N)
	printf '%7d lines: %6.3f s, exit %d: %s\n' "$n" "$(echo "$end - $start" | bc)" "$status" "$(head -c 80 "$dir/err")"
done
