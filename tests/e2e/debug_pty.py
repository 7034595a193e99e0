"""soarctl debug at a terminal (run by debug.sh): breakpoints by file:line, by
step name and with a condition; print of locals and upvalues; override
changing the branch taken; back to an earlier step and forward again with the
same results; a secret never printed; a runaway loop stopped with the session
alive (restart works); Tab completion of commands.

    debug_pty.py SOARCTL DEMO.lua LOOP.lua SECRET_VALUE"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyexpect import Session  # noqa: E402

soarctl, demo, loop, secret_value = sys.argv[1:5]
P = r"\(debug\) "


def result_of(text):
    m = re.search(r"succeeded[^{\r\n]*(\{[^\r\n]*\})", text)
    assert m, "no result in:\n" + text
    return m.group(1)


s = Session([soarctl, "debug", demo])
transcript = ""
try:
    s.expect(P)
    # Tab completes a command.
    s.send("brea\t")
    s.expect(r"k ")
    s.send("http.get\r")
    s.expect(r"breakpoint 1 at step http\.get")
    s.expect(P)
    s.send("break demo.lua:4\r")
    s.expect(r"breakpoint 2 at demo\.lua:4")
    s.send("break 18 if i == 2\r")
    s.expect(r"breakpoint 3 at demo\.lua:18")
    s.expect(P)
    # The first execution, against the stand-in: score 42 + 3, benign.
    s.send("run\r")
    s.expect(r"breakpoint 1, step 2 http\.request")
    s.expect(P)
    s.send("c\r")
    s.expect(r"breakpoint 3, demo\.lua:18")
    s.expect(P)
    s.send("p i\r")
    s.expect(r"\n2\r?\n")
    # Tab completes a field of a local table in the paused frame.
    s.send("p r.js\t")
    s.expect(r"on")
    s.send(".n\r")
    s.expect(r"\n42\r?\n")
    s.send("p token\r")
    s.expect(r"\[secret:dbg\.token\]")
    s.send("c\r")
    s.expect(r"breakpoint 2, demo\.lua:4")
    s.expect(P)
    s.send("p score\r")
    s.expect(r"\n45\r?\n")
    s.send("locals\r")
    s.expect(r"score = 45")
    s.expect(r"threshold = 80  \(upvalue\)")
    s.send("p threshold + score\r")
    s.expect(r"\n125\r?\n")
    s.send("c\r")
    first = s.expect(r"succeeded[^{\r\n]*\{[^\r\n]*\}")
    r1 = result_of(first)
    assert '"verdict":"benign"' in r1, r1
    s.expect(P)
    s.send("steps\r")
    s.expect(r"1  time\.now")
    s.expect(r"2  http\.request +-> \[\{")
    s.expect(P)
    # Back to step 2, forward again: the same results (replayed, not sent).
    s.send("delete\r")
    s.expect(P)
    s.send("goto 2\r")
    s.expect(r"at step 2 http\.request \(replayed to here: nothing sent\)")
    s.expect(P)
    s.send("c\r")
    again = s.expect(r"succeeded[^{\r\n]*\{[^\r\n]*\}")
    assert result_of(again) == r1, (result_of(again), r1)
    s.expect(P)
    # back N from a paused step, then override: the other branch.
    s.send("break http.get\r")
    s.expect(P)
    s.send("restart\r")
    s.expect(r"breakpoint \d+, step 2 http\.request \(replayed from the journal\)")
    s.expect(P)
    s.send('override {"status": 200, "json": {"n": 95}}\r')
    s.expect(r"the next step will return")
    s.send("c\r")
    other = s.expect(r"succeeded[^{\r\n]*\{[^\r\n]*\}")
    r2 = result_of(other)
    assert '"verdict":"malicious"' in r2 and '"score":98' in r2, r2
    s.expect(P)
    s.send("back 1\r")
    s.expect(r"at step 2 http\.request \(replayed to here")
    s.expect(P)
    s.send("p t > 0\r")
    s.expect(r"\ntrue\r?\n")
    s.send("c\r")
    r3 = result_of(s.expect(r"succeeded[^{\r\n]*\{[^\r\n]*\}"))
    assert r3 == r2, (r3, r2)   # the override is now the journal's
    s.expect(P)
    s.send("q\r")
    assert s.wait() == 0
    transcript += s.buf
finally:
    s.close()

# A runaway loop: stopped by the CPU limit, the session lives on.
s = Session([soarctl, "debug", loop, "--max-cpu", "1"])
try:
    s.expect(P)
    s.send("run\r")
    s.expect(r"CPU time limit exceeded", timeout=20)
    s.expect(r"the session goes on")
    s.expect(P)
    s.send("break 4\r")
    s.expect(P)
    s.send("restart\r")
    s.expect(r"breakpoint 1, loop\.lua:4")
    s.expect(P)
    s.send("p n * 2\r")
    s.expect(r"\n14\r?\n")
    s.send("quit\r")
    assert s.wait() == 0
    transcript += s.buf
finally:
    s.close()

assert secret_value not in transcript, "the secret's value was printed"
print("ok")
