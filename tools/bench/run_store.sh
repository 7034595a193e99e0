#!/bin/sh
# Runs the case store benchmark N times (default 5) and prints each run, for the
# medians in docs/PERFORMANCE.md ("## Case store").
# Usage: tools/bench/run_store.sh [BUILD_DIR] [RUNS] [-- bench_store args]
set -eu
build=${1:-build}
runs=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
bin="$build/tools/bench/bench_store"
[ -x "$bin" ] || { echo "run_store: no $bin; build first (make build)" >&2; exit 1; }
echo "# $(nproc) cores; $(lscpu | sed -n 's/^Model name: *//p')"
i=1
while [ "$i" -le "$runs" ]; do
	echo "## run $i"
	"$bin" "$@"
	i=$((i + 1))
done
