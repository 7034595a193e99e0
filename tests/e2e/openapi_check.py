#!/usr/bin/env python3
"""openapi_check.py BASE SPEC SRC_DIR: checks a running `soarctl serve` against
docs/openapi.json (used by serve_openapi.sh; tokens in the environment:
TOK an admin's, NOBODY_TOK a user's without the endpoints' permissions).

1. Routes: every route the daemon answers is described, and every described
   path is routed. The routes are found by asking the daemon, without a token,
   for every path shape made of the words its router compares path segments
   with (the strcmp(seg[..], "word") in runtime/daemon/*.c): a route answers
   something else than 404/405. A new route missing from the description fails
   with "METHOD PATH is routed by the daemon but not described".
2. Answers: each scenario below is a real request; its status must be one the
   operation documents, and its body must match the documented schema. Every
   documented status of every operation must be produced by some scenario.
A small JSON Schema checker (the keywords docs/openapi.json uses) is below:
no third-party module needed."""
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

BASE, SPEC_PATH, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
SPEC = json.load(open(SPEC_PATH))
TOK, NOBODY = os.environ["TOK"], os.environ["NOBODY_TOK"]
u = urllib.parse.urlparse(BASE)
failures = []
checks = 0


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def request(method, path, body=None, token=None, headers=None):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type") or "", data


# ---- the JSON Schema subset ----
def resolve(s):
    while "$ref" in s:
        node = SPEC
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        s = node
    return s


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def type_ok(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def validate(v, s, where):
    s = resolve(s)
    errs = []
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(v, t) for t in ts):
            return [f"{where}: {json.dumps(v)[:80]} is not {s['type']}"]
    if "const" in s and v != s["const"]:
        errs.append(f"{where}: {v!r} is not {s['const']!r}")
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{where}: {v!r} is not one of {s['enum']}")
    if "oneOf" in s:
        n = sum(1 for x in s["oneOf"] if not validate(v, x, where))
        if n != 1:
            errs.append(f"{where}: matches {n} of oneOf")
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{where}: no '{k}'")
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props:
                errs += validate(x, props[k], f"{where}.{k}")
            elif s.get("additionalProperties") is False:
                errs.append(f"{where}: '{k}' is not described")
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            errs += validate(x, s["items"], f"{where}[{i}]")
    return errs


# ---- 1. routes ----
def template_of(method, path):
    """The described path template a concrete path matches, or None."""
    segs = path.strip("/").split("/")
    for tpl, item in SPEC["paths"].items():
        t = tpl.strip("/").split("/")
        if len(t) == len(segs) and method.lower() in item and all(
                a.startswith("{") or a == b for a, b in zip(t, segs)):
            return tpl
    return None


words = set()
for f in sorted(os.listdir(SRC)):
    if f.endswith(".c"):
        words |= set(re.findall(r'strcmp\((?:seg\[\d\]|what), "([^"]+)"\)', open(os.path.join(SRC, f)).read()))
words -= {"api", "v1"}
X = "x1"  # a value where the router takes any (a name, a number, an id)
shapes = set()
for w in words:
    shapes |= {f"/{w}", f"/{w}/{X}", f"/api/v1/{w}", f"/api/v1/{w}/{X}"}
    for w2 in words:
        shapes |= {f"/{w}/{w2}", f"/api/v1/{w}/{X}/{w2}"}
routed = []
for p in sorted(shapes):
    for m in ("GET", "POST"):
        st, _, _ = request(m, p)
        if st not in (404, 405):
            routed.append((m, p))
for m, p in routed:
    checks += 1
    if not template_of(m, p):
        fail(f"{m} {p} is routed by the daemon (answers without a token) but not described in "
             f"docs/openapi.json: add its path and method")
def example_path(tpl, op):
    """tpl with each path parameter's example (a value the router takes), else X."""
    ex = {q["name"]: q["example"] for q in op.get("parameters", []) if q.get("in") == "path" and "example" in q}
    return re.sub(r"\{([^}]+)\}", lambda m: ex.get(m.group(1), X), tpl)


for tpl, item in SPEC["paths"].items():
    for m in item:
        checks += 1
        p = example_path(tpl, item[m])
        if "{action}" in tpl:
            p = tpl.replace("{name}", X).replace("{action}", "run")
        st, _, body = request(m.upper(), p)
        if st in (404, 405):
            fail(f"{m.upper()} {tpl} is described but not routed (the daemon answers {st}: {body[:120]!r})")
print(f"routes: {len(routed)} found by probing {len(shapes) * 2} requests, {len(words)} words")

# ---- 2. answers ----
seen = set()


def check(method, tpl, path, status, body=None, token=TOK, headers=None, note=""):
    """One real request: its status must be `status`, documented, and its body valid."""
    global checks
    checks += 1
    st, ctype, data = request(method, path, body, token, headers)
    what = f"{method} {path}{' (' + note + ')' if note else ''}"
    if st != status:
        fail(f"{what}: status {st}, the scenario wants {status}: {data[:200]!r}")
        return None
    op = SPEC["paths"].get(tpl, {}).get(method.lower())
    if not op:
        fail(f"{what}: {method} {tpl} is not described")
        return None
    doc = op["responses"].get(str(st))
    if not doc:
        fail(f"{what}: status {st} is not documented for {method} {tpl}")
        return None
    seen.add((tpl, method.lower(), str(st)))
    content = doc.get("content", {})
    if not content:
        return data
    want = next(iter(content))
    if not ctype.startswith(want):
        fail(f"{what}: Content-Type {ctype}, documented {want}")
        return None
    if want == "application/json":
        try:
            j = json.loads(data)
        except ValueError as e:
            fail(f"{what}: not JSON ({e}): {data[:200]!r}")
            return None
        for e in validate(j, content[want]["schema"], "body"):
            fail(f"{what} {st}: {e}")
        return j
    return data


def poll(fn, what, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    fail("timed out waiting for " + what)
    return None


NO_RUN = "01a00000-0000-7000-8000-000000000000"
# data the scenarios work on
check("POST", "/api/v1/alerts", "/api/v1/alerts", 202, {"type": "ask", "source": "oa"})
check("POST", "/api/v1/alerts", "/api/v1/alerts", 202, [{"type": "other"}])
check("POST", "/api/v1/alerts", "/api/v1/alerts", 400, "{bad")
run = poll(lambda: [r for r in (check("GET", "/api/v1/runs", "/api/v1/runs?status=waiting", 200) or {}).get("runs", [])
                    if r.get("prompt")], "a run waiting on a prompt")
run_id, prompt_id = (run[0]["id"], run[0]["prompt"]) if run else (NO_RUN, NO_RUN)
c = check("POST", "/api/v1/cases", "/api/v1/cases", 201, {"title": "openapi", "labels": ["a"]}) or {"number": 1}
n = str(c["number"])
check("POST", "/api/v1/cases", "/api/v1/cases", 400, {"titl": "x"})
check("GET", "/api/v1/cases", "/api/v1/cases?limit=2", 200)
check("GET", "/api/v1/cases/{ref}", "/api/v1/cases/" + n, 200)
check("GET", "/api/v1/cases/{ref}", "/api/v1/cases/99999", 404)
check("POST", "/api/v1/cases/{ref}", "/api/v1/cases/" + n, 200, {"severity": "high"})
check("POST", "/api/v1/cases/{ref}", "/api/v1/cases/" + n, 400, {"severity": "urgent"})
check("POST", "/api/v1/cases/{ref}", "/api/v1/cases/99999", 404, {"severity": "high"})
check("POST", "/api/v1/cases/{ref}/notes", f"/api/v1/cases/{n}/notes", 201, {"text": "a note"})
check("POST", "/api/v1/cases/{ref}/notes", "/api/v1/cases/99999/notes", 404, {"text": "a note"})
check("POST", "/api/v1/cases/{ref}/links", f"/api/v1/cases/{n}/links", 200, {"case": "1", "relation": "related"})
check("POST", "/api/v1/cases/{ref}/links", f"/api/v1/cases/{n}/links", 400, {"other": "1"})
check("GET", "/api/v1/cases/{ref}/timeline", f"/api/v1/cases/{n}/timeline", 200)
check("GET", "/api/v1/cases/{ref}/timeline", "/api/v1/cases/99999/timeline", 404)
check("GET", "/api/v1/cases/{ref}/children", f"/api/v1/cases/{n}/children", 200)
check("POST", "/api/v1/cases/{ref}/warroom", f"/api/v1/cases/{n}/warroom", 400, {"command": "not a command"})
check("POST", "/api/v1/cases/{ref}/close", f"/api/v1/cases/{n}/close", 200, {"reason": "done"})
check("POST", "/api/v1/cases/{ref}/close", "/api/v1/cases/99999/close", 404, {"reason": "done"})
check("GET", "/api/v1/runs/{id}", "/api/v1/runs/" + run_id, 200)
check("GET", "/api/v1/runs/{id}", "/api/v1/runs/" + NO_RUN, 404)
check("GET", "/api/v1/runs/{id}/steps", f"/api/v1/runs/{run_id}/steps", 200)
check("GET", "/api/v1/runs/{id}/steps", f"/api/v1/runs/{NO_RUN}/steps", 404)
check("POST", "/api/v1/runs/{id}/resume", f"/api/v1/runs/{NO_RUN}/resume", 404)
check("POST", "/api/v1/runs/{id}/cancel", f"/api/v1/runs/{NO_RUN}/cancel", 404)
check("GET", "/prompts/{id}", f"/prompts/{prompt_id}", 200)
check("GET", "/prompts/{id}", f"/prompts/{NO_RUN}", 404)
check("POST", "/api/v1/prompts/{id}/answer", f"/api/v1/prompts/{prompt_id}/answer", 400, {"choice": "maybe"})
check("POST", "/api/v1/prompts/{id}/answer", f"/api/v1/prompts/{prompt_id}/answer", 200, {"choice": "yes"})
check("POST", "/api/v1/prompts/{id}/answer", f"/api/v1/prompts/{prompt_id}/answer", 409, {"choice": "yes"})
poll(lambda: (check("GET", "/api/v1/runs/{id}", "/api/v1/runs/" + run_id, 200) or {}).get("status") == "succeeded",
     "the answered run to finish")
check("POST", "/api/v1/runs/{id}/resume", f"/api/v1/runs/{run_id}/resume", 409)
check("POST", "/api/v1/runs/{id}/cancel", f"/api/v1/runs/{run_id}/cancel", 409)
# a run to cancel: another prompt
check("POST", "/api/v1/alerts", "/api/v1/alerts", 202, {"type": "ask", "source": "oa2"})
run2 = poll(lambda: [r for r in (check("GET", "/api/v1/runs", "/api/v1/runs?status=waiting", 200) or {}).get("runs", [])
                     if r.get("prompt")], "a second waiting run")
if run2:
    check("POST", "/api/v1/runs/{id}/cancel", f"/api/v1/runs/{run2[0]['id']}/cancel", 200)
check("GET", "/api/v1/jobs", "/api/v1/jobs", 200)
check("POST", "/api/v1/jobs/{name}/{action}", "/api/v1/jobs/tick/pause", 200)
check("POST", "/api/v1/jobs/{name}/{action}", "/api/v1/jobs/nope/run", 404)
check("GET", "/edl/{list}", "/edl/blocked", 200)
check("GET", "/edl/{list}", "/edl/nolist", 404)
check("GET", "/healthz", "/healthz", 200, token=None)
check("GET", "/metrics", "/metrics", 200)
spec_served = check("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", 200, token=NOBODY, note="any role")
checks += 1
if spec_served != SPEC:
    fail("GET /api/v1/openapi.json does not serve docs/openapi.json as built")
# self-service, attachments, the report and the dashboard
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
check("GET", "/forms", "/forms", 200)
check("GET", "/forms/{name}", "/forms/form", 200)
check("GET", "/forms/{name}", "/forms/nope", 404)
check("POST", "/forms/{name}", "/forms/form", 201, "n=3", headers=FORM)
check("POST", "/forms/{name}", "/forms/form", 400, "n=x", headers=FORM)
check("POST", "/forms/{name}", "/forms/nope", 404, "n=3", headers=FORM)
check("POST", "/forms/login", "/forms/login", 303, "token=%s&next=/forms/form" % TOK, token=None, headers=FORM)
check("POST", "/forms/login", "/forms/login", 401, "token=nope&next=/forms/form", token=None, headers=FORM)
check("POST", "/api/v1/playbooks/{name}/runs", "/api/v1/playbooks/form/runs", 201, {"n": 3})
check("POST", "/api/v1/playbooks/{name}/runs", "/api/v1/playbooks/form/runs", 400, {"n": "x"})
check("POST", "/api/v1/playbooks/{name}/runs", "/api/v1/playbooks/nope/runs", 404, {})
att = os.environ.get("ATT_CASE", "1")
check("GET", "/api/v1/cases/{ref}/attachments/{name}", f"/api/v1/cases/{att}/attachments/report.csv", 200)
check("GET", "/api/v1/cases/{ref}/attachments/{name}", f"/api/v1/cases/{att}/attachments/nope.csv", 404)
check("GET", "/api/v1/report", "/api/v1/report?since=7d", 200)
check("GET", "/api/v1/report", "/api/v1/report?since=bogus", 400)
check("GET", "/", "/", 303, token=None)
check("GET", "/ui", "/ui", 303, token=None)
check("GET", "/ui/{page}", "/ui/cases", 303, token=None)
check("GET", "/ui/{page}", "/ui/x1", 404, token=None)
check("GET", "/ui/{page}", "/ui/login", 200, token=None)
check("POST", "/ui/{page}", "/ui/x1", 404, "a=1", token=None, headers=FORM)
check("POST", "/ui/{page}", "/ui/login", 400, "a=1", token=None, headers=FORM)
check("POST", "/ui/{page}", "/ui/login", 303, "token=" + TOK, token=None, headers=FORM)
check("POST", "/ui/{page}", "/ui/logout", 401, "a=1", token=None, headers=FORM)
check("POST", "/slack/interactive", "/slack/interactive", 401, "payload=x", token=None,
      headers={"Content-Type": "application/x-www-form-urlencoded"})
# 401 (no token) and 403 (a user without the permission) for each operation that documents them
for tpl, item in SPEC["paths"].items():
    for m, op in item.items():
        p = re.sub(r"\{[^}]+\}", "1", tpl).replace("/1/1", "/tick/run")
        if "401" in op["responses"] and (tpl, m, "401") not in seen:
            check(m.upper(), tpl, p, 401, {} if m == "post" else None, token=None, note="no token")
        if "403" in op["responses"]:
            check(m.upper(), tpl, p, 403, {} if m == "post" else None, token=NOBODY, note="no permission")

# ---- every documented status was produced ----
for tpl, item in SPEC["paths"].items():
    for m, op in item.items():
        for st in op["responses"]:
            checks += 1
            if (tpl, m, st) not in seen:
                fail(f"{m.upper()} {tpl} documents {st}, which no scenario produced: add a scenario "
                     f"to tests/e2e/openapi_check.py or drop the status")
print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
