#!/usr/bin/env bash
# soarctl secret: init makes the key file and the first admin; values only from
# stdin; list never shows values; rm, grants, rotate-key; a wrong master key is
# refused before anything changes; then no file in the data directory and no
# output of any command holds a secret value in any common encoding.
SOAR_NO_INIT=1 . "$(dirname "$0")/lib.bash"  # checks what init does
me=$(id -un 2>/dev/null || echo "uid$(id -u)")
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
contains "$out" "made OS user '$me' the first soarctl admin" "init"
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
contains "$out" "cli:$me"
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

# the master key: replaced (key file -> key file, passphrase, env, file again);
# values stay readable by a granted playbook under each; the old key opens
# nothing; a rotation cut before its rename is finished by the next open
cat > "$SOAR_TMP/phishing.lua" <<'LUA'
return { name = "phishing", run = function()
  local v = secret.get("vt.api_key")
  return { sha = crypto.sha256(v) }
end }
LUA
want_sha=$(printf '%s' "$V1" | sha256sum | cut -d' ' -f1)
readable() { # how: the environment of a reader
	run 0 -- env "$@" "$SOARCTL" run "$SOAR_TMP/phishing.lua" "${D[@]}" --json
	[ "$(json_field "$out" 'j["result"]["sha"]')" = "$want_sha" ] || fail "value after rotation ($*): $out"
}
K="$SOAR_TMP/data/master.key"
readable X=1
old_key=$(sed 's/^soarctl-master-key-v1 //' "$K")
echo junk > "$K.new"   # left by a rotation that never committed: ignored, replaced
run 0 -- "$SOARCTL" secret rotate-master "${D[@]}" --json
[ "$(json_field "$out" 'j["to"]')" = file ] || fail "rotate-master: $out"
[ "$(json_field "$out" 'j["data_keys_rewrapped"]')" = 1 ] || fail "rotate-master rewrapped: $out"
[ -e "$K.new" ] && fail "rotate-master left $K.new"
[ "$(stat -c %a "$K")" = 600 ] || fail "new key file mode"
new_key=$(sed 's/^soarctl-master-key-v1 //' "$K")
[ "$new_key" != "$old_key" ] || fail "the key file did not change"
readable X=1
SOARCTL_MASTER_KEY=$old_key run 1 -- "$SOARCTL" secret set vt.api_key "${D[@]}" < <(printf 'new')
contains "$err" "wrong master key"
# cut before the rename: the old file back in place, the new key still in .new
mv "$K" "$K.new"; printf 'soarctl-master-key-v1 %s\n' "$old_key" > "$K"; chmod 600 "$K"
readable X=1
contains "$err" "finished an interrupted master key rotation"
[ "$(sed 's/^soarctl-master-key-v1 //' "$K")" = "$new_key" ] || fail "recovery did not install the new key"
[ -e "$K.new" ] && fail "recovery left $K.new"
# to a passphrase: the key file goes; the passphrase opens, nothing else does
SOARCTL_NEW_PASSPHRASE=short run 1 -- "$SOARCTL" secret rotate-master --to passphrase "${D[@]}"
contains "$err" "shorter than 12"
SOARCTL_NEW_PASSPHRASE='correct horse battery staple' run 0 -- "$SOARCTL" secret rotate-master --to passphrase "${D[@]}" --json
[ "$(json_field "$out" 'j["keyfile_removed"]')" = True ] || fail "key file kept: $out"
[ -e "$K" ] && fail "the old key file is still there"
readable SOARCTL_PASSPHRASE='correct horse battery staple'
run 1 -- "$SOARCTL" run "$SOAR_TMP/phishing.lua" "${D[@]}" --json
SOARCTL_PASSPHRASE='wrong horse battery staple' run 1 -- "$SOARCTL" secret set vt.api_key "${D[@]}" < <(printf 'new')
contains "$err" "wrong master key"
# to a key given in the environment, then back to a key file
NEWK=$(printf '%064x' 12345)
SOARCTL_PASSPHRASE='correct horse battery staple' run 1 -- "$SOARCTL" secret rotate-master --to env "${D[@]}"
contains "$err" "SOARCTL_NEW_MASTER_KEY"
SOARCTL_PASSPHRASE='correct horse battery staple' SOARCTL_NEW_MASTER_KEY=$NEWK run 0 -- "$SOARCTL" secret rotate-master --to env "${D[@]}"
contains "$out" "SOARCTL_MASTER_KEY"
readable SOARCTL_MASTER_KEY=$NEWK
SOARCTL_PASSPHRASE='correct horse battery staple' run 1 -- "$SOARCTL" secret set vt.x "${D[@]}" < <(printf 'new')
SOARCTL_MASTER_KEY=$NEWK run 0 -- "$SOARCTL" secret rotate-master --to file "${D[@]}"
readable X=1
run 2 -- "$SOARCTL" secret rotate-master --to floppy "${D[@]}"

# the audit log has the changes, by name only
run 0 -- "$SOARCTL" audit list "${D[@]}" --json
for a in secret.set secret.grant secret.rotate-key secret.rm secret.rotate-master; do contains "$out" "\"$a\"" "audit"; done
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
