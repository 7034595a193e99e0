/* prim.h - what every Lua primitive binding shares.
 *
 * One binding file per Lua namespace (prim_json.c -> `json`, prim_re.c -> `re`...),
 * each with one luaL_Reg table and one opener that pushes the namespace table.
 * prims.c calls every opener once per interpreter state and installs the tables
 * read-only in the sandbox base environment.
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

/* Openers: each pushes its namespace table. */
int prim_open_log(lua_State *L);
int prim_open_json(lua_State *L);
int prim_open_base64(lua_State *L);
int prim_open_hex(lua_State *L);
int prim_open_crypto(lua_State *L);
int prim_open_uuid(lua_State *L);
int prim_open_time(lua_State *L);
int prim_open_re(lua_State *L);
int prim_open_prompt(lua_State *L);
int prim_open_secret(lua_State *L);
int prim_open_case(lua_State *L);
int prim_open_indicator(lua_State *L);
int prim_open_flow(lua_State *L);
int prim_open_http(lua_State *L);   /* http.request and sugar (prim_http.c) */
int prim_open_integration(lua_State *L); /* the integration() function (prim_integration.c) */
int prim_open_edl(lua_State *L);    /* external dynamic lists (prim_edl.c) */
int prim_open_slack(lua_State *L);  /* slack.post, prompt, buttons, verify (prim_slack.c) */
int prim_open_email(lua_State *L);  /* email.send over SMTP (prim_email.c) */
int prim_open_playbook(lua_State *L); /* start, and the halves of call */   /* random, pick, sleep, wait_until, task helpers */

/* Install every namespace above into the table at stack top (the sandbox base). */
void prims_install(lua_State *L);

#endif
