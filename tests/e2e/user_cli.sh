#!/usr/bin/env bash
# soarctl user: the role x action matrix through the CLI (each refusal
# audited), custom roles, the last admin kept, API tokens shown once, checked,
# revoked, expired; users acting as themselves only.
SOAR_NO_INIT=1 . "$(dirname "$0")/lib.bash"  # checks what init does
D=(--data "$SOAR_TMP/data")
# People are OS users: root (who ran init, the first admin) and uids without
# passwd entries, which soarctl names uidN (lib.bash as_uid).
if ! can_switch_uid; then echo "SKIP: needs root and setpriv to act as other OS users"; exit 0; fi
as() { local u=$1; shift; if [ "$u" = root ]; then expect_exit "$@"; else as_uid "${u#uid}" "$@"; fi; }

as root 0 -- "$SOARCTL" init "${D[@]}"
as root 0 -- "$SOARCTL" user whoami "${D[@]}" --json
[ "$(json_field "$out" 'j["roles"]')" = admin ] || fail "bootstrap admin: $out"
as root 0 -- "$SOARCTL" user add uid5001 --role analyst "${D[@]}"
as root 0 -- "$SOARCTL" user add uid5002 --role approver "${D[@]}"
as root 0 -- "$SOARCTL" user add uid5003 --role viewer "${D[@]}"
as root 0 -- "$SOARCTL" user define-role auditor audit.read,case.read "${D[@]}"
as root 0 -- "$SOARCTL" user add uid5004 --role auditor "${D[@]}"
as root 2 -- "$SOARCTL" user add x "${D[@]}"
as root 1 -- "$SOARCTL" user add uid5001 --role viewer "${D[@]}"
contains "$err" "already exists"
as root 1 -- "$SOARCTL" user add y --role root "${D[@]}"
contains "$err" "no role named 'root'"
as root 1 -- "$SOARCTL" user define-role bad case.read,case.nuke "${D[@]}"
contains "$err" "unknown permission 'case.nuke'"

# the matrix: for each action, the exit code per user (root uid5001 uid5002 uid5003 uid5004 uid5009)
n=0
matrix() {
	local want=($1); shift
	local users=(root uid5001 uid5002 uid5003 uid5004 uid5009) i
	for i in 0 1 2 3 4 5; do
		n=$((n + 1))
		as "${users[$i]}" "${want[$i]}" -- "$@"
		if [ "${want[$i]}" = 1 ] && [ $i = 5 ]; then contains "$err" "soarctl user add uid5009" "$*"
		elif [ "${want[$i]}" = 1 ]; then contains "$err" "permission denied" "${users[$i]}: $*"; fi
	done
}
matrix "2 1 1 1 1 1" "$SOARCTL" secret set m.k$((n)) "${D[@]}" < /dev/null
matrix "0 1 1 1 1 1" "$SOARCTL" secret list "${D[@]}"
matrix "0 1 1 1 1 1" "$SOARCTL" secret rotate-key "${D[@]}"
matrix "0 1 1 1 1 1" "$SOARCTL" user list "${D[@]}"
matrix "0 1 1 1 1 1" "$SOARCTL" user add newbie --role viewer "${D[@]}"
matrix "0 1 1 1 0 1" "$SOARCTL" audit list "${D[@]}"
matrix "0 1 1 1 0 1" "$SOARCTL" audit verify "${D[@]}"
matrix "0 1 1 1 0 1" "$SOARCTL" audit checkpoint "${D[@]}"
matrix "0 0 0 0 0 1" "$SOARCTL" user whoami "${D[@]}"
matrix "0 0 0 0 0 0" "$SOARCTL" user roles "${D[@]}"
# (root passes the check for secret set; its empty stdin is then a usage error, 2)
as uid5009 1 -- "$SOARCTL" user whoami "${D[@]}"
contains "$err" "soarctl user add uid5009 --role viewer"

# every refusal above is in the audit log, with who and which permission
as root 0 -- "$SOARCTL" audit list --last 500 "${D[@]}" --json
denied=$(json_field "$out" 'len([e for e in j["entries"] if e["action"] == "access.denied"])')
[ "$denied" -ge 35 ] || fail "refusals audited: $denied"
contains "$out" '"actor":"cli:uid5003","action":"access.denied","object":"secret set","details":{"permission":"secret.write"}'

# roles change rights at once; the last admin stays
as root 0 -- "$SOARCTL" user role uid5003 analyst,approver "${D[@]}"
as root 0 -- "$SOARCTL" user whoami "${D[@]}"
as uid5003 0 -- "$SOARCTL" user whoami "${D[@]}" --json
contains "$out" "prompt.answer"
as root 1 -- "$SOARCTL" user role root viewer "${D[@]}"
contains "$err" "last user who can manage users"
as root 1 -- "$SOARCTL" user role nobody viewer "${D[@]}"

# tokens: your own without user.manage; others' only with it
as uid5001 0 -- "$SOARCTL" user token --label laptop "${D[@]}"
tok=$out
contains "$err" "shown once"
[ "${#tok}" = 65 ] || fail "token shape: $tok"
as uid5001 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$tok"
[ "$out" = uid5001 ] || fail "token-check: $out"
as uid5001 1 -- "$SOARCTL" user token uid5003 "${D[@]}"
contains "$err" "permission denied"
as uid5001 0 -- "$SOARCTL" user tokens uid5001 "${D[@]}" --json
id=$(json_field "$out" 'j["tokens"][0]["id"]')
lacks "$out" "${tok:22}" "tokens list"
as uid5003 1 -- "$SOARCTL" user revoke "$id" "${D[@]}"
as uid5001 0 -- "$SOARCTL" user revoke "$id" "${D[@]}"
as uid5001 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$tok"
contains "$err" "revoked"
as root 0 -- "$SOARCTL" user token uid5003 --expires 1m --json "${D[@]}"
vt=$(json_field "$out" 'j["token"]')
as uid5010 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt"
[ "$out" = uid5003 ] || fail "token-check uid5003: $out"
as uid5010 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"${vt:0:60}AAAAA"
contains "$err" "invalid API token"
as root 2 -- "$SOARCTL" user token uid5003 --expires 5y "${D[@]}"
as root 2 -- "$SOARCTL" user revoke nothex "${D[@]}"
as root 1 -- "$SOARCTL" user revoke 0000000000000000 "${D[@]}"
# disable, enable, remove: only user.manage; tokens fail while disabled and
# are revoked on removal; the last admin cannot be disabled or removed
as root 0 -- "$SOARCTL" user token uid5003 --label phone --expires never "${D[@]}"
vt2=$out
as uid5010 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
as uid5001 1 -- "$SOARCTL" user disable uid5003 "${D[@]}"
contains "$err" "permission denied"
as root 0 -- "$SOARCTL" user disable uid5003 "${D[@]}"
as uid5010 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
contains "$err" "disabled"
as root 0 -- "$SOARCTL" user list --json "${D[@]}"
[ "$(json_field "$out" '[u["disabled"] for u in (j["users"] if isinstance(j, dict) else j) if u["name"] == "uid5003"][0]')" = True ] || fail "uid5003 not listed as disabled: $out"
as root 0 -- "$SOARCTL" user enable uid5003 "${D[@]}"
as uid5010 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
[ "$out" = uid5003 ] || fail "token works again after enable: $out"
as root 1 -- "$SOARCTL" user disable root "${D[@]}"
contains "$err" "last user who can manage users"
as root 1 -- "$SOARCTL" user remove root "${D[@]}"
contains "$err" "last user who can manage users"
as root 1 -- "$SOARCTL" user remove nobody "${D[@]}"
contains "$err" "no user named"
as root 0 -- "$SOARCTL" user remove uid5003 --json "${D[@]}"
contains "$out" '"removed":true'
as uid5010 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
# a new user of the same name does not inherit the old tokens
as root 0 -- "$SOARCTL" user add uid5003 --role viewer "${D[@]}"
as uid5010 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
contains "$err" "revoked"
as root 0 -- "$SOARCTL" audit list --json "${D[@]}"
contains "$out" "user.disable"
contains "$out" "user.remove"
# the store holds no token
if grep -rqaF -e "${vt:22}" -e "${tok:22}" "$SOAR_TMP/data"; then fail "a token is stored in clear"; fi
checks=$((checks + 1))
as root 0 -- "$SOARCTL" audit verify "${D[@]}"
finish
