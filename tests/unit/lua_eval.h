/* lua_eval.h - for C tests of one primitive namespace in a bare LuaJIT state:
 * `L` is the test's state, open_ns installs a namespace as a global, eval runs a
 * chunk and renders what it returned as text. */
#ifndef SOAR_LUA_EVAL_H
#define SOAR_LUA_EVAL_H

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>

static lua_State *L;

/* Runs a chunk returning a string, or nil, err ("nil: err"); "ERR: msg" if it raises. */
static const char *eval(const char *code)
{
	static char out[4096];
	if (luaL_dostring(L, code) != 0)
		snprintf(out, sizeof out, "ERR: %s", lua_tostring(L, -1));
	else if (lua_isnil(L, 1) && lua_gettop(L) >= 2)
		snprintf(out, sizeof out, "nil: %s", lua_tostring(L, 2));
	else
		snprintf(out, sizeof out, "%s", lua_tostring(L, 1) ? lua_tostring(L, 1) : "(not a string)");
	lua_settop(L, 0);
	return out;
}

static void open_ns(const char *name, lua_CFunction open)
{
	lua_pushcfunction(L, open);
	lua_call(L, 0, 1);
	lua_setglobal(L, name);
}

#endif
