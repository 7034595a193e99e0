/* prim_uuid.c - the `uuid` namespace, over uuid.h (uuid.c). */
#include "uuid.h"
#include "prim.h"

#include <lauxlib.h>

static int l_v4(lua_State *L)
{
	char s[UUID_STR_LEN + 1];
	uuid_v4(s);
	lua_pushlstring(L, s, UUID_STR_LEN);
	return 1;
}

static int l_v7(lua_State *L)
{
	char s[UUID_STR_LEN + 1];
	uuid_v7(s);
	lua_pushlstring(L, s, UUID_STR_LEN);
	return 1;
}

static int l_valid(lua_State *L)
{
	size_t len;
	if (lua_type(L, 1) != LUA_TSTRING)
		prim_usage(L, "uuid.valid(s: string)", "argument 1 is %s, not a string",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	const char *s = lua_tolstring(L, 1, &len);
	lua_pushboolean(L, uuid_valid(s, len));
	return 1;
}

static const luaL_Reg uuid_fns[] = {
	{ "v4", l_v4 },
	{ "v7", l_v7 },
	{ "valid", l_valid },
	{ NULL, NULL },
};

int prim_open_uuid(lua_State *L)
{
	lua_createtable(L, 0, 3);
	luaL_register(L, NULL, uuid_fns);
	return 1;
}
