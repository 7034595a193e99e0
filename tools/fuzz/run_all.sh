#!/bin/sh
# make fuzz: run_all.sh BUILD_DIR SECONDS [NAME]: each harness of BUILD_DIR
# (built with SOAR_FUZZ=ON) in turn for SECONDS, or only fuzz_NAME. Prints one
# line a harness; exits 1 if any found something (inputs kept in its work dir).
set -u
build=$1 secs=$2 only=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
fail=0
for bin in "$build"/tests/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	short=${name#fuzz_}
	[ -n "$only" ] && [ "$only" != "$short" ] && [ "$only" != "$name" ] && continue
	sh "$here/run.sh" "$bin" "$src/tests/fuzz/corpus/$short" \
		"$build/tests/fuzz/work-$short" "$secs" || fail=1
done
exit $fail
