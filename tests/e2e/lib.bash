# lib.bash - shared by the end-to-end tests: a scratch directory and assertions.
# Sourced, not run. Needs SOARCTL (the binary) and SOAR_TMP from ctest.
set -u
: "${SOARCTL:?set by ctest}" "${SOAR_TMP:?set by ctest}"
rm -rf "$SOAR_TMP" && mkdir -p "$SOAR_TMP"
export SOARCTL_DATA="$SOAR_TMP/data"
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_exit CODE -- command...: runs it, keeps stdout in $out, stderr in $err.
expect_exit() {
	local want=$1; shift; [ "$1" = "--" ] && shift
	checks=$((checks + 1))
	out=$("$@" 2>"$SOAR_TMP/stderr"); local got=$?
	err=$(cat "$SOAR_TMP/stderr")
	[ "$got" = "$want" ] || fail "exit $got (want $want): $*
  stdout: $out
  stderr: $err"
}

# contains HAYSTACK NEEDLE [WHAT]
contains() {
	checks=$((checks + 1))
	case "$1" in *"$2"*) ;; *) fail "${3:-output} lacks '$2': $1" ;; esac
}

lacks() {
	checks=$((checks + 1))
	case "$1" in *"$2"*) fail "${3:-output} should not contain '$2': $1" ;; *) ;; esac
}

# json_field JSON EXPR: evaluates a python expression on the parsed JSON `j`.
json_field() {
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

finish() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" = 0 ]
}
