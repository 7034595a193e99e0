#!/usr/bin/env bash
# The web dashboard over plain HTTP (curl): sign-in and its cookie, the CSRF
# token on every POST, the same roles as the API (a viewer cannot close a
# case), hostile text shown as text, overview counts equal to the store's, a
# filter narrowing the case list, a prompt answered from the page and the run
# going on, server-sent events for new cases, minutes saved. The browser test
# (dashboard_browser.sh) drives the same pages in Chromium.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null | tail -1)
"$S" user add u_viewer --role viewer >/dev/null 2>&1 || fail "user add viewer"
VTOK=$("$S" user token u_viewer --label v 2>/dev/null | tail -1)

cat > "$pb/approve.lua" <<'LUA'
return {
  name = "approve", triggers = { { type = "approval" } },
  minutes_saved = 7, minutes_to_build = 14,
  run = function()
    local a = prompt.ask{ question = "Block <b>it</b>?", options = { "yes", "no" } }
    return { answer = a.value }
  end,
}
LUA
cat > "$pb/quick.lua" <<'LUA'
return { name = "quick", triggers = { { type = "quick" } }, minutes_saved = 5,
  form = { title = "Quick <i>check</i>", roles = { "analyst", "responder" } },
  inputs = { level = { type = "string", default = "<b>x</b>", description = "how loud" } },
  run = function() return { ok = true } end }
LUA
serve_start --playbooks "$pb"

code() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2 ($(head -c 300 "$SOAR_TMP/body"))"; }
api() { curl -s -H "Authorization: Bearer $TOK" "$@"; }
csrf_of() { sed -n 's/.*<meta name=csrf content="\([^"]*\)".*/\1/p' "$SOAR_TMP/body" | head -1; }
# card ID: the number in the overview's card of that id
card() { "$PY" -c '
import re, sys
m = re.search(r"id=\"%s\"><b>([^<]*)</b>" % re.escape(sys.argv[1]), open(sys.argv[2]).read())
print(m.group(1) if m else "missing")' "$1" "$SOAR_TMP/body"; }
JAR="$SOAR_TMP/jar"; VJAR="$SOAR_TMP/vjar"

# ---- signed out: pages send to the sign-in, actions are refused ----
is "$(code "$A/")" 303 "GET / signed out"
curl -s -D - -o /dev/null "$A/ui/cases" | grep -qi '^Location: /ui/login' || fail "no redirect to /ui/login"
is "$(code -X POST -d reason=x "$A/ui/cases/1/close")" 401 "POST signed out"
is "$(code -b "soar_session=$(printf '%064d' 7)" "$A/")" 303 "forged session id"
is "$(code "$A/ui/login")" 200 "sign-in page"
is "$(code "$A/ui/assets/style.css")" 200 "stylesheet"
is "$(code "$A/ui/assets/login.html")" 404 "the template is not an asset"
is "$(code -d "token=soar_0000000000000000_nope" "$A/ui/login")" 401 "sign-in with a bad token"
is "$(code -d "nothing=1" "$A/ui/login")" 400 "sign-in without a token"
is "$(code -H "Origin: http://evil.example" -d "token=$TOK" "$A/ui/login")" 403 "sign-in posted from another site"
lacks "$(curl -s -D - -o /dev/null -H "Origin: http://evil.example" -d "token=$TOK" "$A/ui/login")" "Set-Cookie" "cross-site sign-in"

# ---- sign in: the cookie is HttpOnly, SameSite=Strict and holds no token ----
hdrs=$(curl -s -D - -o /dev/null -c "$JAR" -d "token=$TOK" "$A/ui/login")
contains "$hdrs" "303" "sign-in answer"
setc=$(printf '%s' "$hdrs" | grep -i '^Set-Cookie:')
contains "$setc" "HttpOnly" "cookie"
contains "$setc" "SameSite=Strict" "cookie"
lacks "$setc" "${TOK#soar_}" "cookie"
lacks "$(cat "$JAR")" "${TOK#soar_}" "cookie jar"
curl -s -o /dev/null -c "$VJAR" -d "token=$VTOK" "$A/ui/login"

# ---- cases: a hostile title, several types and severities, runs ----
hostile='<script>alert(1)</script><img src=x onerror=alert(2)>'
api -X POST "$A/api/v1/cases" -d "$("$PY" -c 'import json,sys; print(json.dumps({"title":sys.argv[1],"type":"phishing","severity":"critical"}))' "$hostile")" >/dev/null
for i in 1 2 3; do api -X POST "$A/api/v1/cases" -d "{\"title\":\"malware $i\",\"type\":\"malware\",\"severity\":\"low\"}" >/dev/null; done
api -X POST "$A/api/v1/cases" -d '{"title":"needle in a haystack","type":"phishing","severity":"medium"}' >/dev/null
api -X POST "$A/api/v1/alerts" -d '[{"type":"quick"},{"type":"quick"},{"type":"quick"},{"type":"approval"}]' >/dev/null
for _ in $(seq 200); do
	n=$("$S" runs list --json --limit 100 | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(sum(1 for x in r if x["status"] in ("succeeded","waiting")))')
	[ "$n" = 4 ] && break; sleep 0.05
done
[ "$n" = 4 ] || fail "runs did not settle: $("$S" runs list)"

# ---- overview: counts equal the store's ----
is "$(code -b "$JAR" "$A/")" 200 "overview"
store_counts=$("$S" case list --json --limit 1000 | "$PY" -c '
import json, sys
c = json.load(sys.stdin)
c = c["cases"] if isinstance(c, dict) else c
print(len(c), sum(1 for x in c if x["status"] != "closed"), sum(1 for x in c if x["severity"] == "critical"),
      sum(1 for x in c if x["severity"] == "low"))')
read -r total open crit low <<<"$store_counts"
is "$(card count-total)" "$total" "overview total"
is "$(card count-open)" "$open" "overview open"
is "$(card count-sev-critical)" "$crit" "overview critical"
is "$(card count-sev-low)" "$low" "overview low"
[ "$total" -ge 9 ] || fail "expected at least 9 cases, store has $total"
# minutes saved: 3 quick runs x 5 min (the approve run waits: nothing yet)
is "$(card saved-month)" "15.0 min" "minutes saved this month"
grep -q '<table id=roi>' "$SOAR_TMP/body" || fail "no ROI table"
grep -q '<svg id="chart-severity"' "$SOAR_TMP/body" || fail "no severity chart"
grep -q 'Block &lt;b&gt;it&lt;/b&gt;?' "$SOAR_TMP/body" || fail "the open prompt is not on the overview (escaped)"
size=$(stat -c %s "$SOAR_TMP/body"); [ "$size" -lt 300000 ] || fail "overview is $size bytes"
lacks "$(cat "$SOAR_TMP/body")" "<script>alert" "overview"
CSRF=$(csrf_of)
[ ${#CSRF} = 43 ] || fail "no CSRF token on the page: '$CSRF'"

# ---- the case list: hostile text as text, filters narrow ----
is "$(code -b "$JAR" "$A/ui/cases")" 200 "case list"
lacks "$(cat "$SOAR_TMP/body")" "<script>alert" "case list"
lacks "$(cat "$SOAR_TMP/body")" "<img src=x" "case list"
contains "$(cat "$SOAR_TMP/body")" "&lt;script&gt;alert(1)&lt;/script&gt;" "case list"
all_rows=$(grep -o '<tr><td><a href="/ui/cases/' "$SOAR_TMP/body" | wc -l)
is "$(code -b "$JAR" "$A/ui/cases?type=malware")" 200 "filter by type"
mal_rows=$(grep -o '<tr><td><a href="/ui/cases/' "$SOAR_TMP/body" | wc -l)
is "$mal_rows" 3 "malware rows"
[ "$mal_rows" -lt "$all_rows" ] || fail "the type filter did not narrow ($mal_rows of $all_rows)"
lacks "$(cat "$SOAR_TMP/body")" "needle" "malware list"
code -b "$JAR" "$A/ui/cases?q=NEEDLE" >/dev/null
is "$(grep -o '<tr><td><a href="/ui/cases/' "$SOAR_TMP/body" | wc -l)" 1 "text search rows"
contains "$(cat "$SOAR_TMP/body")" "needle in a haystack" "text search"
code -b "$JAR" "$A/ui/cases?severity=critical&status=open" >/dev/null
is "$(grep -o '<tr><td><a href="/ui/cases/' "$SOAR_TMP/body" | wc -l)" 1 "critical open rows"

# ---- the case page ----
is "$(code -b "$JAR" "$A/ui/cases/1")" 200 "case page"
lacks "$(cat "$SOAR_TMP/body")" "<script>alert" "case page"
grep -q '<table id=timeline>' "$SOAR_TMP/body" || fail "no timeline"
is "$(code -b "$JAR" "$A/ui/cases/999999")" 404 "missing case"
is "$(code -b "$JAR" "$A/ui/cases/%3Cx%3E")" 404 "a ref that is no case"

# ---- CSRF: refused without the token or with another, done with it ----
is "$(code -b "$JAR" -d "reason=no token" "$A/ui/cases/2/close")" 403 "close without CSRF"
is "$(code -b "$JAR" -d "reason=wrong&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$A/ui/cases/2/close")" 403 "close with a wrong CSRF"
is "$(code -b "$JAR" -H "X-CSRF-Token: nope" -H 'Content-Type: application/json' -d '{"command":"!x.y"}' "$A/ui/cases/2/warroom")" 403 "war room with a wrong CSRF"
is "$("$S" case show 2 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["case"]["status"])')" new "case 2 after refused closes"

# ---- a viewer: reads, cannot close (even with its own CSRF token) ----
is "$(code -b "$VJAR" "$A/ui/cases/2")" 200 "viewer reads a case"
VCSRF=$(csrf_of)
lacks "$(cat "$SOAR_TMP/body")" "id=close-case" "viewer's case page"
is "$(code -b "$VJAR" -d "reason=viewer&csrf=$VCSRF" "$A/ui/cases/2/close")" 403 "viewer closes"
is "$("$S" case show 2 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["case"]["status"])')" new "case 2 after the viewer"
"$S" audit list --json | grep -q '"web:u_viewer"' || fail "the viewer's refusal is not audited"
# another session's CSRF token is not this one's
is "$(code -b "$JAR" -d "reason=x&csrf=$VCSRF" "$A/ui/cases/2/close")" 403 "close with another session's CSRF"

# ---- the admin closes with its token ----
is "$(code -b "$JAR" -d "reason=done+here&csrf=$CSRF" "$A/ui/cases/2/close")" 303 "close with CSRF"
is "$("$S" case show 2 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["case"]["status"])')" closed "case 2 closed"
is "$(code -b "$JAR" -d "text=looked+at+it&csrf=$CSRF" "$A/ui/cases/3/note")" 303 "note"
code -b "$JAR" "$A/ui/cases/3" >/dev/null
contains "$(cat "$SOAR_TMP/body")" "looked at it" "timeline after the note"

# ---- the war room from the case page: a command runs (mock) and lands on the timeline ----
is "$(code -b "$JAR" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' -d '{"command":"!ipinfo.lookup ip=8.8.8.8","mock":true}' "$A/ui/cases/3/warroom")" 200 "war room command"
code -b "$JAR" "$A/ui/cases/3" >/dev/null
contains "$(cat "$SOAR_TMP/body")" "!ipinfo.lookup ip=8.8.8.8" "timeline after the war-room command"
is "$(code -b "$VJAR" -H "X-CSRF-Token: $VCSRF" -H 'Content-Type: application/json' -d '{"command":"!ipinfo.lookup ip=8.8.8.8","mock":true}' "$A/ui/cases/3/warroom")" 403 "viewer's war-room command"

# ---- a prompt answered from the page; the run goes on ----
rid=$("$S" runs list --json --limit 100 | "$PY" -c 'import json,sys; print([r["id"] for r in json.load(sys.stdin) if r["playbook"]=="approve"][0])')
pid=$("$S" prompt list --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
is "$(code -b "$JAR" "$A/ui/runs/$rid")" 200 "run page"
contains "$(cat "$SOAR_TMP/body")" "prompt.ask" "run page steps"
contains "$(cat "$SOAR_TMP/body")" "id=run-wait>prompt" "run page waiting state"
contains "$(cat "$SOAR_TMP/body")" "id=cancel" "run page cancel button"
is "$(code -b "$VJAR" -d "choice=yes&csrf=$VCSRF" "$A/ui/prompts/$pid/answer")" 403 "viewer answers"
is "$(code -b "$JAR" -d "choice=maybe&csrf=$CSRF" "$A/ui/prompts/$pid/answer")" 400 "an answer not among the options"
is "$(code -b "$JAR" -d "choice=yes&back=//evil.example/&csrf=$CSRF" "$A/ui/prompts/$pid/answer")" 303 "answer"
for _ in $(seq 200); do
	st=$("$S" runs show "$rid" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["run"]["status"])')
	[ "$st" = succeeded ] && break; sleep 0.05
done
is "$st" succeeded "the run after its prompt was answered from the page"
is "$(code -b "$JAR" "$A/")" 200 "overview after"
is "$(card saved-month)" "22.0 min" "minutes saved after the approve run"

# ---- server-sent events: new cases since the last id ----
ev=$(curl -s -b "$JAR" "$A/ui/events")
contains "$ev" "retry:" "events"
last=$(printf '%s\n' "$ev" | sed -n 's/^id: //p' | tail -1)
api -X POST "$A/api/v1/cases" -d '{"title":"fresh <b>one</b>","type":"live","severity":"high"}' >/dev/null
ev=$(curl -s -b "$JAR" -H "Last-Event-ID: $last" "$A/ui/events")
contains "$ev" "event: case" "events after a new case"
contains "$ev" '"title":"fresh <b>one</b>"' "the event's data (JSON; the page writes it as text)"
is "$(code "$A/ui/events")" 303 "events signed out"

# ---- other pages ----
for p in /ui/runs /ui/jobs /ui/edls /ui/playbooks "/ui/runs?status=succeeded"; do
	is "$(code -b "$JAR" "$A$p")" 200 "page $p"
done
is "$(code -b "$JAR" "$A/ui/nope")" 404 "unknown page"
code -b "$JAR" "$A/ui/playbooks" >/dev/null
contains "$(cat "$SOAR_TMP/body")" "level (string = &lt;b&gt;x&lt;/b&gt;): how loud" "playbooks page: inputs, escaped"
contains "$(cat "$SOAR_TMP/body")" '<a class=form href="/forms/quick">Quick &lt;i&gt;check&lt;/i&gt;</a><br><small>roles: analyst, responder</small>' "playbooks page: the self-service form"
checks=$((checks + 1))
[ "$(grep -o 'class=form' "$SOAR_TMP/body" | wc -l)" = 1 ] || fail "playbooks page: a form link for approve, which has none"

# ---- sign out ends the session on the server ----
code -b "$JAR" "$A/" >/dev/null; CSRF=$(csrf_of)
is "$(code -b "$JAR" -d "csrf=$CSRF" "$A/ui/logout")" 303 "sign out"
is "$(code -b "$JAR" "$A/")" 303 "the old cookie after sign-out"
serve_stop || fail "daemon exit"
finish
