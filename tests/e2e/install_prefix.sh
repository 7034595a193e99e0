#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then the installed soarctl run from
# elsewhere: it takes its Lua library, integrations and playbooks from
# PREFIX/share/soarctl (found from its own path, not the source tree), runs a
# bundled playbook, and its man pages and bash completion work (generated from
# the command table: every command has a page that man renders, `man soarctl-run`
# through MANPATH, `soarctl <TAB><TAB>` lists the commands at a terminal).
. "$(dirname "$0")/lib.bash"
: "${SOAR_BUILD:?set by ctest}" "${SOAR_SRC:?set by ctest}"
prefix="$SOAR_TMP/prefix"
expect_exit 0 -- cmake --install "$SOAR_BUILD" --prefix "$prefix"
S="$prefix/bin/soarctl"
share="$prefix/share/soarctl"
unset SOARCTL_LUA_DIR SOARCTL_SHARE_DIR SOARCTL_INTEGRATIONS_DIR SOARCTL_INTEGRATIONS_CONFIG
cd "$SOAR_TMP" || exit 1

# Where it looks: the share folder beside bin/, whatever the working directory.
expect_exit 0 -- "$S" version --json
checks=$((checks + 1))
[ "$(json_field "$out" 'j["share_from"], j["lua_dir"], j["playbooks_dir"]')" = \
  "('installed', '$share/lua', '$share/playbooks')" ] || fail "installed paths: $out"
for f in lua/soarctl.meta.lua integrations/abuseipdb.lua playbooks/hello.lua; do
	checks=$((checks + 1)); [ -f "$share/$f" ] || fail "not installed: $share/$f"
done
# No source path in the shipped binary (debug info aside: stripped, as the
# package is). A sanitizer build keeps source file names for its reports, so
# there only the Lua folder's path is looked for.
strip -o "$SOAR_TMP/soarctl.stripped" "$S"
checks=$((checks + 1))
! grep -qF "$SOAR_SRC/lua" "$SOAR_TMP/soarctl.stripped" || fail "the source lua/ path is compiled in"
if ! ldd "$S" | grep -q -e libasan -e libubsan; then
	checks=$((checks + 1))
	! grep -qF "$SOAR_SRC" "$SOAR_TMP/soarctl.stripped" || fail "a source path is compiled in"
fi

# A bundled playbook, run by the installed binary from another folder.
expect_exit 0 -- "$S" init --data "$SOAR_TMP/data"
expect_exit 0 -- "$S" run "$share/playbooks/hello.lua" --input name=installed --json
contains "$out" '"status":"succeeded"' "hello.lua from the share folder"
contains "$out" "Hello, installed" "its result"
# It really is the share folder's Lua library: without it the run fails and says
# where it looked (no silent fallback to the source tree).
mv "$share/lua" "$share/lua.away"
expect_exit 1 -- "$S" run "$share/playbooks/hello.lua" --input name=x
contains "$err" "$share/lua" "the error names the installed Lua folder"
lacks "$err" "$SOAR_SRC/lua" "the error"
# The overrides: SOARCTL_LUA_DIR (the library alone), SOARCTL_SHARE_DIR (all three).
SOARCTL_LUA_DIR="$share/lua.away" expect_exit 0 -- "$S" run "$share/playbooks/hello.lua" --input name=x
mv "$share/lua.away" "$share/lua"
cp -r "$share" "$SOAR_TMP/othershare"
expect_exit 0 -- env SOARCTL_SHARE_DIR="$SOAR_TMP/othershare" "$S" version --json
contains "$out" "\"lua_dir\":\"$SOAR_TMP/othershare/lua\"" "SOARCTL_SHARE_DIR"
contains "$out" '"share_from":"env"' "SOARCTL_SHARE_DIR"
expect_exit 0 -- env SOARCTL_LUA_DIR=/nowhere "$S" version --json
contains "$out" '"lua_dir":"/nowhere"' "SOARCTL_LUA_DIR"
# The build tree's binary still finds the source (tests and make run rely on it).
expect_exit 0 -- "$SOARCTL" version --json
contains "$out" "\"lua_dir\":\"$(cd "$SOAR_SRC" && pwd -P)/lua\"" "the build tree's binary"

# Man pages: one per command of `soarctl --help`, each rendered by man without a
# warning, and the text is the command's own help.
mapfile -t cmds < <("$S" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
checks=$((checks + 1)); [ "${#cmds[@]}" -ge 15 ] || fail "commands from --help: ${cmds[*]}"
man1="$prefix/share/man/man1"
for c in "" "${cmds[@]}"; do
	page="$man1/soarctl${c:+-$c}.1"
	checks=$((checks + 1))
	[ -f "$page" ] || { fail "no man page for '${c:-soarctl}'"; continue; }
	text=$(MANWIDTH=100 man --warnings -l "$page" 2>"$SOAR_TMP/man.err")
	checks=$((checks + 1))
	[ -s "$SOAR_TMP/man.err" ] && fail "man warns on $page: $(cat "$SOAR_TMP/man.err")"
	if [ -n "$c" ]; then
		first=$("$S" help "$c" | head -1 | sed 's/^Usage: //; s/  */ /g')
		contains "$(echo "$text" | tr -s ' ')" "$first" "man page of $c"
	fi
done
checks=$((checks + 1))
[ "$(ls "$man1" | wc -l)" = $(( ${#cmds[@]} + 1 )) ] || fail "pages: $(ls "$man1")"
run_page=$(MANPATH="$prefix/share/man" MANWIDTH=100 man soarctl-run 2>&1)
contains "$run_page" "soarctl run FILE" "man soarctl-run"
contains "$run_page" "--input-json" "man soarctl-run"
expect_exit 0 -- "$S" help --man case
contains "$out" ".SH SYNOPSIS" "help --man case"
expect_exit 2 -- "$S" help --man nosuch
expect_exit 2 -- "$S" completion fish
contains "$err" "bash or zsh" "completion fish"
expect_exit 0 -- "$S" help completion
contains "$out" "Usage: soarctl completion bash|zsh" "help completion"

# Completion: compgen-level (every command; a subcommand; a flag), then at a terminal.
comp="$prefix/share/bash-completion/completions/soarctl"
complete_words() { # WORD... : what <TAB> offers after them
	bash --norc --noprofile -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_soarctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
got=$(complete_words soarctl "")
for c in "${cmds[@]}"; do contains "$got" "$c" "soarctl <TAB>"; done
contains "$(complete_words soarctl job "")" "pause" "soarctl job <TAB>"
checks=$((checks + 1))
[ "$(complete_words soarctl case list --sta)" = "--status" ] || fail "case list --sta<TAB>: $(complete_words soarctl case list --sta)"
contains "$(complete_words soarctl serve --pl)" "--playbooks" "serve --pl<TAB>"
contains "$(complete_words soarctl help ru)" "runs" "help ru<TAB>"
zsh_dir=-
if command -v zsh >/dev/null; then
	zsh_dir="$prefix/share/zsh/site-functions"
	expect_exit 0 -- zsh -n "$zsh_dir/_soarctl"
fi
expect_exit 0 -- "$PY" "$(dirname "$0")/completion_pty.py" "$prefix/bin" "$comp" "$zsh_dir" "${cmds[@]}"
contains "$out" "completion at a terminal: ok" "bash at a pty"
[ "$zsh_dir" = - ] || contains "$out" "zsh completion at a terminal: ok" "zsh at a pty"
finish
