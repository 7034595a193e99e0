/* integration_check.c - checks a snapshot of the integrations and their config
 * (integration.h) before the daemon installs it, with the code runs use: each
 * integration is loaded by `integration(name)` in a sandbox, as a playbook's
 * call would, first without the config file (a failure is the integration
 * file's), then with it (a failure is the config file's). The config file must
 * be a JSON object whose keys are integrations, each an object. */
#include "integration.h"
#include "prim_json.h"
#include "runinfo.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

struct check_job {
	struct run_info info;      /* first: primitives read it */
	struct integ_snap *s;
	char err[1024];
};

static int noop(lua_State *L)
{
	(void)L;
	return 0;
}

/* integration(name) in the run environment at `env`. NULL, or the message. */
static const char *try_load(lua_State *L, int env, const char *name)
{
	lua_getfield(L, env, "integration");            /* stack: integration */
	lua_pushstring(L, name);
	if (lua_pcall(L, 1, 1, 0) == 0) {
		lua_pop(L, 1);
		return NULL;
	}
	const char *m = lua_tostring(L, -1);            /* stack: message (kept) */
	return m ? m : "does not load";
}

/* "WHERE: MSG", without saying WHERE twice when MSG starts with it. */
static void blame(struct check_job *j, const char *where, const char *msg)
{
	if (strncmp(msg, where, strlen(where)) == 0)
		snprintf(j->err, sizeof j->err, "%s", msg);
	else
		snprintf(j->err, sizeof j->err, "%s: %s", where, msg);
}

static int check_config(lua_State *L, struct check_job *j)
{
	size_t len;
	const char *text = integ_snap_config(j->s, &len);
	const char *path = integ_snap_config_path(j->s);
	char err[256];
	if (!text)
		return 0;
	if (json_decode_push(L, text, len, NULL, err, sizeof err) != 0) {
		snprintf(j->err, sizeof j->err, "%s: not JSON: %s", path, err);
		return -1;
	}
	if (!lua_istable(L, -1)) {
		snprintf(j->err, sizeof j->err, "%s: must be a JSON object (integration name -> "
			 "settings)", path);
		return -1;
	}
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {                        /* stack: cfg, key, value */
		const char *k = lua_tostring(L, -2);
		int known = 0;
		for (int i = 0; i < integ_snap_count(j->s); i++)
			known |= strcmp(integ_snap_name(j->s, i), k) == 0;
		if (!known) {
			snprintf(j->err, sizeof j->err, "%s: \"%s\" is not an integration", path, k);
			return -1;
		}
		if (!lua_istable(L, -1)) {
			snprintf(j->err, sizeof j->err, "%s: the settings of \"%s\" must be an object",
				 path, k);
			return -1;
		}
		lua_pop(L, 1);                          /* stack: cfg, key */
	}
	lua_pop(L, 1);
	return 0;
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct check_job *j = ud;
	int n = integ_snap_count(j->s);
	integ_snap_hide_config(j->s, 1);
	for (int i = 0; i < n && !j->err[0]; i++) {
		const char *m = try_load(L, env, integ_snap_name(j->s, i));
		if (m)
			blame(j, integ_snap_path(j->s, i), m);
	}
	integ_snap_hide_config(j->s, 0);
	if (!j->err[0] && integ_snap_config_path(j->s) && check_config(L, j) == 0)
		for (int i = 0; i < n && !j->err[0]; i++) {
			const char *m = try_load(L, env, integ_snap_name(j->s, i));
			if (m)
				blame(j, integ_snap_config_path(j->s), m);
		}
	lua_pushcfunction(L, noop);                     /* the body: nothing to run */
	return 0;
}

static int finish(lua_State *L, int nres, void *ud)
{
	(void)L;
	(void)nres;
	(void)ud;
	return 0;
}

int integ_snap_check(struct integ_snap *s, const char *lua_dir, char *err, size_t errlen)
{
	struct sandbox *sb = sandbox_new(lua_dir, err, errlen);
	if (!sb)
		return -1;
	struct check_job j;
	memset(&j, 0, sizeof j);
	j.s = s;
	snprintf(j.info.playbook, sizeof j.info.playbook, "integration check");
	struct sandbox_job job = {prepare, finish, &j};
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.wall_seconds = 10;
	struct sandbox_outcome out;
	memset(&out, 0, sizeof out);
	integ_snap_use_here(s);
	enum sandbox_status st = sandbox_exec(sb, &job, &lim, &out);
	integ_snap_use_here(NULL);
	int rc = 0;
	if (j.err[0]) {
		snprintf(err, errlen, "%s", j.err);
		rc = -1;
	} else if (st != SANDBOX_OK) {
		snprintf(err, errlen, "checking the integrations: %s",
			 out.message ? out.message : "failed");
		rc = -1;
	}
	sandbox_outcome_clear(&out);
	sandbox_free(sb);
	return rc;
}
