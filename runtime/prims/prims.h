/* prims.h - the Lua namespaces: one opener per binding file, and the one list
 * (prims.c) that installs them. The sandbox does not know this list: its caller
 * hands prims_install to sandbox_set_primitives (cli/main.c). */
#ifndef SOAR_PRIMS_H
#define SOAR_PRIMS_H

#include <lua.h>

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
