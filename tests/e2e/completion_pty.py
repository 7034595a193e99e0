"""bash completion of an installed soarctl at a terminal (run by install_prefix.sh):
`soarctl <TAB><TAB>` lists every command, `soarctl ca<TAB>` completes the command,
`soarctl case <TAB><TAB>` its subcommands and `--sta<TAB>` a flag.
argv: BINDIR COMPLETION_FILE COMMAND..."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyexpect import Session  # noqa: E402

bindir, script, zsh_dir, commands = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
env = {"PATH": bindir + ":" + os.environ.get("PATH", ""), "PS1": "PROMPT$ ",
       "INPUTRC": "/dev/null", "HISTFILE": "/dev/null"}

def screen_until(sess, words, timeout=10.0):
    """Reads until every word has appeared since the last call (bash echoes the
    typed line and redraws it before listing, so a prompt alone proves nothing)."""
    deadline, seen = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        seen += sess.drain(0.2)
        if all(w in seen.split() for w in words):
            return seen
    raise AssertionError("lacks %s in: %r" % ([w for w in words if w not in seen.split()], seen))


s = Session(["bash", "--norc", "--noprofile", "-i"], env, cols=200)
try:
    s.expect(r"PROMPT\$ ")
    s.send(". '%s'; echo SOURCED\r" % script)
    s.expect(r"(?<!echo )SOURCED\r?\n")
    s.expect(r"PROMPT\$ ")
    s.send("soarctl \t\t")
    screen_until(s, commands)
    s.send("\x15")                      # ^U: an empty line again
    s.send("soarctl ca\t")
    s.expect(r"soarctl case ")
    s.send("\t\t")
    screen_until(s, ["list", "show", "new", "close"])
    s.send("list --sta\t")
    s.expect(r"list --status ")
    s.send("\x15exit\r")
    s.wait()
    print("completion at a terminal: ok")
except Exception:
    print("screen so far: %r" % s.buf[-2000:], file=sys.stderr)
    raise
finally:
    s.close()

if zsh_dir != "-":
    s = Session(["zsh", "-f", "-i"], dict(env, PS1="PROMPT%% "), cols=200)
    try:
        s.expect(r"PROMPT% ")
        s.send("fpath=('%s' $fpath); autoload -U compinit; compinit -u -D\r" % zsh_dir)
        s.expect(r"PROMPT% ")
        s.send("soarctl ca\t")
        s.expect(r"soarctl case")
        s.send("lis\t")          # (li: link or list)
        s.expect(r"list")
        s.send("--sta\t")
        s.expect(r"--status")
        s.send("\x15exit\r")
        s.wait()
        print("zsh completion at a terminal: ok")
    except Exception:
        print("zsh screen so far: %r" % s.buf[-2000:], file=sys.stderr)
        raise
    finally:
        s.close()
