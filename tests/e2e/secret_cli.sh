#!/usr/bin/env bash
# soarctl secret: init makes the key file and the first admin; values only from
# stdin; list never shows values; rm, grants, rotate-key; a wrong master key is
# refused before anything changes; then no file in the data directory and no
# output of any command holds a secret value in any common encoding.
. "$(dirname "$0")/lib.bash"
export USER=secadmin
D=(--data "$SOAR_TMP/data")
LOG="$SOAR_TMP/all-output.log"
: > "$LOG"
run() { expect_exit "$@"; printf '%s\n%s\n' "$out" "$err" >> "$LOG"; }
V1='vt-4f9a1c-TOPSECRET-value/with+chars='
V2='smtp pass "quoted" & spaced'

run 0 -- "$SOARCTL" secret --help
contains "$out" "Never give it on the command line" "help"
run 2 -- "$SOARCTL" secret "${D[@]}"
run 0 -- "$SOARCTL" init "${D[@]}"
contains "$out" "master key file" "init"
contains "$out" "made OS user 'secadmin' the first soarctl admin" "init"
[ "$(stat -c %a "$SOAR_TMP/data/master.key")" = 600 ] || fail "key file mode"
run 0 -- "$SOARCTL" init "${D[@]}"
lacks "$out" "master key file" "second init"

# values from stdin only
run 0 -- "$SOARCTL" secret set vt.api_key "${D[@]}" < <(printf '%s' "$V1")
contains "$out" "stored vt.api_key (${#V1} bytes)"
run 0 -- "$SOARCTL" secret set mail.password "${D[@]}" --json < <(printf '%s\n' "$V2")
[ "$(json_field "$out" 'j["size"]')" = "${#V2}" ] || fail "trailing newline kept: $out"
run 2 -- "$SOARCTL" secret set vt.other "${D[@]}" "$V1"
contains "$err" "never from the command line"
run 2 -- "$SOARCTL" secret set vt.empty "${D[@]}" < <(printf '')
contains "$err" "empty"
run 2 -- "$SOARCTL" secret set BadName "${D[@]}" < <(printf 'x')
contains "$err" "integration.key"

# list: names, who, when; never values
run 0 -- "$SOARCTL" secret list "${D[@]}"
contains "$out" "vt.api_key"
contains "$out" "cli:secadmin"
run 0 -- "$SOARCTL" secret list "${D[@]}" --json
[ "$(json_field "$out" 'len(j["secrets"])')" = 2 ] || fail "list --json: $out"
[ "$(json_field "$out" 'j["secrets"][1]["key_id"]')" = 1 ] || fail "key id: $out"

# grants
run 0 -- "$SOARCTL" secret grant vt.api_key --playbook phishing "${D[@]}"
run 1 -- "$SOARCTL" secret grant vt.nothing --playbook phishing "${D[@]}"
contains "$err" "no secret named vt.nothing"
run 0 -- "$SOARCTL" secret grants "${D[@]}" --json
[ "$(json_field "$out" 'j["grants"][0]["playbook"]')" = phishing ] || fail "grants: $out"

# rotation: every value under the new key, old key gone
run 0 -- "$SOARCTL" secret rotate-key "${D[@]}" --json
[ "$(json_field "$out" 'j["reencrypted"]')" = 2 ] || fail "rotate: $out"
[ "$(json_field "$out" 'j["retired"]')" = 1 ] || fail "rotate retired: $out"
run 0 -- "$SOARCTL" secret list "${D[@]}" --json
[ "$(json_field "$out" '[s["key_id"] for s in j["secrets"]]')" = "[2, 2]" ] || fail "after rotate: $out"

# wrong master key: refused, nothing changed (the audit log did not grow)
run 0 -- "$SOARCTL" audit checkpoint "${D[@]}"
before=$out
SOARCTL_MASTER_KEY=$(printf '%064d' 7) run 1 -- "$SOARCTL" secret set vt.api_key "${D[@]}" < <(printf 'new')
contains "$err" "wrong master key"
contains "$err" "Nothing was read or changed"
SOARCTL_MASTER_KEY=$(printf '%064d' 7) run 1 -- "$SOARCTL" secret rm vt.api_key "${D[@]}"
SOARCTL_MASTER_KEY=$(printf '%064d' 7) run 1 -- "$SOARCTL" secret rotate-key "${D[@]}"
chmod 644 "$SOAR_TMP/data/master.key"
run 1 -- "$SOARCTL" secret set vt.api_key "${D[@]}" < <(printf 'new')
contains "$err" "chmod 600"
chmod 600 "$SOAR_TMP/data/master.key"
run 0 -- "$SOARCTL" audit checkpoint "${D[@]}"
[ "$out" = "$before" ] || fail "a refused command changed the audit log: $before -> $out"

# rm
run 0 -- "$SOARCTL" secret rm mail.password "${D[@]}"
run 1 -- "$SOARCTL" secret rm mail.password "${D[@]}"
contains "$err" "no secret named mail.password"
run 0 -- "$SOARCTL" secret grants "${D[@]}" --json

# the audit log has the changes, by name only
run 0 -- "$SOARCTL" audit list "${D[@]}" --json
for a in secret.set secret.grant secret.rotate-key secret.rm; do contains "$out" "\"$a\"" "audit"; done
run 0 -- "$SOARCTL" audit verify "${D[@]}"

# nowhere a value: data directory, every output, in raw, base64 and URL forms
forms() {
	printf '%s\n' "$1"
	printf '%s' "$1" | base64 -w0; echo
	printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; echo
	python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}
for v in "$V1" "$V2"; do
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		checks=$((checks + 1))
		if grep -rqaF -e "$f" "$SOAR_TMP/data" "$LOG"; then
			fail "secret form found on disk or in output: $f"
		fi
	done < <(forms "$v")
done
finish
