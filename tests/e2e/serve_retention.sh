#!/usr/bin/env bash
# The daemon's store upkeep from DATA/store.json: a retention pass removes the
# cases its rule lets go (closed "old" cases not updated for 2 s) and nothing
# else, compacts finished runs' journals, removes expired EDL entries, audits the
# pass by counts while alerts keep being ingested; the store checks clean and the
# audit chain verifies afterwards. A scheduled backup (every second) keeps the
# newest 2, and one of them restores. A store.json with a typo stops the start
# with the file and the setting named.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=; POSTER=
trap '[ -n "$POSTER" ] && kill "$POSTER" 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || fail "init"
TOK=$("$S" user token --label e2e 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"

# A typo is refused at start, naming the file and the setting.
echo '{"retention":{"cases":[{"type":"old","older_than":"2s","stauts":"closed"}]}}' > "$SOARCTL_DATA/store.json"
expect_exit 2 -- "$S" serve --listen 127.0.0.1:0 --playbooks "$pb"
contains "$err" "store.json: retention: cases[0]: unknown setting \"stauts\""
echo '{"backup":{"dir":"relative","schedule":"0 3 * * *"}}' > "$SOARCTL_DATA/store.json"
expect_exit 2 -- "$S" serve --listen 127.0.0.1:0 --playbooks "$pb"
contains "$err" "backup: dir is required, an absolute path"

BK="$SOAR_TMP/backups"
cat > "$SOARCTL_DATA/store.json" <<JSON
{"retention": {"cases": [{"type": "old", "status": "closed", "older_than": "2s"}],
               "journals_after": "2s", "edl_expired": true, "every": "1s", "batch": 2},
 "backup": {"dir": "$BK", "schedule": "* * * * * *", "keep": 2}}
JSON
for i in 1 2 3 4 5; do
	"$S" case new --title "old $i" --type old >/dev/null 2>&1 || fail "case new"
	"$S" case close "$i" --reason done >/dev/null 2>&1 || fail "close"
done
"$S" case new --title "old but open" --type old >/dev/null 2>&1          # 6: kept (open)
"$S" case new --title "other closed" --type keep >/dev/null 2>&1         # 7: kept (type)
"$S" case close 7 --reason done >/dev/null 2>&1
"$S" run "$SOAR_SRC/playbooks/hello.lua" --json > "$SOAR_TMP/run.json" 2>/dev/null || fail "run"
run_id=$(json_field "$(cat "$SOAR_TMP/run.json")" 'j["run_id"]')
"$S" edl add blocked 203.0.113.1 --ttl 1 >/dev/null 2>&1 || fail "edl add with expiry"
"$S" edl add blocked 203.0.113.2 >/dev/null 2>&1 || fail "edl add"

serve_start --playbooks "$pb"
# alerts keep coming while the upkeep works
(
	while [ ! -e "$SOAR_TMP/stop" ]; do
		curl -s -o /dev/null -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" \
			-d '[{"type":"fresh"},{"type":"fresh"}]'
		sleep 0.05
	done
) &
POSTER=$!

gone=
for _ in $(seq 100); do
	n=$("$S" case list --type old --status closed --json 2>/dev/null | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["cases"]))')
	[ "$n" = 0 ] && { gone=1; break; }
	sleep 0.1
done
[ -n "$gone" ] || fail "the old closed cases were not removed (left: $n)"
expect_exit 0 -- "$S" case list --json --limit 1000
numbers=$(json_field "$out" 'sorted(c["number"] for c in j["cases"] if c["type"] != "fresh")')
[ "$numbers" = "[6, 7]" ] || fail "retention left $numbers, want [6, 7] (the exact age split is unit.test_retention's)"
[ "$(json_field "$out" 'len([c for c in j["cases"] if c["type"] == "fresh"]) > 0')" = True ] ||
	fail "no alert was ingested during retention"
for _ in $(seq 50); do
	"$S" runs show "$run_id" --json 2>/dev/null | grep -q '"journal_summary":{' && break
	sleep 0.1
done
expect_exit 0 -- "$S" runs show "$run_id" --json
[ "$(json_field "$out" 'j["steps"]')" = "[]" ] || fail "journal not compacted: $out"
contains "$out" '"journal_summary":{"steps":'
contains "$(json_field "$out" 'j["run"]["status"]')" "succeeded"
expect_exit 0 -- "$S" edl show blocked
lacks "$out" "203.0.113.1" "an expired EDL entry"
contains "$out" "203.0.113.2"
expect_exit 0 -- "$S" audit list --json --last 1000
# the passes' counts add up to what went (a pass may have come before all were 2 s old)
got=$(json_field "$out" '[sum(e["details"][k] for e in j["entries"] if e["action"] == "store.retention") for k in ("cases", "runs_compacted", "edl_entries")]')
[ "$got" = "[5, 1, 1]" ] || fail "retention audit counts (cases, runs, EDL entries): $got, want [5, 1, 1]"
contains "$(cat "$SOAR_TMP/serve.log")" "retention pass: {\"cases\":"

# backups: one a second, the newest 2 kept
for _ in $(seq 100); do
	[ "$(grep -c 'scheduled backup written' "$SOAR_TMP/serve.log")" -ge 4 ] && break
	sleep 0.1
done
[ "$(grep -c 'scheduled backup written' "$SOAR_TMP/serve.log")" -ge 4 ] || fail "fewer than 4 scheduled backups"
touch "$SOAR_TMP/stop"; wait "$POSTER"; POSTER=
serve_stop || fail "daemon exit"
kept=$(ls "$BK" | grep -c '^soarctl-')
[ "$kept" = 2 ] || fail "kept $kept backups, want 2: $(ls "$BK")"
newest=$(ls "$BK" | grep '^soarctl-' | sort | tail -1)
expect_exit 0 -- "$S" restore "$BK/$newest" --data "$SOAR_TMP/restored"
expect_exit 0 -- "$S" store check
contains "$out" "store consistent"
expect_exit 0 -- "$S" audit verify
contains "$out" "audit log intact"
finish
