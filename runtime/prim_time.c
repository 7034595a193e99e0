/* prim_time.c - the `time` namespace, over timefmt.h (timefmt.c). A zone named
 * by a playbook may be loaded from disk (file I/O, malloc): each call into
 * timefmt is a non-interruptible region, and raises no Lua error inside it. */
#include "timefmt.h"
#include "prim.h"

#include <lauxlib.h>
#include <string.h>

/* ---- the Lua namespace ------------------------------------------------- */

#define SIG_NOW   "time.now()"
#define SIG_ISO   "time.iso([t: number] [, {ms=boolean, us=boolean, tz=string}])"
#define SIG_PARSE "time.parse(s: string [, {tz=string}])"

static int l_now(lua_State *L)
{
	lua_pushnumber(L, timefmt_now());
	return 1;
}

/* Reads the options table at idx; tz is left pointing into a Lua string. */
static void time_opts(lua_State *L, int idx, const char *sig, int allow_frac, int *frac,
		      const char **tz)
{
	if (!prim_opt_table(L, idx, sig))
		return;
	lua_pushnil(L);
	while (lua_next(L, idx)) {                       /* stack: ..., key, value */
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		if (k && allow_frac && (strcmp(k, "ms") == 0 || strcmp(k, "us") == 0)) {
			if (!lua_isboolean(L, -1))
				prim_usage(L, sig, "option %s is a %s, not a boolean", k,
					   luaL_typename(L, -1));
			if (lua_toboolean(L, -1) && (k[0] == 'u' || *frac < 6))
				*frac = k[0] == 'u' ? 6 : 3;
		} else if (k && strcmp(k, "tz") == 0) {
			if (lua_type(L, -1) != LUA_TSTRING)
				prim_usage(L, sig, "option tz is a %s, not a string", luaL_typename(L, -1));
			*tz = lua_tostring(L, -1); /* the options table keeps it alive */
		} else {
			prim_usage(L, sig, "unknown option %s", k ? k : luaL_typename(L, -2));
		}
		lua_pop(L, 1);
	}
}

static int l_iso(lua_State *L)
{
	int frac = 0;
	const char *tz = NULL;
	char out[TIMEFMT_MAX], err[64];
	double t;
	if (lua_isnoneornil(L, 1))
		t = timefmt_now();
	else
		t = prim_check_number(L, 1, SIG_ISO);
	time_opts(L, 2, SIG_ISO, 1, &frac, &tz);
	prim_noint_enter();
	int n = timefmt_iso(t, frac, tz, out, sizeof out, err, sizeof err);
	prim_noint_leave();
	if (n < 0) {
		if (strcmp(err, "time out of range") == 0)
			prim_usage(L, SIG_ISO, "t = %.14g is outside years 0000-9999 "
				   "(milliseconds instead of seconds?)", t);
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushstring(L, out);
	return 1;
}

static int l_parse(lua_State *L)
{
	size_t len;
	double t;
	char err[64];
	const char *tz = NULL;
	if (lua_type(L, 1) != LUA_TSTRING)
		prim_usage(L, SIG_PARSE, "argument 1 is %s, not a string",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	const char *s = lua_tolstring(L, 1, &len);
	int frac = 0;
	time_opts(L, 2, SIG_PARSE, 0, &frac, &tz);
	prim_noint_enter();
	int rc = timefmt_parse(s, len, tz, &t, err, sizeof err);
	prim_noint_leave();
	if (rc != 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushnumber(L, t);
	return 1;
}

static const luaL_Reg time_fns[] = {
	{ "now", l_now },
	{ "iso", l_iso },
	{ "parse", l_parse },
	{ NULL, NULL },
};

int prim_open_time(lua_State *L)
{
	lua_createtable(L, 0, 3);
	luaL_register(L, NULL, time_fns);
	return 1;
}
