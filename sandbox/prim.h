/* prim.h - what every Lua primitive binding shares.
 *
 * One binding file per Lua namespace (prim_re.c -> `re`...), each with one
 * luaL_Reg table and one opener that pushes the namespace table (the openers:
 * runtime/prims/prims.h). These conventions live in the sandbox because its own
 * functions (load, require, collectgarbage) follow them too.
 */
#ifndef SOAR_PRIM_H
#define SOAR_PRIM_H

#include <lua.h>
#include <lauxlib.h>
#include <stddef.h>

/* Raise a Lua error naming the API and how it is called, e.g.
 *   prim_usage(L, "json.encode(value [, {pretty=boolean}])", "value is a function");
 * gives "json.encode: value is a function; expected json.encode(value [, {...}])". */
__attribute__((noreturn, format(printf, 3, 4)))
void prim_usage(lua_State *L, const char *signature, const char *fmt, ...);

/* luaL_checklstring without the C-internal wording: names the signature. */
const char *prim_check_string(lua_State *L, int idx, const char *signature, size_t *len);
lua_Number prim_check_number(lua_State *L, int idx, const char *signature);
/* Optional table argument: returns 1 when present (a table), 0 when nil/none. */
int prim_opt_table(lua_State *L, int idx, const char *signature);

/* Mark a region of C code that must not be interrupted by the sandbox watchdog's
 * hard stop (it calls malloc, holds a lock, or touches shared state).  Primitives
 * that call into libc's allocator, libcurl, PCRE2 or LMDB wrap that call. Nests. */
void prim_noint_enter(void);
void prim_noint_leave(void);

#endif
