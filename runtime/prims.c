/* prims.c - the one place that lists every Lua namespace the sandbox offers. */
#include "prim.h"

static const struct {
	const char *name;
	lua_CFunction open;
} namespaces[] = {
	{ "log", prim_open_log },
	{ "json", prim_open_json },
	{ "base64", prim_open_base64 },
	{ "hex", prim_open_hex },
	{ "crypto", prim_open_crypto },
	{ "uuid", prim_open_uuid },
	{ "time", prim_open_time },
	{ "re", prim_open_re },
};

int prim_log_print(lua_State *L);

void prims_install(lua_State *L)
{
	int t = lua_gettop(L);
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
		lua_pushcfunction(L, namespaces[i].open);
		lua_call(L, 0, 1);
		lua_setfield(L, t, namespaces[i].name);
	}
	lua_pushcfunction(L, prim_log_print);
	lua_setfield(L, t, "print");
}
