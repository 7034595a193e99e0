"""A scripted Debug Adapter Protocol client for `soarctl debug --dap` (run by
debug_dap.sh): Content-Length framed JSON over the adapter's stdin/stdout.

    dap_client.py SOARCTL DEMO.lua RUN_ID SECRET_VALUE SPIN.lua"""
import json
import os
import select
import subprocess
import sys
import time

soarctl, demo, run_id, secret_value, spin = sys.argv[1:6]


class Dap:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.seq = 0
        self.pending = []     # messages read but not yet asked for
        self.raw = b""        # everything the adapter wrote
        self.buf = b""

    def send(self, command, arguments=None):
        self.seq += 1
        msg = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()
        return self.seq

    def _read(self, deadline):
        fd = self.p.stdout.fileno()
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                n = int(head.split(b":")[1])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("the adapter said nothing in time; pending: %r" % self.pending)
            r, _, _ = select.select([fd], [], [], left)
            if r:
                data = os.read(fd, 65536)
                if not data:
                    raise AssertionError("the adapter closed stdout")
                self.buf += data
                self.raw += data

    def wait(self, pred, what, timeout=15.0):
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if pred(m):
                return m
            self.pending.append(m)

    def request(self, command, arguments=None, ok=True):
        s = self.send(command, arguments)
        r = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == s,
                      "response to " + command)
        assert r["success"] == ok, "%s: %r" % (command, r)
        return r.get("body") or {}

    def event(self, name, timeout=15.0):
        return self.wait(lambda m: m.get("type") == "event" and m.get("event") == name, name, timeout)["body"] \
            if name not in ("terminated", "initialized") else \
            self.wait(lambda m: m.get("type") == "event" and m.get("event") == name, name, timeout)

    def outputs(self):
        return "".join(m["body"]["output"] for m in self.pending
                       if m.get("type") == "event" and m.get("event") == "output")


def top_frame(d):
    frames = d.request("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames, "no frames"
    return frames[0]


# ---- launch ----
d = Dap([soarctl, "debug", "--dap"])
caps = d.request("initialize", {"adapterID": "soarctl", "linesStartAt1": True})
for c in ("supportsStepBack", "supportsConditionalBreakpoints", "supportsHitConditionalBreakpoints",
          "supportsFunctionBreakpoints", "supportsEvaluateForHovers", "supportsConfigurationDoneRequest"):
    assert caps.get(c) is True, c
d.event("initialized")
d.request("launch", {"program": demo})
bps = d.request("setBreakpoints", {"source": {"path": demo},
                                   "breakpoints": [{"line": 4}, {"line": 18, "condition": "i == 2"}]})
assert [b["verified"] for b in bps["breakpoints"]] == [True, True], bps
d.request("setFunctionBreakpoints", {"breakpoints": [{"name": "http.get"}]})
d.request("configurationDone")

st = d.event("stopped")
assert st["reason"] == "breakpoint" and "http.request" in st["description"], st
assert d.request("threads")["threads"][0]["id"] == 1
d.request("continue", {"threadId": 1})
st = d.event("stopped")
f = top_frame(d)
assert f["line"] == 18 and f["source"]["path"].endswith("demo.lua"), f
assert d.request("evaluate", {"expression": "i", "frameId": f["id"]})["result"] == "2"
tok = d.request("evaluate", {"expression": "token", "frameId": f["id"], "context": "hover"})["result"]
assert tok.strip("\"") == "[secret:dbg.token]" and "hunter" not in tok, tok
d.request("evaluate", {"expression": "nosuch.field", "frameId": f["id"]}, ok=False)
d.request("continue", {"threadId": 1})
st = d.event("stopped")
f = top_frame(d)
assert f["line"] == 4, f
scopes = d.request("scopes", {"frameId": f["id"]})["scopes"]
vs = d.request("variables", {"variablesReference": scopes[0]["variablesReference"]})["variables"]
got = {v["name"]: (v["value"], v["type"]) for v in vs}
assert got["score"] == ("45", "local") and got["threshold"] == ("80", "upvalue"), got
# stepOut: back in run(), at the line after the call.
d.request("stepOut", {"threadId": 1})
d.event("stopped")
f = top_frame(d)
assert f["line"] == 21, f   # the line after the call (Lua reports no new event for its own)
# stepBack: replayed to the step before (nothing sent), then next.
d.request("stepBack", {"threadId": 1})
st = d.event("stopped")
assert "step 2 http.request" in st["description"], st
d.request("next", {"threadId": 1})
d.event("stopped")
f = top_frame(d)
assert f["line"] == 16, f
d.request("stepIn", {"threadId": 1})
d.event("stopped")
assert top_frame(d)["line"] == 17
# A hit count replaces the line breakpoints of the file.
d.request("setBreakpoints", {"source": {"path": demo}, "breakpoints": [{"line": 18, "hitCondition": "3"}]})
d.request("setFunctionBreakpoints", {"breakpoints": []})
d.request("continue", {"threadId": 1})
d.event("stopped")
assert d.request("evaluate", {"expression": "i", "frameId": top_frame(d)["id"]})["result"] == "3"
# Variables: a table local expands to its fields (and nested tables to
# theirs); a secret stays [secret:NAME] there too.
f = top_frame(d)
scopes = d.request("scopes", {"frameId": f["id"]})["scopes"]
vs = {v["name"]: v for v in d.request("variables", {"variablesReference": scopes[0]["variablesReference"]})["variables"]}
assert vs["score"]["variablesReference"] == 0, vs["score"]
assert vs["r"]["variablesReference"] > 0, vs["r"]
assert "hunter" not in json.dumps(vs) and vs["token"]["value"].strip("\"") == "[secret:dbg.token]", vs["token"]
rf = {v["name"]: v for v in d.request("variables", {"variablesReference": vs["r"]["variablesReference"]})["variables"]}
assert rf["status"]["value"] == "200" and rf["status"]["type"] == "field", rf
assert rf["json"]["variablesReference"] > 0, rf
jf = {v["name"]: v for v in d.request("variables", {"variablesReference": rf["json"]["variablesReference"]})["variables"]}
assert jf["n"]["value"] == "42", jf
# reverseContinue: back to the previous breakpoint (line 18 at i == 2, then
# i == 1), then with none before, to the start; nothing is sent again.
d.request("setBreakpoints", {"source": {"path": demo}, "breakpoints": [{"line": 18}]})
d.request("reverseContinue", {"threadId": 1})
st = d.event("stopped")
assert st["reason"] == "breakpoint" and "travelled back" in st["description"], st
assert d.request("evaluate", {"expression": "i", "frameId": top_frame(d)["id"]})["result"] == "2"
d.request("reverseContinue", {"threadId": 1})
d.event("stopped")
assert d.request("evaluate", {"expression": "i", "frameId": top_frame(d)["id"]})["result"] == "1"
d.request("reverseContinue", {"threadId": 1})
st = d.event("stopped")
assert "start of the run" in st["description"], st
d.request("continue", {"threadId": 1})
d.event("stopped")
assert d.request("evaluate", {"expression": "i", "frameId": top_frame(d)["id"]})["result"] == "1"
d.request("setBreakpoints", {"source": {"path": demo}, "breakpoints": []})
d.request("continue", {"threadId": 1})
ex = d.event("exited")
assert ex["exitCode"] == 0, ex
d.event("terminated")
assert "succeeded" in d.outputs(), d.outputs()
d.request("disconnect")
assert d.p.wait(10) == 0
assert secret_value.encode() not in d.raw

# ---- attach to a recorded run ----
d = Dap([soarctl, "debug", "--dap"])
d.request("initialize", {"adapterID": "soarctl"})
d.request("attach", {"runId": run_id})
d.request("setBreakpoints", {"source": {"path": demo}, "breakpoints": [{"line": 4}]})
d.request("configurationDone")
d.event("stopped")
f = top_frame(d)
assert f["line"] == 4
assert d.request("evaluate", {"expression": "score", "frameId": f["id"]})["result"] == "45"
d.request("continue", {"threadId": 1})
d.event("terminated")
d.request("disconnect")
assert d.p.wait(10) == 0
# ---- pause: a playbook that never stops by itself ----
d = Dap([soarctl, "debug", "--dap"])
d.request("initialize", {"adapterID": "soarctl"})
d.request("launch", {"program": spin})
d.request("configurationDone")
time.sleep(0.5)
d.request("pause", {"threadId": 1})
st = d.event("stopped")
assert st["reason"] == "pause", st
f = top_frame(d)
assert f["source"]["path"].endswith("spin.lua") and f["line"] in (3, 4), f
assert d.request("evaluate", {"expression": "n > 1000", "frameId": f["id"]})["result"] == "true"
d.request("next", {"threadId": 1})
d.event("stopped")
d.request("disconnect")
assert d.p.wait(10) == 0
print("ok")
