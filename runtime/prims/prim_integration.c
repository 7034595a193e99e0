/* prim_integration.c - `integration(name [, opts])`: the C half.
 *
 * The Lua half is integrations/_runtime.lua (Lua so that a command may yield
 * once requests are asynchronous: a C function between the playbook and the
 * command's code would stop the coroutine from yielding). It gets these raw
 * helpers, which sandboxed code never sees:
 *
 *   load(name)                    -> manifest, scope, path, http (evaluates NAME.lua
 *                                    in its own environment whose `http` is bound
 *                                    to the new, empty egress scope)
 *   allow(scope, who, hosts, base_url|nil)   fills the egress scope (raises on a
 *                                    bad host)
 *   fixture(scope, path, name, mode)  replay: loads the fixture into the scope;
 *                                    record: starts keeping exchanges
 *   save_fixture(scope, path)        writes what was recorded, secrets scrubbed
 *   config(name)                  -> the integration's table from the config file
 *   mock_all()                    -> boolean
 *   sensitive(scope, name, label, value) -> value (scrubbed from now on)
 *   record_for(name)              -> the fixture `soarctl integration record`
 *                                    records into, or nil
 *   secret(scope, name, key [, config_value]) -> value | nil, err
 *   replay(step)                  -> true, values... | false
 *   record(step, summary, ...)    -> ... (journals the values)
 *   fail(step, summary, message)     journals a failure and raises it
 *   encode(value) -> JSON text | nil;  warn(message)
 *   schema                        the typed outputs module (lua/_integration_schema.lua)
 *   quiet_begin(scope), quiet_end(token)   around a command's code: its own
 *                                    steps are not journaled (the command is one)
 */
#include "http_scope.h"
#include "integration.h"
#include "integration_lua.h"
#include "prim_json.h"
#include "log.h"
#include "playbook.h"
#include "prim.h"
#include "redact.h"
#include "runscrub.h"
#include "runinfo.h"
#include "sandbox.h"
#include "env.h"
#include "secret.h"
#include "datadir.h"
#include "step.h"

#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Pushes the compiled chunk of the file at `path` (cached per state by path and
 * contents, as playbooks are). The source is copied into a Lua string before
 * compiling, so a syntax error (a raise) leaks no C memory. */
static void push_integration_chunk(lua_State *L, const char *path, const char *name)
{
	char *buf = NULL, err[512];
	size_t len = 0;
	/* From the daemon's checked snapshot when one is installed, else the disk. */
	prim_noint_enter();
	int rc = integration_source_read(path, &buf, &len, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		luaL_error(L, "integration %s: %s", name, err);
	lua_pushlstring(L, buf, len);                   /* stack: code */
	prim_noint_enter();
	free(buf);
	prim_noint_leave();
	lua_pushstring(L, path);                        /* stack: code, path */
	struct playbook_src src;
	src.path = (char *)lua_tostring(L, -1);
	src.code = (char *)lua_tolstring(L, -2, &src.len);
	src.hash = fnv1a(fnv1a(0xcbf29ce484222325ULL, src.path, strlen(src.path) + 1), src.code, src.len);
	playbook_push_chunk(L, &src);                   /* stack: code, path, chunk */
	lua_replace(L, -3);
	lua_pop(L, 1);                                  /* stack: chunk */
}

int integration_load_manifest(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	char path[4096], err[512];
	if (integration_find(env_lua_dir(L), name, path, sizeof path, err, sizeof err) != 0)
		return luaL_error(L, "integration: %s", err);
	push_integration_chunk(L, path, name);          /* stack: chunk */
	env_push_run(L);                                /* stack: chunk, env */
	struct http_scope *s = http_scope_push(L);      /* stack: chunk, env, scope */
	s->egress.kind = EGRESS_INTEGRATION;
	snprintf(s->egress.who, sizeof s->egress.who, "integration %s", name);
	http_push_namespace(L, lua_gettop(L));         /* stack: chunk, env, scope, http */
	lua_pushvalue(L, -1);
	lua_setfield(L, -4, "http");                    /* env.http: the scoped one */
	lua_pushvalue(L, -3);
	lua_setfenv(L, -5);
	lua_pushvalue(L, -4);
	lua_call(L, 0, 1);                              /* stack: chunk, env, scope, http, manifest */
	lua_replace(L, -5);
	lua_remove(L, -3);                              /* stack: manifest, scope, http */
	lua_pushstring(L, path);
	lua_insert(L, -2);                              /* stack: manifest, scope, path, http */
	return 4;
}

static struct http_scope *check_scope(lua_State *L, int idx)
{
	struct http_scope *s = http_scope_get(L, idx);
	if (!s)
		luaL_error(L, "integration: internal: not a scope");
	return s;
}

static int raw_allow(lua_State *L)
{
	struct http_scope *s = check_scope(L, 1);
	const char *who = luaL_checkstring(L, 2);
	char err[256];
	luaL_checktype(L, 3, LUA_TTABLE);
	int n = (int)lua_objlen(L, 3);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, 3, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "%s: hosts[%d] is not a string", who, i);
		if (egress_add(&s->egress, lua_tostring(L, -1), err, sizeof err) != 0)
			return luaL_error(L, "%s: %s", who, err);
		lua_pop(L, 1);
	}
	if (lua_type(L, 4) == LUA_TSTRING &&
	    egress_add_url_host(&s->egress, lua_tostring(L, 4), err, sizeof err) != 0)
		return luaL_error(L, "%s: base_url: %s", who, err);
	return 0;
}

static int raw_fixture(lua_State *L)
{
	struct http_scope *s = check_scope(L, 1);
	const char *ipath = luaL_checkstring(L, 2);
	const char *name = luaL_checkstring(L, 3);
	const char *fixture = luaL_checkstring(L, 4);
	const char *mode = luaL_checkstring(L, 5);
	if (!integration_name_ok(fixture))
		return luaL_error(L, "integration %s: fixture '%s' is not a name (a-z, 0-9, _ and -)",
				  name, fixture);
	snprintf(s->fixture_name, sizeof s->fixture_name, "%s/%s", name, fixture);
	if (strcmp(mode, "record") == 0) {
		s->mode = HTTP_RECORD;
		return 0;
	}
	char path[4096];
	integration_fixture_path(ipath, name, fixture, path, sizeof path);
	prim_noint_enter();
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	if (f) {
		buf = malloc((size_t)8 << 20);
		len = buf ? fread(buf, 1, (size_t)8 << 20, f) : 0;
		fclose(f);
	}
	prim_noint_leave();
	if (!f || !buf) {
		free(buf);
		return luaL_error(L, "integration %s: no fixture file %s", name, path);
	}
	char err[256];
	int rc = json_decode_push(L, buf, len, NULL, err, sizeof err);
	prim_noint_enter();
	free(buf);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "integration %s: fixture %s is not JSON: %s", name, path, err);
	lua_getfield(L, -1, "exchanges");
	if (!lua_istable(L, -1))
		return luaL_error(L, "integration %s: fixture %s has no \"exchanges\" list", name, path);
	lua_getfenv(L, 1);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "fixture");
	s->mode = HTTP_REPLAY;
	lua_pop(L, 2);
	return 1;                                       /* the whole fixture document */
}

/* Names of fields whose values are credentials wherever they appear in a
 * recorded exchange (a token endpoint's answer, an echoed header): replaced
 * even when the integration did not read them as secrets. */
static int credential_key(const char *k)
{
	static const char *const keys[] = { "access_token", "refresh_token", "id_token", "token",
		"password", "client_secret", "secret", "api_key", "apikey", "authorization",
		"cookie", "set-cookie", "x-apikey", "x-api-key", "x-pan-key", "auth-key" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcasecmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

/* Replaces, in the table at idx and the tables in it (to a depth), every
 * string under a credential_key name with "[scrubbed]". May raise (before the
 * no-interrupt region of the caller). */
static void scrub_credential_fields(lua_State *L, int idx, int depth)
{
	if (depth > 32)
		return;
	luaL_checkstack(L, 4, "integration record");
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING &&
		    credential_key(lua_tostring(L, -2))) {
			lua_pushvalue(L, -2);
			lua_pushliteral(L, "[scrubbed]");
			lua_rawset(L, idx);             /* an existing key: the traversal stays valid */
		} else if (lua_istable(L, -1)) {
			scrub_credential_fields(L, lua_gettop(L), depth + 1);
		}
		lua_pop(L, 1);
	}
}

/* Encodes env.recorded as a fixture document, scrubs every secret value the
 * integration read (env.secrets: name -> value) and every credential field
 * (scrub_credential_fields), and writes it atomically. */
static int raw_save_fixture(lua_State *L)
{
	struct http_scope *s = check_scope(L, 1);
	const char *ipath = luaL_checkstring(L, 2);
	const char *name = luaL_checkstring(L, 3);
	const char *fixture = luaL_checkstring(L, 4);
	luaL_checktype(L, 5, LUA_TTABLE);               /* header fields of the document */
	if (!integration_name_ok(fixture) || s->mode != HTTP_RECORD)
		return luaL_error(L, "integration %s: not recording", name);
	lua_getfenv(L, 1);
	lua_getfield(L, -1, "recorded");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
	lua_setfield(L, 5, "exchanges");
	lua_getfield(L, 5, "exchanges");
	scrub_credential_fields(L, lua_gettop(L), 0);
	lua_pop(L, 1);
	char err[256];
	struct json_buf jb = { 0 };
	struct json_opts o = { .pretty = 1, .sort_keys = 1 };
	/* Every Lua call that may raise (allocate) comes before the no-interrupt
	 * region below: a region an error unwinds would stay open, and the buffers
	 * in it would leak. */
	lua_getfield(L, -1, "secrets");
	int secrets = lua_istable(L, -1) ? lua_gettop(L) : 0;
	luaL_checkstack(L, 3, "integration record");
	if (json_encode_lua(L, 5, &o, &jb, err, sizeof err) != 0) {
		json_buf_free(&jb);
		return luaL_error(L, "integration %s: cannot encode the fixture: %s", name, err);
	}
	prim_noint_enter();
	struct redact_set *rs = redact_new();
	int ok = rs != NULL;
	if (secrets) {
		/* Names and values are strings (raw_secret stores them): reading them
		 * allocates nothing; anything else is skipped, not converted. */
		lua_pushnil(L);
		while (ok && lua_next(L, secrets)) {
			size_t vl;
			if (lua_type(L, -1) == LUA_TSTRING && lua_type(L, -2) == LUA_TSTRING) {
				const char *v = lua_tolstring(L, -1, &vl);
				ok = redact_add(rs, lua_tostring(L, -2), v, vl) == 0;
			}
			lua_pop(L, 1);
		}
	}
	char *clean = NULL;
	size_t clean_len = 0;
	int n = ok ? redact(rs, jb.data, jb.len, &clean, &clean_len) : -1;
	char path[4096];
	integration_fixture_path(ipath, name, fixture, path, sizeof path);
	int rc = n < 0 ? -1 : integration_write_file(path, n ? clean : jb.data, n ? clean_len : jb.len,
						    err, sizeof err);
	if (n < 0)
		snprintf(err, sizeof err, "out of memory scrubbing secrets");
	free(clean);
	redact_free(rs);
	json_buf_free(&jb);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "integration %s: %s", name, err);
	lua_pushstring(L, path);
	return 1;
}

static int raw_config(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	char *text;
	size_t len;
	char err[512];
	prim_noint_enter();
	int rc = integration_config_read(&text, &len, err, sizeof err);
	prim_noint_leave();
	if (rc < 0)
		return luaL_error(L, "integration %s: %s", name, err);
	if (rc == 0)
		return 0;
	rc = json_decode_push(L, text, len, NULL, err, sizeof err);
	prim_noint_enter();
	free(text);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "integration %s: the integration config is not JSON: %s", name, err);
	if (!lua_istable(L, -1))
		return luaL_error(L, "integration %s: the integration config must be a JSON object", name);
	lua_getfield(L, -1, name);
	return 1;
}

/* sensitive(scope, name, label, value): a credential the integration got at
 * run time (an OAuth access token) is scrubbed like a secret it read: from
 * the run's output and from recorded fixtures, as [secret:NAME.LABEL]. */
static int raw_sensitive(lua_State *L)
{
	check_scope(L, 1);
	const char *name = luaL_checkstring(L, 2);
	const char *label = luaL_checkstring(L, 3);
	size_t vl;
	const char *v = luaL_checklstring(L, 4, &vl);
	char full[256];
	snprintf(full, sizeof full, "%s.%s", name, label);
	struct redact_set *rs = run_redact_set(NULL);
	prim_noint_enter();
	if (rs)
		redact_add(rs, full, v, vl);
	prim_noint_leave();
	lua_getfenv(L, 1);
	lua_getfield(L, -1, "secrets");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "secrets");
	}
	lua_pushvalue(L, 4);
	lua_setfield(L, -2, full);
	lua_settop(L, 4);
	return 1;                                       /* the value */
}

static int raw_mock_all(lua_State *L)
{
	lua_pushboolean(L, integration_mock_all());
	return 1;
}

/* secrets: the vault (runtime/secret.h) when it opens; otherwise the
 * integration's config holds the value (development only, logged). */
static int raw_secret(lua_State *L)
{
	struct http_scope *s = check_scope(L, 1);
	const char *name = luaL_checkstring(L, 2);
	const char *key = luaL_checkstring(L, 3);
	char full[256], err[256];
	snprintf(full, sizeof full, "%s.%s", name, key);
	struct secret_actor actor = { SECRET_ACTOR_INTEGRATION, name };
	size_t len = 0;
	prim_noint_enter();
	unsigned char *buf = malloc(SECRET_MAX_VALUE);
	struct secret_vault *v = buf && datadir_get() ? secret_vault_default(err, sizeof err) : NULL;
	int rc = v ? secret_get(v, &actor, full, run_redact_set(NULL), buf, SECRET_MAX_VALUE, &len,
				err, sizeof err) : -2;
	prim_noint_leave();
	/* secrets: until every deployment has a vault, a value in the integration's
	 * config file stands in (arg 4); the vault wins when it has one. */
	int fallback = rc != 0 && rc != SECRET_DENIED && lua_type(L, 4) == LUA_TSTRING;
	if (rc == 0 || fallback) {
		if (fallback) {
			size_t vl;
			const char *vv = lua_tolstring(L, 4, &vl);
			struct redact_set *rs = run_redact_set(NULL);
			prim_noint_enter();
			if (rs)
				redact_add(rs, full, vv, vl);
			prim_noint_leave();
			lua_pushvalue(L, 4);
		} else {
			lua_pushlstring(L, (const char *)buf, len);
		}
		rc = 0;
		/* Remembered for scrubbing recorded fixtures (the scope's env). */
		lua_getfenv(L, 1);
		lua_getfield(L, -1, "secrets");
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushvalue(L, -1);
			lua_setfield(L, -3, "secrets");
		}
		lua_pushvalue(L, -3);
		lua_setfield(L, -2, full);
		lua_pop(L, 2);
	}
	prim_noint_enter();
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	prim_noint_leave();
	(void)s;
	if (rc == 0)
		return 1;
	lua_pushnil(L);
	if (rc == SECRET_DENIED)
		lua_pushfstring(L, "denied: %s", err);
	else if (rc == SECRET_NOT_FOUND || rc == -2)
		lua_pushfstring(L, "no secret %s", full);
	else
		lua_pushstring(L, err);
	return 2;
}

static int raw_replay(lua_State *L)
{
	const char *step = luaL_checkstring(L, 1);
	lua_settop(L, 1);
	lua_pushboolean(L, 1);
	int n = step_replay(L, step);
	if (n < 0) {
		lua_pushboolean(L, 0);
		return 1;
	}
	return n + 1;
}

static int raw_record(lua_State *L)
{
	const char *step = luaL_checkstring(L, 1);
	const char *sum = luaL_optstring(L, 2, NULL);
	int n = lua_gettop(L) - 2;
	/* Under a run loop the entry joins the round's batch (the run suspends). */
	return step_commit(L, step, sum, n);
}

static int raw_fail(lua_State *L)
{
	const char *step = luaL_checkstring(L, 1);
	const char *sum = luaL_optstring(L, 2, NULL);
	const char *msg = luaL_checkstring(L, 3);
	step_fail(L, step, sum, msg);
	return 0;
}

/* While a command's code runs, the run's engine is hidden: the command is one
 * step and what it does inside (requests, time) is not journaled on its own. The
 * token keeps what to put back. */
struct quiet_token {
	struct run_info *ri;
	struct engine_run *engine;
	int active;
};

static int raw_quiet_begin(lua_State *L)
{
	struct http_scope *s = check_scope(L, 1);
	struct run_info *ri = sandbox_current();
	struct quiet_token *t = lua_newuserdata(L, sizeof *t);
	t->ri = ri;
	t->engine = ri ? ri->engine : NULL;
	t->active = 1;
	s->step = step_position(L);
	s->sub = 0;
	snprintf(s->run_id, sizeof s->run_id, "%s", ri ? ri->id : "");
	if (ri)
		ri->engine = NULL;
	return 1;
}

static int raw_quiet_end(lua_State *L)
{
	struct quiet_token *t = lua_touserdata(L, 1);
	if (t && t->active) {
		if (t->ri)
			t->ri->engine = t->engine;
		t->active = 0;
	}
	return 0;
}

/* JSON text of a value (sorted keys), or nil when it cannot be encoded. */
static int raw_encode(lua_State *L)
{
	struct json_buf jb = { 0 };
	struct json_opts o = { .sort_keys = 1, .max_bytes = 4096 };
	char err[128];
	lua_settop(L, 1);
	if (json_encode_lua(L, 1, &o, &jb, err, sizeof err) == 0)
		lua_pushlstring(L, jb.data, jb.len);
	else
		lua_pushnil(L);
	json_buf_free(&jb);
	return 1;
}

static int raw_warn(lua_State *L)
{
	size_t len;
	const char *msg = luaL_checklstring(L, 1, &len);
	struct run_info *ri = sandbox_current();
	log_emit(LOG_WARN, "integration", ri ? ri->id : NULL, msg, len, NULL);
	return 0;
}

static int raw_record_for(lua_State *L)
{
	const char *f = integration_record_for(luaL_checkstring(L, 1));
	if (f)
		lua_pushstring(L, f);
	else
		lua_pushnil(L);
	return 1;
}

static const luaL_Reg raw_fns[] = {
	{ "record_for", raw_record_for },
	{ "sensitive", raw_sensitive },
	{ "encode", raw_encode },
	{ "warn", raw_warn },
	{ "load", integration_load_manifest },
	{ "allow", raw_allow },
	{ "fixture", raw_fixture },
	{ "save_fixture", raw_save_fixture },
	{ "config", raw_config },
	{ "mock_all", raw_mock_all },
	{ "secret", raw_secret },
	{ "replay", raw_replay },
	{ "record", raw_record },
	{ "fail", raw_fail },
	{ "quiet_begin", raw_quiet_begin },
	{ "quiet_end", raw_quiet_end },
	{ NULL, NULL },
};

/* Pushes the `integration` function: integrations/_runtime.lua called with the
 * raw helpers. It runs with the state's own globals: it is ours, not a run's. */
int prim_open_integration(lua_State *L)
{
	char dir[4096], path[4200];
	integration_bundled_dir(env_lua_dir(L), dir, sizeof dir);
	snprintf(path, sizeof path, "%s/_runtime.lua", dir);
	if (luaL_loadfile(L, path) != 0)
		lua_error(L);
	lua_createtable(L, 0, 12);
	luaL_register(L, NULL, raw_fns);
	/* raw.schema: the typed outputs (lua/_integration_schema.lua), one module
	 * the runtime, tests and `soarctl lint` share. */
	snprintf(path, sizeof path, "%s/_integration_schema.lua", env_lua_dir(L));
	if (luaL_loadfile(L, path) != 0)
		lua_error(L);
	lua_call(L, 0, 1);
	lua_setfield(L, -2, "schema");
	snprintf(path, sizeof path, "%s/_runtime.lua", dir);
	lua_call(L, 1, 1);
	if (!lua_isfunction(L, -1))
		luaL_error(L, "%s must return the integration function", path);
	return 1;
}
