/* prim_sla.c - see prim_sla.h. */
#include "prim_sla.h"
#include "prim.h"
#include "prim_json.h"

#include <lauxlib.h>
#include <string.h>

static void check_string_or_list(lua_State *L, int idx, const char *sig, const char *what)
{
	if (lua_type(L, idx) == LUA_TSTRING)
		return;
	if (!lua_istable(L, idx))
		prim_usage(L, sig, "on_breach.%s must be a string or a list of strings", what);
	for (int i = 1; i <= (int)lua_objlen(L, idx); i++) {
		lua_rawgeti(L, idx, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, sig, "on_breach.%s[%d] is not a string", what, i);
		lua_pop(L, 1);
	}
}

static void only_keys(lua_State *L, int idx, const char *sig, const char *what,
		      const char *const *known)
{
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		int ok = 0;
		for (const char *const *k = known; *k && !ok; k++)
			ok = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), *k) == 0;
		if (!ok)
			prim_usage(L, sig, "%s: unknown field %s", what,
				   lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a name)");
	}
}

const char *prim_sla_on_breach(lua_State *L, int idx, const char *sig)
{
	if (idx < 0)
		idx = lua_gettop(L) + idx + 1;
	if (!lua_istable(L, idx))
		prim_usage(L, sig, "on_breach must be a table: {notify=, reassign=, severity=, playbook=}");
	static const char *const top[] = { "notify", "reassign", "severity", "playbook", NULL };
	only_keys(L, idx, sig, "on_breach", top);
	int any = 0;
	lua_getfield(L, idx, "notify");
	if (!lua_isnil(L, -1)) {
		int t = lua_gettop(L);
		if (!lua_istable(L, t))
			prim_usage(L, sig, "on_breach.notify must be {email=, slack=, text=}");
		static const char *const nk[] = { "email", "slack", "text", NULL };
		only_keys(L, t, sig, "on_breach.notify", nk);
		lua_getfield(L, t, "email");
		if (!lua_isnil(L, -1))
			check_string_or_list(L, lua_gettop(L), sig, "notify.email");
		lua_getfield(L, t, "slack");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, sig, "on_breach.notify.slack is a channel name");
		lua_getfield(L, t, "text");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, sig, "on_breach.notify.text is a string");
		if (lua_isnil(L, -2) && lua_isnil(L, -3))
			prim_usage(L, sig, "on_breach.notify needs email and/or slack");
		lua_pop(L, 3);
		any = 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, idx, "reassign");
	if (!lua_isnil(L, -1)) {
		if (lua_istable(L, -1)) {
			static const char *const rk[] = { "owner", "role", NULL };
			only_keys(L, lua_gettop(L), sig, "on_breach.reassign", rk);
			lua_getfield(L, -1, "owner");
			lua_getfield(L, -2, "role");
			if ((!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING) ||
			    (!lua_isnil(L, -2) && lua_type(L, -2) != LUA_TSTRING) ||
			    (lua_isnil(L, -1) && lua_isnil(L, -2)))
				prim_usage(L, sig, "on_breach.reassign is an owner or {owner=, role=}");
			lua_pop(L, 2);
		} else if (lua_type(L, -1) != LUA_TSTRING) {
			prim_usage(L, sig, "on_breach.reassign is an owner or {owner=, role=}");
		}
		any = 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, idx, "severity");
	if (!lua_isnil(L, -1)) {
		const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
		if (strcmp(s, "raise") && strcmp(s, "low") && strcmp(s, "medium") && strcmp(s, "high") &&
		    strcmp(s, "critical"))
			prim_usage(L, sig, "on_breach.severity is \"raise\" or low, medium, high, critical");
		any = 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, idx, "playbook");
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING || !lua_objlen(L, -1))
			prim_usage(L, sig, "on_breach.playbook is a playbook name");
		any = 1;
	}
	lua_pop(L, 1);
	if (!any)
		prim_usage(L, sig, "on_breach needs notify, reassign, severity and/or playbook");
	struct json_opts o = { 0, 1, 0, 0 };
	struct json_buf jb = { 0 };
	char err[256];
	prim_noint_enter();
	int rc = json_encode_lua(L, idx, &o, &jb, err, sizeof err);
	prim_noint_leave();
	if (rc != 0) {
		prim_noint_enter();
		json_buf_free(&jb);
		prim_noint_leave();
		prim_usage(L, sig, "on_breach: %s", err);
	}
	lua_pushlstring(L, jb.data, jb.len);
	prim_noint_enter();
	json_buf_free(&jb);
	prim_noint_leave();
	return lua_tostring(L, -1);
}
