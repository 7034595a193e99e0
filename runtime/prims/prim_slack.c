/* prim_slack.c - the `slack` namespace: post and prompt (the slack
 * integration's commands, so they are journaled steps with mock and fixtures),
 * buttons (Block Kit for a prompt), and verify (slack.h, in C). The Lua half is
 * integrations/_slack.lua. */
#include "integration.h"
#include "prim.h"
#include "prims.h"
#include "slack.h"
#include "env.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SIG_VERIFY "slack.verify{secret=string, timestamp=string, body=string, signature=string}"

static const char *field(lua_State *L, const char *k, size_t *len)
{
	lua_getfield(L, 1, k);
	if (lua_type(L, -1) != LUA_TSTRING)
		prim_usage(L, SIG_VERIFY, "%s is %s, not a string", k, luaL_typename(L, -1));
	const char *s = lua_tolstring(L, -1, len);
	lua_pop(L, 1);
	return s;
}

static int l_verify(lua_State *L)
{
	if (!lua_istable(L, 1))
		prim_usage(L, SIG_VERIFY, "argument 1 is not a table");
	size_t sl, bl;
	const char *secret = field(L, "secret", &sl);
	const char *ts = field(L, "timestamp", NULL);
	const char *body = field(L, "body", &bl);
	const char *sig = field(L, "signature", NULL);
	prim_noint_enter(); /* the HMAC callocs (hmac.h) */
	enum slack_verdict v = slack_verify(secret, sl, ts, body, bl, sig, (int64_t)time(NULL));
	prim_noint_leave();
	lua_pushboolean(L, v == SLACK_OK);
	if (v == SLACK_OK)
		return 1;
	lua_pushstring(L, slack_verdict_name(v));
	return 2;
}

int prim_open_slack(lua_State *L)
{
	char dir[4096], path[4200];
	integration_bundled_dir(env_lua_dir(L), dir, sizeof dir);
	snprintf(path, sizeof path, "%s/_slack.lua", dir);
	if (luaL_loadfile(L, path) != 0)
		lua_error(L);
	lua_pushcfunction(L, prim_open_integration);
	lua_call(L, 0, 1);                              /* stack: chunk, integration */
	lua_pushcfunction(L, l_verify);
	lua_call(L, 2, 1);
	if (!lua_istable(L, -1))
		luaL_error(L, "%s must return the slack table", path);
	return 1;
}
