#!/usr/bin/env bash
# Every command group checks the permission matrix the API uses (access.c):
# an OS user who is no soarctl user is refused with what to do; a user whose
# roles lack the permission is refused; the right role passes. Users are OS
# uids without passwd entries (soarctl names them uidN); $USER changes nothing.
SOAR_NO_INIT=1 . "$(dirname "$0")/lib.bash"  # checks what init does
S="$SOARCTL"
if ! can_switch_uid; then
	echo "SKIP: needs root and setpriv to act as other OS users"
	exit 0
fi
VIEW=3001 ANA=3002 APR=3003 AUD=3004 OFF=3005 STRANGER=3009
expect_exit 0 -- "$S" init
contains "$out" "made OS user 'root' the first soarctl admin"
for u in "uid$VIEW viewer" "uid$ANA analyst" "uid$APR approver" "uid$OFF analyst"; do
	expect_exit 0 -- "$S" user add ${u% *} --role ${u#* }
done
expect_exit 0 -- "$S" user define-role auditor audit.read
expect_exit 0 -- "$S" user add "uid$AUD" --role auditor
expect_exit 0 -- "$S" user disable "uid$OFF"
mkdir -p "$SOAR_TMP/pb"
cat > "$SOAR_TMP/pb/hello.lua" <<'LUA'
return { name = "hello", run = function() return { hi = true } end }
LUA
cat > "$SOAR_TMP/pb/hello_test.lua" <<'LUA'
local t = require("testing")
return { ["says hi"] = function() t.eq(1, 1) end }
LUA
chmod -R a+rX "$SOAR_TMP/pb"

# refused: an unknown OS user, with the command an admin runs; $USER cannot help
stranger() {
	USER=root as_uid "$STRANGER" 1 -- "$@"
	contains "$err" "'uid$STRANGER' is not a soarctl user" "stranger: $*"
	contains "$err" "soarctl user add uid$STRANGER --role" "stranger: $*"
}
# refused: a user whose roles lack the permission (named in the message)
lacking() {
	local u=$1 perm=$2; shift 2
	as_uid "$u" 1 -- "$@"
	contains "$err" "permission denied: user 'uid$u'" "uid$u: $*"
	contains "$err" "lacks $perm" "uid$u: $*"
}
# passes: the role that has it
passes() { local u=$1; shift; as_uid "$u" 0 -- "$@"; }

# cases
stranger "$S" case list
passes "$VIEW" "$S" case list
stranger "$S" case new --title t
lacking "$VIEW" case.write "$S" case new --title t
lacking "$APR" case.write "$S" case new --title t
passes "$ANA" "$S" case new --title "from the analyst"
passes "$VIEW" "$S" case show 1
stranger "$S" case show 1
lacking "$VIEW" case.write "$S" case note 1 hello
passes "$ANA" "$S" case note 1 hello
# indicators
stranger "$S" indicator list
lacking "$VIEW" case.write "$S" indicator set ipv4 10.1.1.1 --verdict malicious
passes "$ANA" "$S" indicator set ipv4 10.1.1.1 --verdict malicious
passes "$VIEW" "$S" indicator get ipv4 10.1.1.1
# EDLs
stranger "$S" edl add blocklist 10.9.9.9
lacking "$VIEW" case.write "$S" edl add blocklist 10.9.9.9
passes "$ANA" "$S" edl add blocklist 10.9.9.9
stranger "$S" edl show blocklist
passes "$VIEW" "$S" edl show blocklist
contains "$out" "10.9.9.9"
# prompts: seen by those who may answer (as the API's form)
stranger "$S" prompt list
lacking "$VIEW" prompt.answer "$S" prompt list
passes "$APR" "$S" prompt list
stranger "$S" prompt show 01a00000-0000-7000-8000-000000000000
lacking "$VIEW" prompt.answer "$S" prompt show 01a00000-0000-7000-8000-000000000000
# runs and playbooks
stranger "$S" run "$SOAR_TMP/pb/hello.lua"
lacking "$VIEW" playbook.run "$S" run "$SOAR_TMP/pb/hello.lua"
passes "$ANA" "$S" run "$SOAR_TMP/pb/hello.lua"
stranger "$S" runs list
passes "$VIEW" "$S" runs list --json
id=$(json_field "$out" 'j[0]["id"]')
lacking "$VIEW" playbook.run "$S" runs cancel "$id"
stranger "$S" test --data "$SOARCTL_DATA" "$SOAR_TMP/pb/hello_test.lua"
lacking "$VIEW" playbook.run "$S" test --data "$SOARCTL_DATA" "$SOAR_TMP/pb/hello_test.lua"
passes "$ANA" "$S" test --data "$SOARCTL_DATA" "$SOAR_TMP/pb/hello_test.lua"
# on a scratch store of its own, `test` needs no user (the test suite's way)
passes "$STRANGER" "$S" test "$SOAR_TMP/pb/hello_test.lua"
# jobs and the daemon
stranger "$S" job list
passes "$VIEW" "$S" job list
lacking "$ANA" job.manage "$S" job pause nightly
stranger "$S" serve --listen 127.0.0.1:0 --playbooks "$SOAR_TMP/pb"
lacking "$ANA" job.manage "$S" serve --listen 127.0.0.1:0 --playbooks "$SOAR_TMP/pb"
# secrets, users, audit (admin or a custom role)
stranger "$S" secret list
lacking "$ANA" secret.write "$S" secret list
stranger "$S" user list
lacking "$ANA" user.manage "$S" user list
stranger "$S" audit verify
lacking "$ANA" audit.read "$S" audit verify
passes "$AUD" "$S" audit verify
# a disabled user is refused everywhere
as_uid "$OFF" 1 -- "$S" case list
contains "$err" "user 'uid$OFF' is disabled"

# each refusal is in the audit log, with who and which permission
expect_exit 0 -- "$S" audit list --last 500 --json
contains "$out" '"actor":"cli:uid3009","action":"access.denied","object":"case new"'
contains "$out" '"actor":"cli:uid3001","action":"access.denied","object":"edl add","details":{"permission":"case.write"}'
# only init makes a data directory, and makes its OS user the first admin
mkdir -p "$SOAR_TMP/owned" && chown "$ANA" "$SOAR_TMP/owned" && export SOARCTL_DATA="$SOAR_TMP/owned/d"
expect_exit 2 -- setpriv --reuid="$ANA" --regid="$ANA" --clear-groups "$S" run "$SOAR_TMP/pb/hello.lua"
contains "$err" "no data directory at $SOARCTL_DATA; run soarctl init --data $SOARCTL_DATA"
expect_exit 0 -- setpriv --reuid="$ANA" --regid="$ANA" --clear-groups "$S" init
expect_exit 0 -- setpriv --reuid="$ANA" --regid="$ANA" --clear-groups "$S" run "$SOAR_TMP/pb/hello.lua"
as_uid "$ANA" 0 -- "$S" user whoami --json
contains "$out" '"roles":"admin"'
finish
