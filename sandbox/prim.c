/* prim.c - helpers shared by the primitive bindings (see prim.h). */
#include "prim.h"
#include "sandbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void prim_usage(lua_State *L, const char *signature, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	/* The name is what comes before the parenthesis or brace of the signature. */
	int n = 0;
	while (signature[n] && signature[n] != '(' && signature[n] != '{')
		n++;
	luaL_where(L, 1);                          /* stack: "file:line: " */
	lua_pushlstring(L, signature, (size_t)n);
	lua_pushfstring(L, ": %s; expected %s", what, signature);
	lua_concat(L, 3);
	lua_error(L);
	abort(); /* not reached */
}

const char *prim_check_string(lua_State *L, int idx, const char *signature, size_t *len)
{
	if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER)
		prim_usage(L, signature, "argument %d is %s, not a string", idx,
			   lua_isnoneornil(L, idx) ? "missing" : luaL_typename(L, idx));
	return lua_tolstring(L, idx, len);
}

lua_Number prim_check_number(lua_State *L, int idx, const char *signature)
{
	if (lua_type(L, idx) != LUA_TNUMBER)
		prim_usage(L, signature, "argument %d is %s, not a number", idx,
			   lua_isnoneornil(L, idx) ? "missing" : luaL_typename(L, idx));
	return lua_tonumber(L, idx);
}

int prim_opt_table(lua_State *L, int idx, const char *signature)
{
	if (lua_isnoneornil(L, idx))
		return 0;
	if (!lua_istable(L, idx))
		prim_usage(L, signature, "argument %d is a %s, not a table", idx, luaL_typename(L, idx));
	return 1;
}

void prim_noint_enter(void) { sandbox_noint_enter(); }
void prim_noint_leave(void) { sandbox_noint_leave(); }
