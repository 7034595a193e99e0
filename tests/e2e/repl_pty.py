"""soarctl repl at a terminal (run by repl.sh): the prompt, Tab completion of an
integration command, an argument and a table field, a multi-line function,
a runaway loop stopped with the session alive, :quit."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyexpect import Session  # noqa: E402

s = Session([sys.argv[1], "repl", "--case", "1", "--max-cpu", "1"])
try:
    s.expect(r"soar #1> ")
    s.send("!abuse\t")
    s.expect(r"ipdb\.check")
    s.send(" i\t")
    s.expect(r"p=")
    s.send("185.220.101.4\r")
    s.expect(r"verdict\s+malicious")
    s.expect(r"soar #1> ")
    s.send("string.for\t")
    s.expect(r"mat")
    s.send("('%05d', 42)\r")
    s.expect(r'"00042"')
    s.send("function double(n)\r")
    s.expect(r">> ")
    s.send("return n * 2\r")
    s.expect(r">> ")
    s.send("end\r")
    s.expect(r"soar #1> ")
    s.send("double(21)\r")
    s.expect(r"\n42\r?\n")
    s.send("while true do end\r")
    s.expect(r"CPU time limit exceeded")
    s.send("double(50)\r")
    s.expect(r"\n100\r?\n")
    s.send(":quit\r")
    rc = s.wait()
    assert rc == 0, "exit status %d" % rc
finally:
    s.close()
print("repl_pty: ok")
