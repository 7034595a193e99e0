#!/usr/bin/env bash
# soarctl case / indicator: the lifecycle, --json shapes, bad input refused with
# a clear error and nothing half-written, and the CLI writing while another
# process writes.
. "$(dirname "$0")/lib.bash"
D=(--data "$SOAR_TMP/data")

expect_exit 0 -- "$SOARCTL" case --help
contains "$out" "Status changes allowed"
expect_exit 0 -- "$SOARCTL" indicator --help
contains "$out" "IDNA2008 A-labels"
expect_exit 2 -- "$SOARCTL" case
expect_exit 2 -- "$SOARCTL" case frobnicate "${D[@]}"

# create, dedupe, child
expect_exit 0 -- "$SOARCTL" case new "${D[@]}" --json --title "SSH brute force" --severity high \
	--labels ssh,dmz --owner alice --sla-due +4h --sla-pause-pending true \
	--custom '{"src":"203.0.113.9"}' --source '{"alert":{"id":7}}' --dedupe-key ip:203.0.113.9
[ "$(json_field "$out" 'j["number"]')" = 1 ] || fail "first case number: $out"
[ "$(json_field "$out" 'j["custom"]["src"]')" = 203.0.113.9 ] || fail "custom: $out"
[ "$(json_field "$out" 'j["sla"]["breached"]')" = False ] || fail "sla: $out"
expect_exit 0 -- "$SOARCTL" case new "${D[@]}" --json --title "again" --dedupe-key ip:203.0.113.9
[ "$(json_field "$out" 'j["deduped"]')" = True ] || fail "dedupe: $out"
[ "$(json_field "$out" 'j["number"]')" = 1 ] || fail "dedupe number: $out"
expect_exit 0 -- "$SOARCTL" case new "${D[@]}" --title "Tune IDS signature" --parent '#1' \
	--role ids-team --type tuning
contains "$out" "created case #2"

# bad input: clear errors, exit 2, nothing written
expect_exit 2 -- "$SOARCTL" case new "${D[@]}" --title x --colour red
contains "$err" "unknown option '--colour'"
expect_exit 2 -- "$SOARCTL" case new "${D[@]}" --title x --severity urgent
contains "$err" "bad severity 'urgent'"
expect_exit 2 -- "$SOARCTL" case new "${D[@]}" --title x --custom '{"a":'
contains "$err" "custom is not valid JSON"
# One JSON reader everywhere: a key twice or a number no double holds is refused.
expect_exit 2 -- "$SOARCTL" case new "${D[@]}" --title x --source '{"severity":"low","severity":"critical"}'
contains "$err" 'source is not valid JSON: duplicate key "severity" in $ (keys must be unique) at offset 18'
expect_exit 2 -- "$SOARCTL" case new "${D[@]}" --title x --custom '{"score":1e999999}'
contains "$err" 'custom is not valid JSON: number out of range (not finite as a double) in $.score at offset 9'
expect_exit 2 -- "$SOARCTL" case new "${D[@]}" --severity low
contains "$err" "needs --title"
expect_exit 1 -- "$SOARCTL" case new "${D[@]}" --title x --parent 99
contains "$err" "not found"
expect_exit 0 -- "$SOARCTL" case list "${D[@]}" --json
[ "$(json_field "$out" 'len(j["cases"])')" = 2 ] || fail "bad input wrote something: $out"

# transitions
expect_exit 0 -- "$SOARCTL" case update "${D[@]}" 1 --status pending --labels +urgent,-dmz
contains "$out" "[pending]"
expect_exit 1 -- "$SOARCTL" case update "${D[@]}" 1 --status new
contains "$err" "cannot go from pending to new"
expect_exit 1 -- "$SOARCTL" case update "${D[@]}" 1 --dedupe-key other
contains "$err" "only be set when a case is created"

# timeline: notes, attachment (and the size limit), link, indicator
expect_exit 0 -- "$SOARCTL" case note "${D[@]}" 1 "checked the firewall logs"
printf 'line one\nline two\n' > "$SOAR_TMP/evidence.txt"
expect_exit 0 -- "$SOARCTL" case attach "${D[@]}" 1 "$SOAR_TMP/evidence.txt" --json
sha=$(json_field "$out" 'j["sha256"]')
[ "$sha" = "$(sha256sum "$SOAR_TMP/evidence.txt" | cut -d' ' -f1)" ] || fail "sha256: $sha"
head -c 2048 /dev/zero > "$SOAR_TMP/big.bin"
expect_exit 2 -- env SOARCTL_BLOB_MAX=1024 "$SOARCTL" case attach "${D[@]}" 1 "$SOAR_TMP/big.bin"
contains "$err" "the limit is"
expect_exit 0 -- "$SOARCTL" case link "${D[@]}" 1 2 --relation related
expect_exit 1 -- "$SOARCTL" case link "${D[@]}" 1 2 --relation parent
contains "$err" "cycle"
expect_exit 0 -- "$SOARCTL" indicator set "${D[@]}" ipv4 203.0.113.9 --verdict malicious --score 90 \
	--source abuseipdb --tag scanner --case 1 --json
[ "$(json_field "$out" 'j["cases"]')" = "[1]" ] || fail "indicator cases: $out"
expect_exit 2 -- "$SOARCTL" indicator set "${D[@]}" ipv4 999.0.0.1 --verdict malicious
contains "$err" "invalid ipv4"
expect_exit 0 -- "$SOARCTL" indicator set "${D[@]}" domain Bücher.de --json
[ "$(json_field "$out" 'j["value"]')" = xn--bcher-kva.de ] || fail "IDN to punycode: $out"
# NFD and full-width spellings of one name are one indicator
expect_exit 0 -- "$SOARCTL" indicator set "${D[@]}" domain $'BU\xcc\x88cher.de' --json
[ "$(json_field "$out" 'j["value"]')" = xn--bcher-kva.de ] || fail "NFD: $out"
expect_exit 0 -- "$SOARCTL" indicator get "${D[@]}" domain $'\xef\xbd\x82\xc3\xbc\xef\xbd\x83\xef\xbd\x88\xef\xbd\x85\xef\xbd\x92\xef\xbc\x8e\xef\xbd\x84\xef\xbd\x85' --json
[ "$(json_field "$out" 'j["value"]')" = xn--bcher-kva.de ] || fail "full width: $out"
expect_exit 2 -- "$SOARCTL" indicator set "${D[@]}" domain xn--n3h.com
contains "$err" "disallowed character"
expect_exit 2 -- "$SOARCTL" indicator set "${D[@]}" domain $'b\xfccher.de'
contains "$err" "not valid UTF-8"
expect_exit 1 -- "$SOARCTL" indicator get "${D[@]}" ipv4 10.9.9.9
expect_exit 0 -- "$SOARCTL" indicator set "${D[@]}" cidr 10.1.2.3/8 --verdict benign
contains "$out" "10.0.0.0/8"
expect_exit 0 -- "$SOARCTL" indicator list "${D[@]}" --verdict malicious --json
[ "$(json_field "$out" 'j["indicators"][0]["value"]')" = 203.0.113.9 ] || fail "list: $out"

# show: text (no colours when not a tty) and JSON
expect_exit 0 -- "$SOARCTL" case show "${D[@]}" 1
contains "$out" "SSH brute force"
contains "$out" "Timeline"
contains "$out" "checked the firewall logs"
contains "$out" "evidence.txt"
contains "$out" "ipv4:203.0.113.9"
lacks "$out" $'\033['
# long timeline text wraps to the width ($COLUMNS when not a terminal; the text
# column is at least 30 wide), at spaces
long="the scanner came back every ninety seconds from three addresses in the same /24 so blocking at the edge is recommended until the owner of the range answers our abuse report"
expect_exit 0 -- "$SOARCTL" case note "${D[@]}" 1 "$long"
expect_exit 0 -- env COLUMNS=90 "$SOARCTL" case show "${D[@]}" 1
python3 - "$out" "$long" <<'PY' || fail "case show did not wrap to 90 columns: $out"
import sys
out, words = sys.argv[1], sys.argv[2].split()
long_lines = [l for l in out.splitlines() if len(l) > 90]
assert not long_lines, long_lines
text = " ".join(l[56:].strip() for l in out.splitlines() if len(l) > 56)
assert " ".join(words) in text, text
PY
lacks "$out" $'\033['
expect_exit 0 -- "$SOARCTL" case show "${D[@]}" 1 --json
[ "$(json_field "$out" 'j["case"]["labels"]')" = "['ssh', 'urgent']" ] || fail "labels: $out"
[ "$(json_field "$out" '[e["kind"] for e in j["timeline"]][:3]')" = "['created', 'link', 'status']" ] \
	|| fail "timeline kinds: $out"
expect_exit 0 -- "$SOARCTL" case children "${D[@]}" 1 --json
[ "$(json_field "$out" '[c["number"] for c in j["cases"]]')" = "[2]" ] || fail "children: $out"

# close; dedupe key is free again
expect_exit 2 -- "$SOARCTL" case close "${D[@]}" 1
expect_exit 0 -- "$SOARCTL" case close "${D[@]}" 1 --reason "blocked at the edge"
expect_exit 0 -- "$SOARCTL" case new "${D[@]}" --json --title "again" --dedupe-key ip:203.0.113.9
[ "$(json_field "$out" 'j["number"]')" = 3 ] || fail "new case after close: $out"
expect_exit 0 -- "$SOARCTL" case list "${D[@]}" --status open --severity medium --json
[ "$(json_field "$out" '[c["number"] for c in j["cases"]]')" = "[3, 2]" ] || fail "filtered list: $out"

# paging through the CLI
for i in 1 2 3 4 5; do "$SOARCTL" case new "${D[@]}" --title "page $i" --type paging >/dev/null; done
expect_exit 0 -- "$SOARCTL" case list "${D[@]}" --type paging --limit 2 --json
cur=$(json_field "$out" 'j["next"]')
expect_exit 0 -- "$SOARCTL" case list "${D[@]}" --type paging --limit 10 --cursor "$cur" --json
[ "$(json_field "$out" 'len(j["cases"])')" = 3 ] || fail "second page: $out"

# two processes at once: a loop of CLI creates while another CLI loop writes
( for i in $(seq 1 30); do "$SOARCTL" case new "${D[@]}" --title "bg $i" --type bg >/dev/null || echo "bg $i failed"; done ) > "$SOAR_TMP/bg.log" 2>&1 &
bg=$!
for i in $(seq 1 30); do
	"$SOARCTL" case new "${D[@]}" --title "fg $i" --type fg >/dev/null || fail "fg create $i"
	"$SOARCTL" case note "${D[@]}" 1 "fg note $i" >/dev/null || fail "fg note $i"
done
wait $bg
[ -s "$SOAR_TMP/bg.log" ] && fail "background writer: $(cat "$SOAR_TMP/bg.log")"
expect_exit 0 -- "$SOARCTL" case list "${D[@]}" --type bg --limit 100 --json
[ "$(json_field "$out" 'len(j["cases"])')" = 30 ] || fail "bg cases"
expect_exit 0 -- "$SOARCTL" case check "${D[@]}" --json
[ "$(json_field "$out" 'j["cases"]')" = 68 ] || fail "case count: $out"

# a playbook's writes name the playbook and the run as actor
cat > "$SOAR_TMP/actor.lua" <<'LUA'
return {
  name = "actor_check", version = "1.0.0", description = "creates a case",
  run = function()
    local c = case.create{ title = "from a playbook" }
    case.note(c.number, "noted by the playbook")
    return { number = c.number }
  end,
}
LUA
expect_exit 0 -- "$SOARCTL" run "${D[@]}" "$SOAR_TMP/actor.lua" --json
run_id=$(json_field "$out" 'j["run_id"]')
num=$(json_field "$out" 'j["result"]["number"]')
expect_exit 0 -- "$SOARCTL" case show "${D[@]}" "$num" --json
[ "$(json_field "$out" 'sorted(set(e["actor"] for e in j["timeline"]))')" = "['playbook:actor_check run:$run_id']" ] \
	|| fail "playbook actor (run $run_id): $out"

# Custom fields that are not UTF-8 are refused, with the byte.
expect_exit 2 -- "$SOARCTL" case new --title utf --type t --custom "$(printf '{"a":"\377"}')"
contains "$err" "invalid UTF-8"

finish
