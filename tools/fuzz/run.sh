#!/bin/sh
# Runs one libFuzzer harness for a while: run.sh HARNESS SEED_DIR WORK_DIR SECONDS
#   The working corpus grows in WORK_DIR/corpus (kept between runs: the seeds in
#   the repository stay small); crashes, leaks and failed properties are saved as
#   WORK_DIR/crash-* (leak-*, timeout-*, oom-*) and fail the run. The whole log is
#   WORK_DIR/log; the last lines (executions, coverage) are printed.
#   Extra libFuzzer flags: tests/fuzz/NAME.options (one a line, # comments;
#   "env NAME=VALUE" lines set the harness's environment), then $FUZZ_FLAGS.
set -u
bin=$1 seeds=$2 work=$3 secs=$4
name=$(basename "$bin")
opts_file=$(dirname "$0")/../../tests/fuzz/$name.options
mkdir -p "$work/corpus"
extra=""
if [ -f "$opts_file" ]; then
	extra=$(grep -v -e '^#' -e '^env ' "$opts_file" | tr '\n' ' ')
	for kv in $(sed -n 's/^env //p' "$opts_file"); do
		export "${kv?}"
	done
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# shellcheck disable=SC2086
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/" $extra ${FUZZ_FLAGS:-} "$work/corpus" "$seeds" >"$work/log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	# the report: from the sanitizer's or the property's first line to the end
	tail -n 60 "$work/log"
	echo "$name: FAILED (exit $rc); input saved in $work/ (crash-*/leak-*/timeout-*/oom-*); log: $work/log"
	exit 1
fi
done=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -n 1)
execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$work/log")
echo "$name: ok, ${execs:-?} executions in ${secs}s; $done"
