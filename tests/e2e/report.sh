#!/usr/bin/env bash
# `soarctl report`: its figures (terminal, --json, --html) checked against the
# store (case list, runs list), minutes saved from the playbooks'
# minutes_saved (or the sum of the completed tasks' own, counted once across a
# run's wait and replay), colour only on a terminal, bad arguments exit 2.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
"$S" init >/dev/null 2>&1 || true
cat > "$pb/triage.lua" <<'LUA'
return { name = "triage", minutes_saved = 12, minutes_to_build = 30,
  run = function() return { ok = true } end }
LUA
cat > "$pb/broken.lua" <<'LUA'
return { name = "broken", minutes_saved = 99, run = function() error("nope") end }
LUA
cat > "$pb/split.lua" <<'LUA'
return { name = "split", minutes_saved = 50,
  run = function()
    task("enrich", function() end, { minutes_saved = 3 })
    pcall(task, "flaky", function() error("down") end, { minutes_saved = 100 })
    local a = prompt.ask{ question = "contain?", options = { "yes", "no" } }
    task("contain", function() end, { minutes_saved = 4 })
    return { answer = a.value }
  end }
LUA
cat > "$SOAR_TMP/badopt.lua" <<'LUA'
return { name = "badopt", run = function() task("t", function() end, { minutes_saved = "lots" }) end }
LUA
for i in 1 2 3; do "$S" case new --title "phish $i" --type phishing --severity high >/dev/null || fail "case new"; done
for i in 1 2; do "$S" case new --title "<b>mal</b> $i" --type malware --severity critical >/dev/null; done
"$S" case new --title "late" --type phishing --severity low --sla-due -1h >/dev/null || fail "case with SLA"
"$S" case close 1 --reason done >/dev/null || fail "close"
for i in 1 2 3 4; do "$S" run "$pb/triage.lua" >/dev/null 2>&1 || fail "run triage"; done
"$S" run "$pb/broken.lua" >/dev/null 2>&1
# split waits on its prompt after task enrich; the answer resumes it (a replay)
for i in 1 2; do
	"$S" run "$pb/split.lua" >/dev/null 2>&1
	p=$("$S" prompt list --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])') || fail "split's prompt"
	"$S" prompt answer "$p" --choice yes >/dev/null 2>&1 || fail "answer split's prompt"
done
expect_exit 1 -- "$S" run "$SOAR_TMP/badopt.lua"
contains "$err" "minutes_saved is a number of minutes" "a bad task minutes_saved"

expect_exit 0 -- "$S" report --json --playbooks "$pb" --html "$SOAR_TMP/r.html"
rep=$out
store=$("$S" case list --json --limit 1000)
runs=$("$S" runs list --json --limit 1000)
check() { # PYTHON-EXPR (r: the report, c: the cases, u: the runs) WHAT
	checks=$((checks + 1))
	"$PY" - "$rep" "$store" "$runs" "$1" <<'PY' || fail "$2: $1"
import json, sys
r = json.loads(sys.argv[1]); c = json.loads(sys.argv[2]); u = json.loads(sys.argv[3])
c = c["cases"] if isinstance(c, dict) else c
ok = eval(sys.argv[4])
if not ok: print("report:", json.dumps(r)[:600], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
check 'r["cases"]["total"] == len(c) == 6' "total"
check 'r["cases"]["created"] == len(c)' "created in the period"
check 'all(r["cases"]["by_status"][s] == sum(1 for x in c if x["status"] == s) for s in ("new","active","pending","closed"))' "by status"
check 'all(r["cases"]["created_by_severity"][s] == sum(1 for x in c if x["severity"] == s) for s in ("low","medium","high","critical"))' "by severity"
check 'r["cases"]["created_by_type"] == {"phishing": 4, "malware": 2}' "by type"
check 'sum(r["cases"]["created_per_day"]) == len(c)' "per day"
check 'r["cases"]["sla_breached"] == 1' "SLA breached"
check 'r["runs"]["total"] == len(u) == 8' "runs"
check 'r["runs"]["succeeded"] == sum(1 for x in u if x["status"] == "succeeded") == 6' "succeeded"
check '[p for p in r["runs"]["per_playbook"] if p["playbook"] == "triage"][0]["minutes_saved"] == 48' "triage saved 4 x 12"
check '[p for p in r["runs"]["per_playbook"] if p["playbook"] == "triage"][0]["paid_back"] is True' "triage paid back (48 >= 30)"
check '[p for p in r["runs"]["per_playbook"] if p["playbook"] == "broken"][0]["minutes_saved"] == 0' "a failed run saves nothing"
check '[p for p in r["runs"]["per_playbook"] if p["playbook"] == "split"][0]["minutes_saved"] == 14' "split: tasks 3 + 4 per run, not the playbook's 50, the failed task's 100 not counted"
check '[p for p in r["runs"]["per_playbook"] if p["playbook"] == "split"][0]["minutes_saved_per_run"] == 7' "split: 7 per run"
check 'r["minutes_saved"]["total"] == 62 and r["minutes_saved"]["this_month"] == 62' "minutes saved"

# the HTML report: self-contained, its figures the JSON's, hostile text as text
html=$(cat "$SOAR_TMP/r.html")
lacks "$html" "<script" "HTML report"
lacks "$html" "http" "HTML report (nothing fetched)"
contains "$html" "<svg id=\"chart-severity\"" "HTML report"
checks=$((checks + 1))
"$PY" - "$SOAR_TMP/r.html" "$rep" <<'PY' || fail "HTML figures differ from the store's"
import json, re, sys
h = open(sys.argv[1]).read(); r = json.loads(sys.argv[2])
card = lambda i: re.search(r'<span id=%s><b>([^<]*)</b>' % i, h).group(1)
want = {"created": r["cases"]["created"], "total": r["cases"]["total"],
        "open": sum(v for k, v in r["cases"]["by_status"].items() if k != "closed"),
        "sla": r["cases"]["sla_breached"], "runs": r["runs"]["total"],
        "succeeded": r["runs"]["succeeded"], "saved": round(r["minutes_saved"]["total"])}
bad = {k: (card(k), v) for k, v in want.items() if card(k) != str(v)}
row = re.search(r"<tr><td>triage</td><td class=n>(\d+)</td><td class=n>(\d+)</td>", h)
if bad or not row or row.groups() != ("4", "4"):
    print("differ:", bad, row and row.groups(), file=sys.stderr); sys.exit(1)
PY

# the terminal summary: the same figures; colour only on a terminal
expect_exit 0 -- "$S" report --playbooks "$pb"
contains "$out" "cases created           6" "summary"
contains "$out" "minutes saved    62 in the period" "summary"
lacks "$out" $'\033[' "summary on a pipe"
checks=$((checks + 1))
tty_out=$("$PY" -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("NO_COLOR", None)
    os.execv(sys.argv[1], [sys.argv[1], "report", "--playbooks", sys.argv[2]])
buf = b""
while True:
    try: d = os.read(fd, 65536)
    except OSError: break
    if not d: break
    buf += d
os.waitpid(pid, 0)
sys.stdout.write(buf.decode("utf-8", "replace"))' "$S" "$pb")
case "$tty_out" in *$'\033['*) ;; *) fail "no colour on a terminal: $tty_out" ;; esac

expect_exit 2 -- "$S" report --since forever
contains "$err" "--since" "bad --since"
expect_exit 2 -- "$S" report --nope
expect_exit 1 -- "$S" report --playbooks "$pb" --html /nonexistent/dir/r.html
contains "$err" "cannot write" "unwritable --html"
finish
