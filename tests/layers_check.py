#!/usr/bin/env python3
"""layers_check.py - the layer rule of runtime/layers.txt, checked three ways.

  1. Every `#include "..."` of runtime/*/ and sandbox/: the header must be in the
     file's own folder or in a folder below it (layers.txt, followed through).
     A private header (*_int.h) only from its own folder.
  2. With a build directory: every symbol a layer's library (libsoar_X.a) uses
     from another layer's library must come from a layer below it, so that no
     call goes up even without a header (an extern declaration written by hand);
     and only store/ calls LMDB itself.
  4. LMDB stays inside store/: no file of another folder names it (`lmdb.h`,
     an MDB_ type or code, an mdb_ call, comments aside), and no public header
     of store/ (only the private *_int.h) does either, so that everything above
     the store sees its interface only (docs/store.md) and a second backend can
     sit under it.
  3. With a build directory: the compiler refuses an upward include. The
     compile command of a file of runtime/base (compile_commands.json) is run on
     a file including a header of the layer above; it must fail with "not
     found", and the same command on a header of base itself must succeed.

And it checks itself: checks 1 and 4 run on a copy of the sources with one
upward include and one LMDB call in security/ planted, and must fail.

Usage: layers_check.py SOURCE_DIR [BUILD_DIR]
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# Who may call LMDB itself: the store alone (its records of users, roles,
# tokens and secrets for security/ are in store/secstore.c).
LMDB_USERS = {"store"}
LMDB_NAME = re.compile(r"\blmdb\.h\b|\bMDB_\w+|\bmdb_\w+")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_layers(src):
    deps, order = {}, []
    with open(os.path.join(src, "runtime", "layers.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            name, uses = line[0], line[1:]
            for u in uses:
                if u not in deps:
                    sys.exit("layers.txt: %s uses %s, which is not a layer below it" % (name, u))
            deps[name] = set(uses)
            order.append(name)
    below = {}
    for name in order:  # lowest first: what a layer reaches, followed through
        reach = set()
        for u in deps[name]:
            reach |= {u} | below[u]
        below[name] = reach
    return order, below


def layer_dir(src, layer):
    return os.path.join(src, "sandbox") if layer == "sandbox" else os.path.join(src, "runtime", layer)


def check_includes(src, order, below):
    """Problems as strings; empty when every include goes down."""
    where, files, problems = {}, [], []
    for layer in order:
        d = layer_dir(src, layer)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                if name.endswith(".h"):
                    if name in where:
                        problems.append("%s is in both %s and %s" % (name, where[name], layer))
                    where[name] = layer
                files.append((layer, os.path.join(d, name)))
    for name in sorted(os.listdir(os.path.join(src, "runtime"))):
        if name.endswith((".c", ".h")):
            problems.append("runtime/%s is in no layer folder: move it into one (docs/architecture.md)" % name)
    for layer, path in files:
        rel = os.path.relpath(path, src)
        with open(path, errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            base = os.path.basename(inc)
            line = text.count("\n", 0, m.start()) + 1
            if inc != base:
                problems.append("%s:%d: #include \"%s\": include by name, the build finds the folder" % (rel, line, inc))
                continue
            owner = where.get(base)
            if owner is None:
                problems.append("%s:%d: #include \"%s\": no layer folder has it" % (rel, line, inc))
            elif owner != layer and owner not in below[layer]:
                problems.append("%s:%d: #include \"%s\" reaches up from %s to %s" % (rel, line, inc, layer, owner))
            elif owner != layer and base.endswith("_int.h"):
                problems.append("%s:%d: #include \"%s\": private to %s" % (rel, line, inc, owner))
    return problems


def check_lmdb(src, order):
    """LMDB named outside store/, or in a public header of store/."""
    problems = []
    for layer in order:
        d = layer_dir(src, layer)
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            if layer in LMDB_USERS and not (name.endswith(".h") and not name.endswith("_int.h")):
                continue
            path = os.path.join(d, name)
            with open(path, errors="replace") as f:
                code = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), f.read())
            m = LMDB_NAME.search(code)
            if m:
                line = code.count("\n", 0, m.start()) + 1
                where = "a public header of store/" if layer in LMDB_USERS else "%s/" % layer
                problems.append("%s:%d: %s names LMDB (%s) in %s: only store/'s private "
                                "headers and sources may; use the store's interface "
                                "(store.h, secstore.h ..., docs/store.md)"
                                % (os.path.relpath(path, src), line, m.group(0), name, where))
    return problems


def nm(lib, *flags):
    out = subprocess.run(["nm", *flags, lib], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def check_symbols(build, order, below):
    defined, undefined, problems = {}, {}, []
    for layer in order:
        lib = os.path.join(build, "libsoar_%s.a" % layer)
        if not os.path.exists(lib):
            return ["%s: not built" % lib]
        undefined[layer] = set()
        for line in nm(lib, "-g", "--defined-only"):
            parts = line.split()
            if len(parts) == 3:
                defined.setdefault(parts[2], layer)
        for line in nm(lib, "-u"):
            parts = line.split()
            if parts and parts[0] == "U":
                undefined[layer].add(parts[-1])
    for layer in order:
        for sym in sorted(undefined[layer]):
            if sym.startswith("mdb_") and layer not in LMDB_USERS:
                problems.append("libsoar_%s.a calls LMDB (%s) directly: use the store's interface "
                                "(docs/store.md)" % (layer, sym))
            owner = defined.get(sym)
            if owner and owner != layer and owner not in below[layer]:
                problems.append("libsoar_%s.a calls %s of %s, a layer it may not use" % (layer, sym, owner))
    return problems


def check_compiler(src, build):
    with open(os.path.join(build, "compile_commands.json")) as f:
        cmds = json.load(f)
    base_src = os.path.join(src, "runtime", "base", "store_buf.c")
    cmd = next((c for c in cmds if os.path.samefile(c["file"], base_src)), None)
    if cmd is None:
        return ["compile_commands.json has no command for %s" % base_src]
    args = shlex.split(cmd["command"]) if "command" in cmd else cmd["arguments"]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for header, must_build in (("store_buf.h", True), ("store.h", False), ("engine.h", False)):
            probe = os.path.join(tmp, "probe.c")
            with open(probe, "w") as f:
                f.write('#include "%s"\nint probe;\n' % header)
            argv, skip = [], False
            for a in args:
                if skip:
                    skip = False
                    continue
                if a == "-o":
                    skip = True
                    continue
                if a == "-c" or os.path.abspath(os.path.join(cmd["directory"], a)) == base_src:
                    continue
                argv.append(a)
            argv += ["-fsyntax-only", probe]
            r = subprocess.run(argv, cwd=cmd["directory"], capture_output=True, text=True)
            if must_build and r.returncode != 0:
                problems.append("a base file cannot include its own %s: %s" % (header, r.stderr.strip()))
            if not must_build and r.returncode == 0:
                problems.append("a base file compiles with #include \"%s\" (a layer above): "
                                "the include directories let an upward include through" % header)
            if not must_build and r.returncode != 0 and "No such file" not in r.stderr:
                problems.append("#include \"%s\" from base failed for another reason than a "
                                "missing header: %s" % (header, r.stderr.strip()))
    return problems


def self_test(src, order, below):
    """The include check must catch a planted upward include."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(src, "runtime"), os.path.join(tmp, "runtime"))
        shutil.copytree(os.path.join(src, "sandbox"), os.path.join(tmp, "sandbox"))
        victim = os.path.join(tmp, "runtime", "store", "store.c")
        with open(victim, "a") as f:
            f.write('\n#include "engine.h"\n')
        problems = check_includes(tmp, order, below)
        if not any("store.c" in p and "engine.h" in p for p in problems):
            return ["self-test: an upward include planted in store/store.c was not reported"]
        for victim, plant in (("security/rbac.c", "\nstatic void *probe(void) { return mdb_env_create; }\n"),
                              ("store/case.h", "\n#include <lmdb.h>\n")):
            path = os.path.join(tmp, "runtime", victim)
            with open(path) as f:
                text = f.read()
            with open(path, "a") as f:
                f.write(plant)
            problems = check_lmdb(tmp, order)
            with open(path, "w") as f:
                f.write(text)
            if not any(os.path.basename(victim) in p for p in problems):
                return ["self-test: LMDB planted in %s was not reported" % victim]
    return []


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = os.path.abspath(sys.argv[1])
    order, below = read_layers(src)
    problems = check_includes(src, order, below)
    problems += check_lmdb(src, order)
    problems += self_test(src, order, below)
    if len(sys.argv) == 3:
        build = os.path.abspath(sys.argv[2])
        problems += check_symbols(build, order, below)
        problems += check_compiler(src, build)
    for p in problems:
        print(p)
    if problems:
        print("layers_check: %d problem(s); the rule and the layers: runtime/layers.txt, "
              "docs/architecture.md" % len(problems))
        return 1
    print("layers_check: %s: every include and every call goes down" % " < ".join(order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
