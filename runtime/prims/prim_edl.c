/* prim_edl.c - the `edl` namespace: external dynamic lists in the store (edl.h).
 *
 * Every call is a journaled step (listed in prims.c): a resumed run sees what
 * the first execution saw. A value the list's type refuses, a full list, or a
 * type mismatch is `nil, reason`; misuse (wrong argument types, unknown
 * options) raises. LMDB and file writes run inside no-interrupt regions.
 */
#include "edl.h"
#include "prim.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIG_ADD    "edl.add(list: string, value: string [, {ttl=seconds, comment=string, " \
	"type=\"ip\"|\"domain\"|\"url\", cap=integer}])"
#define SIG_REMOVE "edl.remove(list: string, value: string)"
#define SIG_HAS    "edl.has(list: string, value: string)"
#define SIG_LIST   "edl.list(list: string [, {limit=integer, after=string}])"
#define SIG_EXPORT "edl.export(list: string)"

static struct store *store(lua_State *L)
{
	char err[512];
	prim_noint_enter();
	struct store *st = store_default(err, sizeof err);
	prim_noint_leave();
	if (!st)
		luaL_error(L, "edl: %s", err);
	return st;
}

static int refused(lua_State *L, const char *err)
{
	lua_pushnil(L);
	lua_pushstring(L, err);
	return 2;
}

static void check_options(lua_State *L, int idx, const char *sig, const char *const *allowed)
{
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = lua_type(L, -1) == LUA_TSTRING && strcmp(*a, lua_tostring(L, -1)) == 0;
		if (!ok)
			prim_usage(L, sig, "unknown option %s", lua_type(L, -1) == LUA_TSTRING
				   ? lua_tostring(L, -1) : luaL_typename(L, -1));
	}
}

static int l_add(lua_State *L)
{
	const char *list = prim_check_string(L, 1, SIG_ADD, NULL);
	const char *value = prim_check_string(L, 2, SIG_ADD, NULL);
	struct edl_add_opts o = { 0 };
	if (prim_opt_table(L, 3, SIG_ADD)) {
		static const char *const allowed[] = { "ttl", "comment", "type", "cap", NULL };
		check_options(L, 3, SIG_ADD, allowed);
		lua_getfield(L, 3, "ttl");
		if (!lua_isnil(L, -1)) {
			double ttl = lua_tonumber(L, -1);
			if (lua_type(L, -1) != LUA_TNUMBER || !(ttl > 0) || ttl > 100.0 * 365 * 86400)
				prim_usage(L, SIG_ADD, "ttl must be a number of seconds above 0");
			o.expires_ms = store_now_ms() + (int64_t)llround(ttl * 1000);
		}
		lua_getfield(L, 3, "comment");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, SIG_ADD, "comment must be a string");
		o.comment = lua_tostring(L, -1);
		lua_getfield(L, 3, "type");
		if (!lua_isnil(L, -1) && !(o.type = edl_type_parse(lua_tostring(L, -1))))
			prim_usage(L, SIG_ADD, "type must be \"ip\", \"domain\" or \"url\"");
		lua_getfield(L, 3, "cap");
		if (!lua_isnil(L, -1)) {
			lua_Number c = lua_tonumber(L, -1);
			if (lua_type(L, -1) != LUA_TNUMBER || c != floor(c) || c < 1 || c > EDL_MAX_CAP)
				prim_usage(L, SIG_ADD, "cap must be an integer from 1 to %d", EDL_MAX_CAP);
			o.cap = (uint32_t)c;
		}
	}
	struct store *st = store(L);
	char err[600];
	int added = 0;
	prim_noint_enter();
	int rc = edl_add(st, list, value, &o, &added, err, sizeof err);
	prim_noint_leave();
	if (rc == EDL_REFUSED)
		return refused(L, err);
	if (rc)
		return luaL_error(L, "edl.add: %s", err);
	lua_pushboolean(L, added);
	return 1;
}

static int l_remove(lua_State *L)
{
	const char *list = prim_check_string(L, 1, SIG_REMOVE, NULL);
	const char *value = prim_check_string(L, 2, SIG_REMOVE, NULL);
	struct store *st = store(L);
	char err[600];
	int removed = 0;
	prim_noint_enter();
	int rc = edl_remove(st, list, value, &removed, err, sizeof err);
	prim_noint_leave();
	if (rc == EDL_REFUSED)
		return refused(L, err);
	if (rc)
		return luaL_error(L, "edl.remove: %s", err);
	lua_pushboolean(L, removed);
	return 1;
}

static int l_has(lua_State *L)
{
	const char *list = prim_check_string(L, 1, SIG_HAS, NULL);
	const char *value = prim_check_string(L, 2, SIG_HAS, NULL);
	struct store *st = store(L);
	char err[600];
	int has = 0;
	prim_noint_enter();
	int rc = edl_has(st, list, value, &has, NULL, err, sizeof err);
	prim_noint_leave();
	if (rc == EDL_REFUSED)
		return refused(L, err);
	if (rc)
		return luaL_error(L, "edl.has: %s", err);
	lua_pushboolean(L, has);
	return 1;
}

struct list_ctx {
	lua_State *L;
	int n, limit;
	char last[EDL_MAX_VALUE + 1];
	struct edl_entry *buf;      /* collected first: no Lua calls inside a read txn */
	int cap;
};

static int collect(const struct edl_entry *e, void *ud)
{
	struct list_ctx *c = ud;
	if (c->n == c->limit) {
		c->n++;                 /* one more exists: there is a next page */
		return 1;
	}
	c->buf[c->n++] = *e;
	return 0;
}

static int l_list(lua_State *L)
{
	const char *list = prim_check_string(L, 1, SIG_LIST, NULL);
	int limit = 1000;
	const char *after = NULL;
	if (prim_opt_table(L, 2, SIG_LIST)) {
		static const char *const allowed[] = { "limit", "after", NULL };
		check_options(L, 2, SIG_LIST, allowed);
		lua_getfield(L, 2, "limit");
		if (!lua_isnil(L, -1)) {
			lua_Number n = lua_tonumber(L, -1);
			if (lua_type(L, -1) != LUA_TNUMBER || n != floor(n) || n < 1 || n > 10000)
				prim_usage(L, SIG_LIST, "limit must be an integer from 1 to 10000");
			limit = (int)n;
		}
		lua_getfield(L, 2, "after");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, SIG_LIST, "after must be a string (the last value of the page before)");
		after = lua_tostring(L, -1);
	}
	struct store *st = store(L);
	struct list_ctx c = { L, 0, limit, "", NULL, 0 };
	char err[600];
	prim_noint_enter();
	c.buf = malloc((size_t)(limit) * sizeof *c.buf);
	int rc = c.buf ? edl_each(st, list, after, collect, &c, err, sizeof err) : -1;
	prim_noint_leave();
	if (!c.buf)
		return luaL_error(L, "edl.list: out of memory");
	if (rc == EDL_REFUSED || rc == -1) {
		prim_noint_enter();
		free(c.buf);
		prim_noint_leave();
		if (rc == EDL_REFUSED)
			return refused(L, err);
		return luaL_error(L, "edl.list: %s", err);
	}
	int more = c.n > limit, n = more ? limit : c.n;
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const struct edl_entry *e = &c.buf[i];
		lua_createtable(L, 0, 4);
		lua_pushstring(L, e->value);
		lua_setfield(L, -2, "value");
		lua_pushnumber(L, (double)e->added_ms / 1000.0);
		lua_setfield(L, -2, "added");
		if (e->expires_ms) {
			lua_pushnumber(L, (double)e->expires_ms / 1000.0);
			lua_setfield(L, -2, "expires");
		}
		if (e->comment[0]) {
			lua_pushstring(L, e->comment);
			lua_setfield(L, -2, "comment");
		}
		lua_rawseti(L, -2, i + 1);
	}
	if (more)
		lua_pushstring(L, c.buf[n - 1].value);
	prim_noint_enter();
	free(c.buf);
	prim_noint_leave();
	return more ? 2 : 1;
}

static int l_export(lua_State *L)
{
	const char *list = prim_check_string(L, 1, SIG_EXPORT, NULL);
	if (!lua_isnone(L, 2))
		prim_usage(L, SIG_EXPORT, "a playbook cannot choose the file (it is DATADIR/edl/LIST.txt)");
	struct store *st = store(L);
	char path[4096], err[600];
	uint64_t n = 0;
	if (edl_default_path(list, path, sizeof path, err, sizeof err) != 0)
		return refused(L, err);
	prim_noint_enter();
	int rc = edl_export(st, list, path, &n, err, sizeof err);
	prim_noint_leave();
	if (rc == EDL_NOT_FOUND) {
		lua_pushnil(L);
		lua_pushfstring(L, "no list %s", list);
		return 2;
	}
	if (rc == EDL_REFUSED)
		return refused(L, err);
	if (rc)
		return luaL_error(L, "edl.export: %s", err);
	lua_pushstring(L, path);
	lua_pushnumber(L, (double)n);
	return 2;
}

static const luaL_Reg edl_fns[] = {
	{ "add", l_add },
	{ "remove", l_remove },
	{ "has", l_has },
	{ "list", l_list },
	{ "export", l_export },
	{ NULL, NULL },
};

int prim_open_edl(lua_State *L)
{
	lua_createtable(L, 0, 5);
	luaL_register(L, NULL, edl_fns);
	return 1;
}
