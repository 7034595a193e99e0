#!/usr/bin/env bash
# soarctl user: the role x action matrix through the CLI (each refusal
# audited), custom roles, the last admin kept, API tokens shown once, checked,
# revoked, expired; users acting as themselves only.
. "$(dirname "$0")/lib.bash"
D=(--data "$SOAR_TMP/data")
as() { local u=$1; shift; USER=$u expect_exit "$@"; }

as boss 0 -- "$SOARCTL" init "${D[@]}"
as boss 0 -- "$SOARCTL" user whoami "${D[@]}" --json
[ "$(json_field "$out" 'j["roles"]')" = admin ] || fail "bootstrap admin: $out"
as boss 0 -- "$SOARCTL" user add ana --role analyst "${D[@]}"
as boss 0 -- "$SOARCTL" user add apr --role approver "${D[@]}"
as boss 0 -- "$SOARCTL" user add vic --role viewer "${D[@]}"
as boss 0 -- "$SOARCTL" user define-role auditor audit.read,case.read "${D[@]}"
as boss 0 -- "$SOARCTL" user add aud --role auditor "${D[@]}"
as boss 2 -- "$SOARCTL" user add x "${D[@]}"
as boss 1 -- "$SOARCTL" user add ana --role viewer "${D[@]}"
contains "$err" "already exists"
as boss 1 -- "$SOARCTL" user add y --role root "${D[@]}"
contains "$err" "no role named 'root'"
as boss 1 -- "$SOARCTL" user define-role bad case.read,case.nuke "${D[@]}"
contains "$err" "unknown permission 'case.nuke'"

# the matrix: for each action, the exit code per user (boss ana apr vic aud stranger)
n=0
matrix() {
	local want=($1); shift
	local users=(boss ana apr vic aud stranger) i
	for i in 0 1 2 3 4 5; do
		n=$((n + 1))
		as "${users[$i]}" "${want[$i]}" -- "$@"
		if [ "${want[$i]}" = 1 ] && [ $i = 5 ]; then contains "$err" "soarctl user add stranger" "$*"
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
# (boss passes the check for secret set; its empty stdin is then a usage error, 2)
as stranger 1 -- "$SOARCTL" user whoami "${D[@]}"
contains "$err" "soarctl user add stranger --role viewer"

# every refusal above is in the audit log, with who and which permission
as boss 0 -- "$SOARCTL" audit list --last 500 "${D[@]}" --json
denied=$(json_field "$out" 'len([e for e in j["entries"] if e["action"] == "access.denied"])')
[ "$denied" -ge 35 ] || fail "refusals audited: $denied"
contains "$out" '"actor":"cli:vic","action":"access.denied","object":"secrets","details":{"permission":"secret.write"}'

# roles change rights at once; the last admin stays
as boss 0 -- "$SOARCTL" user role vic analyst,approver "${D[@]}"
as boss 0 -- "$SOARCTL" user whoami "${D[@]}"
as vic 0 -- "$SOARCTL" user whoami "${D[@]}" --json
contains "$out" "prompt.answer"
as boss 1 -- "$SOARCTL" user role boss viewer "${D[@]}"
contains "$err" "last user who can manage users"
as boss 1 -- "$SOARCTL" user role nobody viewer "${D[@]}"

# tokens: your own without user.manage; others' only with it
as ana 0 -- "$SOARCTL" user token --label laptop "${D[@]}"
tok=$out
contains "$err" "shown once"
[ "${#tok}" = 65 ] || fail "token shape: $tok"
as ana 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$tok"
[ "$out" = ana ] || fail "token-check: $out"
as ana 1 -- "$SOARCTL" user token vic "${D[@]}"
contains "$err" "permission denied"
as ana 0 -- "$SOARCTL" user tokens ana "${D[@]}" --json
id=$(json_field "$out" 'j["tokens"][0]["id"]')
lacks "$out" "${tok:22}" "tokens list"
as vic 1 -- "$SOARCTL" user revoke "$id" "${D[@]}"
as ana 0 -- "$SOARCTL" user revoke "$id" "${D[@]}"
as ana 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$tok"
contains "$err" "revoked"
as boss 0 -- "$SOARCTL" user token vic --expires 1m --json "${D[@]}"
vt=$(json_field "$out" 'j["token"]')
as anyone 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt"
[ "$out" = vic ] || fail "token-check vic: $out"
as anyone 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"${vt:0:60}AAAAA"
contains "$err" "invalid API token"
as boss 2 -- "$SOARCTL" user token vic --expires 5y "${D[@]}"
as boss 2 -- "$SOARCTL" user revoke nothex "${D[@]}"
as boss 1 -- "$SOARCTL" user revoke 0000000000000000 "${D[@]}"
# disable, enable, remove: only user.manage; tokens fail while disabled and
# are revoked on removal; the last admin cannot be disabled or removed
as boss 0 -- "$SOARCTL" user token vic --label phone --expires never "${D[@]}"
vt2=$out
as anyone 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
as ana 1 -- "$SOARCTL" user disable vic "${D[@]}"
contains "$err" "permission denied"
as boss 0 -- "$SOARCTL" user disable vic "${D[@]}"
as anyone 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
contains "$err" "disabled"
as boss 0 -- "$SOARCTL" user list --json "${D[@]}"
[ "$(json_field "$out" '[u["disabled"] for u in (j["users"] if isinstance(j, dict) else j) if u["name"] == "vic"][0]')" = True ] || fail "vic not listed as disabled: $out"
as boss 0 -- "$SOARCTL" user enable vic "${D[@]}"
as anyone 0 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
[ "$out" = vic ] || fail "token works again after enable: $out"
as boss 1 -- "$SOARCTL" user disable boss "${D[@]}"
contains "$err" "last user who can manage users"
as boss 1 -- "$SOARCTL" user remove boss "${D[@]}"
contains "$err" "last user who can manage users"
as boss 1 -- "$SOARCTL" user remove nobody "${D[@]}"
contains "$err" "no user named"
as boss 0 -- "$SOARCTL" user remove vic --json "${D[@]}"
contains "$out" '"removed":true'
as anyone 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
# a new user of the same name does not inherit the old tokens
as boss 0 -- "$SOARCTL" user add vic --role viewer "${D[@]}"
as anyone 1 -- "$SOARCTL" user token-check "${D[@]}" <<<"$vt2"
contains "$err" "revoked"
as boss 0 -- "$SOARCTL" audit list --json "${D[@]}"
contains "$out" "user.disable"
contains "$out" "user.remove"
# the store holds no token
if grep -rqaF -e "${vt:22}" -e "${tok:22}" "$SOAR_TMP/data"; then fail "a token is stored in clear"; fi
checks=$((checks + 1))
as boss 0 -- "$SOARCTL" audit verify "${D[@]}"
finish
