/* prim_log.c - the `log` namespace and `print`: structured records of a run. */
#include "prim_json.h"
#include "log.h"
#include "prim.h"
#include "runinfo.h"
#include "runscrub.h"
#include "sandbox.h"

#include <stdlib.h>
#include <string.h>


static void emit(lua_State *L, enum log_level level, const char *msg, size_t len, int fields)
{
	struct run_info *ri = sandbox_current();
	struct json_buf buf = { 0 };
	char err[160];
	const char *fj = NULL;
	if (fields) {
		if (json_encode_lua(L, fields, NULL, &buf, err, sizeof err) == 0)
			fj = buf.data;
		else
			fj = "{\"log_error\":\"fields are not JSON\"}";
	}
	prim_noint_enter();
	/* Scrubbed of the secrets the run opened: logs leave the process. */
	size_t clen;
	char *cmsg = run_scrub(ri, msg, len, &clen);
	char *cfields = fj ? run_scrub(ri, fj, strlen(fj), NULL) : NULL;
	log_emit(level, ri ? ri->playbook : "lua", ri && ri->id[0] ? ri->id : NULL,
		 cmsg ? cmsg : msg, cmsg ? clen : len, cfields ? cfields : fj);
	free(cmsg);
	free(cfields);
	prim_noint_leave();
	json_buf_free(&buf);
}

static int log_at(lua_State *L, enum log_level level)
{
	if (level < log_min_level())
		return 0;
	if (lua_isnone(L, 1))
		prim_usage(L, "log.info(message: any [, fields: table])", "message is missing");
	int fields = 0;
	if (!lua_isnoneornil(L, 2)) {
		if (!lua_istable(L, 2))
			prim_usage(L, "log.info(message: any [, fields: table])",
				   "fields is a %s, not a table", luaL_typename(L, 2));
		fields = 2;
	}
	size_t len;
	lua_getglobal(L, "tostring");
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	const char *msg = lua_tolstring(L, -1, &len);
	emit(L, level, msg ? msg : "", msg ? len : 0, fields);
	return 0;
}

static int l_debug(lua_State *L) { return log_at(L, LOG_DEBUG); }
static int l_info(lua_State *L) { return log_at(L, LOG_INFO); }
static int l_warn(lua_State *L) { return log_at(L, LOG_WARN); }
static int l_error(lua_State *L) { return log_at(L, LOG_ERROR); }

/* print(...) is log.info of its arguments joined by tabs, as in plain Lua. */
int prim_log_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		lua_getglobal(L, "tostring");
		lua_pushvalue(L, i);
		lua_call(L, 1, 1);
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	size_t len;
	const char *msg = lua_tolstring(L, -1, &len);
	emit(L, LOG_INFO, msg, len, 0);
	return 0;
}

int prim_open_log(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "debug", l_debug },
		{ "info", l_info },
		{ "warn", l_warn },
		{ "error", l_error },
		{ NULL, NULL },
	};
	lua_newtable(L);
	luaL_register(L, NULL, fns);
	return 1;
}
