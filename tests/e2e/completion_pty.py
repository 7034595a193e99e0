"""bash completion of an installed soarctl at a terminal (run by install_prefix.sh):
`soarctl <TAB><TAB>` lists every command, `soarctl ca<TAB>` completes the command,
`soarctl case <TAB><TAB>` its subcommands and `--sta<TAB>` a flag.
argv: BINDIR COMPLETION_FILE COMMAND..."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyexpect import Session  # noqa: E402

bindir, script, zsh_dir, commands = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
env = {"PATH": bindir + ":" + os.environ.get("PATH", ""), "PS1": "PROMPT$ ",
       "INPUTRC": "/dev/null", "HISTFILE": "/dev/null"}
s = Session(["bash", "--norc", "--noprofile", "-i"], env, cols=200)
try:
    s.expect(r"PROMPT\$ ")
    s.send(". '%s'\r" % script)
    s.expect(r"PROMPT\$ ")
    s.send("soarctl \t\t")
    listing = s.expect(r"PROMPT\$ soarctl ")
    missing = [c for c in commands if c not in listing.split()]
    assert not missing, "soarctl <TAB><TAB> lacks %s in: %r" % (missing, listing)
    s.send("\x15")                      # ^U: an empty line again
    s.send("soarctl ca\t")
    s.expect(r"soarctl case ")
    s.send("\t\t")
    listing = s.expect(r"PROMPT\$ soarctl case ")
    for sub in ("list", "show", "new", "close"):
        assert sub in listing.split(), "case <TAB><TAB> lacks %s: %r" % (sub, listing)
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
