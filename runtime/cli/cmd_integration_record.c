/* cmd_integration_record.c - `soarctl integration record NAME COMMAND
 * [KEY=VALUE]... [--fixture F]`: calls the real API once and keeps the
 * exchange as a fixture (fixtures/NAME/F.json beside the integration), every
 * secret the integration read scrubbed and Authorization headers dropped (the
 * record mode of prim_integration.c, which the config file's "record" setting
 * also uses). The call is made as a run's would be: the integration's egress
 * hosts and base_url from the config file, its secrets from the store. */
#include "sharedir.h"
#include "cli.h"
#include "integration.h"
#include "integration_cmds.h"
#include "redact.h"
#include "runinfo.h"
#include "runscrub.h"
#include "sandbox.h"
#include "uuid.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "integration"

struct record_job {
	struct run_info info;      /* first: read by primitives */
	const char *name, *command;
	char **kv;
	int nkv;
	char *result;              /* JSON of what the command returned */
};

/* Arguments arrive as text; the command's argument types decide what they
 * become (an unknown name stays text, and the command's check names it). */
static const char runner[] =
	"local o = __soarctl_record\n"
	"local i = integration(o.name)\n"
	"local spec = i.commands[o.command]\n"
	"if not spec then error(string.format('integration %s has no command %s', o.name, o.command), 0) end\n"
	"local args = {}\n"
	"for _, kv in ipairs(o.kv) do\n"
	"  local k, v = kv:match('^([%w_]+)=(.*)$')\n"
	"  if not k then error('arguments are KEY=VALUE, not ' .. kv, 0) end\n"
	"  local t = spec.args[k] and spec.args[k].type\n"
	"  if t == 'integer' or t == 'number' then v = tonumber(v) or v\n"
	"  elseif t == 'boolean' then if v == 'true' then v = true elseif v == 'false' then v = false end\n"
	"  elseif t == 'table' then v = json.decode(v) end\n"
	"  args[k] = v\n"
	"end\n"
	"local r, err, detail = i[o.command](args)\n"
	"return json.encode({ result = r, error = err, detail = detail, mode = i.mode })\n";

static int prepare(lua_State *L, int env, void *ud)
{
	struct record_job *j = ud;
	lua_createtable(L, 0, 3);
	lua_pushstring(L, j->name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, j->command);
	lua_setfield(L, -2, "command");
	lua_createtable(L, j->nkv, 0);
	for (int i = 0; i < j->nkv; i++) {
		lua_pushstring(L, j->kv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "kv");
	lua_setfield(L, env, "__soarctl_record");
	if (luaL_loadbuffer(L, runner, sizeof runner - 1, "=soarctl integration record") != 0)
		return lua_error(L);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	return 0;
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct record_job *j = ud;
	size_t len;
	const char *s = nres >= 1 && lua_type(L, -nres) == LUA_TSTRING ? lua_tolstring(L, -nres, &len) : NULL;
	/* what the vendor answered, with every secret the integration read scrubbed */
	if (s)
		j->result = run_scrub_dup(&j->info, s, len);
	return 0;
}

/* $SOARCTL_LUA_DIR, else the installed or build tree's lua/ (sharedir.h). */
static const char *lua_dir(void)
{
	return sharedir_lua();
}

int integration_record_main(int argc, char **argv)
{
	struct record_job j;
	memset(&j, 0, sizeof j);
	const char *fixture = NULL;
	char **kv = calloc((size_t)argc, sizeof *kv);
	if (!kv)
		return cli_fail(CMD, EXIT_FAIL, "out of memory");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--fixture") == 0 && i + 1 < argc) {
			fixture = argv[++i];
		} else if (argv[i][0] == '-') {
			free(kv);
			return cli_usage(CMD, "record: unknown option or missing value: %s", argv[i]);
		} else if (!j.name) {
			j.name = argv[i];
		} else if (!j.command) {
			j.command = argv[i];
		} else {
			kv[j.nkv++] = argv[i];
		}
	}
	j.kv = kv;
	if (!j.name || !j.command) {
		free(kv);
		return cli_usage(CMD, "record takes NAME COMMAND [KEY=VALUE]...");
	}
	if (!fixture)
		fixture = j.command;
	char path[4096], err[512];
	if (!integration_name_ok(fixture)) {
		free(kv);
		return cli_usage(CMD, "record: '%s' is not a fixture name (a-z, 0-9, _ and -)", fixture);
	}
	if (integration_find(lua_dir(), j.name, path, sizeof path, err, sizeof err) != 0) {
		free(kv);
		return cli_fail(CMD, EXIT_USAGE, "%s", err);
	}
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		free(kv);
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	}
	integration_set_record(j.name, fixture);
	uuid_v7(j.info.id);
	snprintf(j.info.playbook, sizeof j.info.playbook, "soarctl integration record");
	struct sandbox_job job = { prepare, finish, &j };
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	struct sandbox_outcome out;
	enum sandbox_status st = sandbox_exec(sb, &job, &lim, &out);
	integration_set_record(NULL, NULL);
	int rc = EXIT_OK;
	if (st != SANDBOX_OK) {
		rc = cli_fail(CMD, EXIT_FAIL, "record %s.%s: %s", j.name, j.command,
			      out.message ? out.message : "failed");
	} else {
		char fpath[4400];
		integration_fixture_path(path, j.name, fixture, fpath, sizeof fpath);
		printf("%s\n", j.result ? j.result : "{}");
		fprintf(stderr, "recorded %s (secrets scrubbed)\n", fpath);
	}
	sandbox_outcome_clear(&out);
	sandbox_free(sb);
	redact_free(j.info.redact);
	free(j.result);
	free(kv);
	return rc;
}
