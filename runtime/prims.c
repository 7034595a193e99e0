/* prims.c - the one place that lists every Lua namespace the sandbox offers. */
#include "prim.h"
#include "env.h"

#include <stdio.h>

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
	{ "prompt", prim_open_prompt },
	{ "case", prim_open_case },
	{ "indicator", prim_open_indicator },
};

int prim_log_print(lua_State *L);

/* Functions that become globals: the flow steps, then what the prelude returns. */
static void install_globals(lua_State *L, int t)
{
	lua_pushcfunction(L, prim_log_print);
	lua_setfield(L, t, "print");
	lua_pushcfunction(L, prim_open_flow);
	lua_call(L, 0, 1);                              /* stack: flow */
	int flow = lua_gettop(L);
	static const char *const globals[] = { "random", "pick", "sleep", "wait_until", NULL };
	for (const char *const *g = globals; *g; g++) {
		lua_getfield(L, flow, *g);
		lua_setfield(L, t, *g);
	}
	/* The prelude runs with the state's own globals: it is ours, not a run's. */
	char path[4096];
	snprintf(path, sizeof path, "%s/_prelude.lua", env_lua_dir(L));
	if (luaL_loadfile(L, path) != 0)
		lua_error(L);
	lua_pushvalue(L, flow);                         /* raw helpers */
	lua_call(L, 1, 1);                              /* stack: flow, exports */
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, t);
	}
	lua_pop(L, 2);
}

void prims_install(lua_State *L)
{
	int t = lua_gettop(L);
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
		lua_pushcfunction(L, namespaces[i].open);
		lua_call(L, 0, 1);
		lua_setfield(L, t, namespaces[i].name);
	}
	install_globals(L, t);
}
