# lib.bash - shared by the end-to-end tests: a scratch directory and assertions.
# Sourced, not run. Needs SOARCTL (the binary) and SOAR_TMP from ctest.
set -u
: "${SOARCTL:?set by ctest}" "${SOAR_TMP:?set by ctest}"
rm -rf "$SOAR_TMP" && mkdir -p "$SOAR_TMP"
export SOARCTL_DATA="$SOAR_TMP/data"
# Only `soarctl init` makes a data directory: every test starts from an
# initialised one (SOAR_NO_INIT=1 before sourcing: a test of what init does).
[ -n "${SOAR_NO_INIT:-}" ] || "$SOARCTL" init >/dev/null || { echo "soarctl init failed"; exit 1; }
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

# serve_start [OPTION...]: `soarctl serve` on a free port of 127.0.0.1 with the
# options given, its log (stderr) in $SOAR_TMP/serve.log, started afresh; returns
# once it listens. Sets DPID, api (the port) and A (its base URL). Environment
# for the daemon goes before the call: `SOARCTL_MAX_BODY=1 serve_start ...`.
serve_start() {
	local log="$SOAR_TMP/serve.log"
	: > "$log"
	"$SOARCTL" serve --listen 127.0.0.1:0 "$@" 2>>"$log" &
	DPID=$!
	serve_wait "$log"
}

# serve_wait LOG: waits (5 s at most) for a daemon started with --listen
# 127.0.0.1:0 to log its port; sets api and A, or prints the log and exits 1.
serve_wait() {
	api=
	for _ in $(seq 100); do
		api=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$1")
		[ -n "$api" ] && break; sleep 0.05
	done
	[ -n "$api" ] || { cat "$1"; echo "daemon did not start"; exit 1; }
	A="http://127.0.0.1:$api"
}

# serve_stop: SIGTERM, and wait for the exit (its status is the function's).
serve_stop() { kill -TERM "$DPID"; wait "$DPID"; local rc=$?; DPID=; return $rc; }

PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

# standin_start: tools/standins/standin.py on a free port of 127.0.0.1; it
# stops when this shell exits (its stdin closes). Sets STANDIN_PID, port and
# base (its URL). The test's EXIT trap may kill $STANDIN_PID sooner.
standin_start() {
	coproc STANDIN { exec "$PY" "$SOAR_SRC/tools/standins/standin.py" --stdin-eof; }
	read -r _ port <&"${STANDIN[0]}"
	[ -n "$port" ] || { echo "stand-in did not start"; exit 1; }
	base="http://127.0.0.1:$port"
}

# Acting as another OS user. soarctl takes its user from the effective uid's
# passwd name (never from $USER), and a uid without a passwd entry is called
# "uidN". can_switch_uid: whether this test can (root and setpriv).
# as_uid UID CODE -- command...: expect_exit for the command run as uid UID;
# the data directory is handed to that uid first (LMDB writes its lock file;
# root reaches it whoever owns it).
can_switch_uid() { [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; }
as_uid() {
	local u=$1 code=$2; shift 2; [ "$1" = "--" ] && shift
	chown -R "$u" "$SOARCTL_DATA"
	expect_exit "$code" -- setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# smtp_start: the local SMTP sink (tools/standins/smtp.py) on a free port of
# 127.0.0.1, each message saved as $mail/N.eml (+ N.env, the envelope), and an
# integrations config whose "email" entry sends there. Sets mail, sport,
# SMTP_PID and SOARCTL_INTEGRATIONS_CONFIG; the sink stops when this shell
# exits (its stdin closes), or with kill $SMTP_PID in the test's EXIT trap.
smtp_start() {
	mail="$SOAR_TMP/mail"
	coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
	read -r _ sport <&"${SMTP[0]}"
	[ -n "$sport" ] || { echo "SMTP server did not start"; exit 1; }
	export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
	printf '{ "email": { "smtp_url": "smtp://127.0.0.1:%s", "from": "soar@example.org" } }\n' \
		"$sport" > "$SOARCTL_INTEGRATIONS_CONFIG"
}
