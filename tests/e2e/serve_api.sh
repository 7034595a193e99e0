#!/usr/bin/env bash
# The case, run and job API mirrors the CLI, read and write, and each write is
# seen by the CLI (and the reverse): cases (new, update, close, note, link,
# children, timeline), runs (list, show, steps, resume, cancel), jobs (list,
# run, pause, resume); the prompt's HTML form (never an API token in a URL) and its urlencoded
# answer. Viewers read, may not write.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
"$S" user add viewer1 --role viewer >/dev/null 2>&1
VTOK=$("$S" user token viewer1 --label v 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/ask.lua" <<'LUA'
return { name = "ask", triggers = { { type = "question" } },
  run = function(ctx)
    local a = prompt.ask{ question = "Go?", options = { "yes", "no" } }
    return { answer = a.value }
  end }
LUA
cat > "$pb/yearly.lua" <<'LUA'
return { name = "yearly", schedule = "0 0 1 1 *", run = function() return { fired = true } end }
LUA
log="$SOAR_TMP/serve.log"
serve_start --playbooks "$pb"
H=(-H "Authorization: Bearer $TOK")
V=(-H "Authorization: Bearer $VTOK")
code() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
body() { cat "$SOAR_TMP/body"; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2 ($(head -c 300 "$SOAR_TMP/body"))"; }

# ---- cases ----
is "$(code "${H[@]}" -X POST "$A/api/v1/cases" -d '{"title":"parent case","type":"manual"}')" 201 "case new"
p=$(json_field "$(body)" 'j["number"]')
is "$(code "${H[@]}" -X POST "$A/api/v1/cases" -d '{"title":"child case","type":"manual"}')" 201 "case new"
c=$(json_field "$(body)" 'j["number"]')
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$c/notes" -d '{"text":"seen on host-7","data":{"host":"host-7"}}')" 201 "case note"
is "$(json_field "$(body)" 'j["entry"]')" 2 "the note's entry number"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$c/notes" -d '{"text":"ran it","kind":"command"}')" 201 "a note of another kind"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$c/notes" -d '{"kind":"note"}')" 400 "a note needs text"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/99999/notes" -d '{"text":"x"}')" 404 "a note on no case"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$c/links" -d "{\"case\":\"$p\",\"relation\":\"parent\"}")" 200 "case link (parent)"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$p/links" -d "{\"case\":\"$p\"}")" 400 "a self link is refused"
is "$(code "${H[@]}" "$A/api/v1/cases/$p/children")" 200 "children"
is "$(json_field "$(body)" '[x["number"] for x in j["cases"]]')" "[$c]" "the child"
is "$(code "${H[@]}" "$A/api/v1/cases/$c/timeline")" 200 "timeline"
tl=$(body)
is "$(json_field "$tl" '[e["kind"] for e in j["entries"]][:3]')" "['created', 'note', 'command']" "timeline entries"
contains "$tl" '"actor":"http:root"' "written as the token's user"
is "$(json_field "$tl" 'j["entries"][1]["data"]')" "{'host': 'host-7'}" "the note's data"
is "$(code "${H[@]}" "$A/api/v1/cases/$c/timeline?from=2&limit=1")" 200 "a timeline page"
is "$(json_field "$(body)" '[e["no"] for e in j["entries"]]')" "[2]" "from, limit"
# Client mistakes in a case query are 400 with what to fix, not 500.
is "$(code "${H[@]}" "$A/api/v1/cases?cursor=x")" 400 "a cursor the query did not give"
contains "$(body)" "cursor 'x' is not one this query returned" "the cursor's message"
is "$(code "${H[@]}" "$A/api/v1/cases?limit=abc")" 400 "a limit that is not a number"
is "$(code "${H[@]}" "$A/api/v1/cases?status=bogus")" 400 "an unknown status"
is "$(code "${H[@]}" "$A/api/v1/cases?status=open&limit=2")" 200 "a good query"
# The CLI sees the same.
expect_exit 0 -- "$S" case show "$c" --json
contains "$out" "seen on host-7"
expect_exit 0 -- "$S" case children "$p" --json
contains "$out" "child case"
# Viewers read, do not write.
is "$(code "${V[@]}" "$A/api/v1/cases/$c/timeline")" 200 "a viewer reads the timeline"
is "$(code "${V[@]}" -X POST "$A/api/v1/cases/$c/notes" -d '{"text":"x"}')" 403 "a viewer may not note"
is "$(code "${V[@]}" -X POST "$A/api/v1/cases/$c/links" -d "{\"case\":\"$p\"}")" 403 "a viewer may not link"

# ---- runs ----
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '[{"type":"question"},{"type":"question"}]' >/dev/null
for _ in $(seq 50); do
	w=$(curl -s "${H[@]}" "$A/api/v1/runs?status=waiting")
	[ "$(json_field "$w" 'len(j["runs"])')" = 2 ] && break; sleep 0.1
done
r1=$(json_field "$w" 'j["runs"][0]["id"]'); r2=$(json_field "$w" 'j["runs"][1]["id"]')
pid1=$(json_field "$w" 'j["runs"][0]["prompt"]')
is "$(code "${H[@]}" "$A/api/v1/runs/$r1/steps")" 200 "run steps"
is "$(json_field "$(body)" '[s["name"] for s in j["steps"]]')" "['prompt.ask']" "the journal"
expect_exit 0 -- "$S" runs show "$r1" --json
is "$(json_field "$out" '[s["name"] for s in j["steps"]]')" "['prompt.ask']" "the CLI's journal"
# resume: a wait that is not over replays to it and waits again; answered, it ends.
is "$(code "${H[@]}" -X POST "$A/api/v1/runs/$r1/resume")" 202 "resume a waiting run"
sleep 0.5
is "$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs/$r1")" 'j["status"]')" waiting "still waiting for its answer"
"$S" prompt answer "$pid1" --choice yes --no-resume >/dev/null 2>&1
# (the daemon's own scan may be first: then it has already resumed it)
st=$(code "${H[@]}" -X POST "$A/api/v1/runs/$r1/resume")
case "$st" in 202) ;; 409) contains "$(body)" "$r1 is " "resumed by the daemon first"
	lacks "$(body)" " is waiting" ;;
	*) is "$st" 202 "resume an answered run" ;; esac
for _ in $(seq 50); do
	[ "$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs/$r1")" 'j["status"]')" = succeeded ] && break; sleep 0.05
done
is "$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs/$r1")" 'j["result"]')" "{'answer': 'yes'}" "resumed"
is "$(code "${H[@]}" -X POST "$A/api/v1/runs/$r1/resume")" 409 "a finished run does not resume"
is "$(code "${V[@]}" -X POST "$A/api/v1/runs/$r2/resume")" 403 "a viewer may not resume"
is "$(code "${H[@]}" -X POST "$A/api/v1/runs/$r2/cancel")" 200 "cancel a waiting run"
expect_exit 0 -- "$S" runs show "$r2" --json
is "$(json_field "$out" 'j["run"]["status"]')" cancelled "the CLI sees it cancelled"
is "$(code "${H[@]}" -X POST "$A/api/v1/runs/01a00000-0000-7000-8000-000000000000/resume")" 404 "no such run"

# ---- the prompt's HTML form: an API token is never taken from a URL (links
# carry per-prompt tokens: e2e.prompt_reach); with a bearer token the form
# posts urlencoded, as its buttons do ----
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"question"}' >/dev/null
for _ in $(seq 50); do
	w=$(curl -s "${H[@]}" "$A/api/v1/runs?status=waiting")
	[ "$(json_field "$w" 'len(j["runs"])')" = 1 ] && break; sleep 0.1
done
r3=$(json_field "$w" 'j["runs"][0]["id"]'); pid3=$(json_field "$w" 'j["runs"][0]["prompt"]')
is "$(code "$A/prompts/$pid3")" 401 "the form needs a token"
is "$(code "$A/prompts/$pid3?token=$TOK")" 401 "an API token in the URL"
contains "$(body)" "never accepted in a URL"
is "$(code "$A/prompts/$pid3?t=v1.99999999999.YQ.AAAA")" 403 "a made-up link token"
is "$(code "${H[@]}" "$A/prompts/$pid3")" 200 "the form with a bearer token"
contains "$(body)" "<form" "an HTML form"
contains "$(body)" "Go?" "the question"
contains "$(body)" '<button type=submit name=choice value="no">' "a button per option"
action=$(body | sed -n 's/.*<form method=post action="\([^"]*\)".*/\1/p' | sed 's/&amp;/\&/g')
is "$action" "/api/v1/prompts/$pid3/answer" "the form's action, no token in it"
is "$(code -X POST --data-urlencode "choice=no" --data-urlencode "token=$TOK" "$A/api/v1/prompts/$pid3/answer")" 401 "a token in the body only"
is "$(code -X POST --data-urlencode "choice=no" "$A$action?token=$TOK")" 401 "a token in the action's URL"
is "$(code "${H[@]}" -X POST --data-urlencode "choice=no" "$A$action")" 200 "the form's answer"
contains "$(body)" "<" "an HTML page back"
for _ in $(seq 50); do
	[ "$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs/$r3")" 'j["status"]')" = succeeded ] && break; sleep 0.05
done
is "$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs/$r3")" 'j["result"]')" "{'answer': 'no'}" "resumed with the form's answer"

# ---- jobs ----
is "$(code "${H[@]}" -X POST "$A/api/v1/jobs/yearly/pause")" 200 "pause over HTTP"
expect_exit 0 -- "$S" job list --json
is "$(json_field "$out" '[x["paused"] for x in j if x["name"] == "yearly"]')" "[True]" "the CLI sees it paused"
"$S" job resume yearly >/dev/null
is "$(code "${H[@]}" "$A/api/v1/jobs")" 200 "jobs over HTTP"
is "$(json_field "$(body)" '[(x["paused"], x["next"] > 0) for x in j["jobs"]]')" "[(False, True)]" "resumed by the CLI; a next fire"
is "$(code "${H[@]}" -X POST "$A/api/v1/jobs/yearly/run")" 200 "run now over HTTP"
for _ in $(seq 50); do
	r=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$r" 'len([x for x in j["runs"] if x["playbook"] == "yearly"])')" = 1 ] && break; sleep 0.05
done
is "$(json_field "$r" 'len([x for x in j["runs"] if x["playbook"] == "yearly"])')" 1 "the job ran"
is "$(code "${H[@]}" -X POST "$A/api/v1/jobs/nosuch/run")" 404 "no such job"
kill -TERM "$DPID"; wait "$DPID" || fail "exit after SIGTERM"
DPID=
finish
