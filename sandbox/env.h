/* env.h - the restricted environment of sandboxed code.
 *
 * The base environment is built once per state: allow-listed globals, read-only
 * proxies of the library tables, the primitives. Each run gets a fresh table whose
 * metatable (one per run) falls back to the base; reading a global that neither
 * defines is an error that names it. Modules that `require` loads get their own
 * table with the same per-run metatable, so they share the run's module cache.
 */
#ifndef SOAR_ENV_H
#define SOAR_ENV_H

#include <lua.h>

/* Opens the safe standard libraries, hardens them (no string.dump, protected
 * string metatable), builds the base environment and keeps it in the registry.
 * `lua_dir` is where `require` looks for modules. Raises on failure (call it
 * protected). */
int env_build_base(lua_State *L);

/* Where `require` finds modules (the project's lua/). */
const char *env_lua_dir(lua_State *L);

/* Pushes a new run environment. */
void env_push_run(lua_State *L);

/* Resets per-run counters (coroutine nesting); call before each run. */
void env_reset_run(void);

/* For tests of the boundary: when on (set it before building a sandbox), the
 * set-up keeps a weak-keyed set of every value that only the set-up had: the
 * real globals table, the registry, the library tables runs get proxies of, and
 * every function a run must not hold (os.execute, io.*, debug.*, getfenv,
 * setfenv, newproxy, string.dump, jit.*, the unbounded coroutine.wrap ...; the
 * debug, io and package libraries are opened for the purpose). Weak: a value in
 * it stays only while something still references it. */
void env_audit_fingerprints(int on);
/* 1 if the value at idx is in that set (0 when the audit is off). */
int env_is_forbidden(lua_State *L, int idx);
/* Pushes one forbidden value that is still alive (the emptied real globals):
 * for a test's control run. */
void env_push_forbidden_sample(lua_State *L);

#endif
