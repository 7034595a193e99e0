/* cmd_integration.c - `soarctl integration list|show|test`.
 *
 * Manifests are read the way a playbook's `integration()` reads them: evaluated
 * in a sandbox state, in their own environment. */
#include "cli.h"
#include "datadir.h"
#include "integration.h"
#include "integration_cmds.h"
#include "integration_lua.h"
#include "playbook.h"
#include "runinfo.h"
#include "sandbox.h"
#include "sharedir.h"
#include "uuid.h"

#include <dirent.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "integration"

static const char usage[] =
	"Usage: soarctl integration list [--json]\n"
	"       soarctl integration show NAME [--data DIR]\n"
	"       soarctl integration test NAME [soarctl test options]\n"
	"       soarctl integration new NAME [--dir DIR]\n"
	"       soarctl integration record NAME COMMAND [KEY=VALUE]... [--fixture F]\n"
	"       soarctl integration import-xsoar FILE.yml [--out FILE]\n"
	"\n"
	"Integrations are Lua files (one per vendor) with a manifest, mock versions of\n"
	"their commands and recorded fixtures. They are found in\n"
	"$SOARCTL_INTEGRATIONS_DIR, then in the bundled integrations/ directory; their\n"
	"settings in $SOARCTL_INTEGRATIONS_CONFIG, else DATADIR/integrations.json.\n"
	"\n"
	"  list   the integrations: version, the vendor API version, hosts\n"
	"  show   one manifest: hosts, secrets, config, commands and their arguments\n"
	"  test   runs NAME_test.lua (beside NAME.lua) with `soarctl test`: offline,\n"
	"         against the mock and the recorded fixtures\n"
	"  new    writes NAME.lua, NAME_test.lua and fixtures/NAME/lookup.json in DIR\n"
	"         (default $SOARCTL_INTEGRATIONS_DIR): they pass `soarctl lint` and\n"
	"         `soarctl test` as written\n"
	"  record calls COMMAND once against the real API (base_url from the config\n"
	"         file) and stores the exchange, secrets scrubbed, as fixture F\n"
	"         (default COMMAND); KEY=VALUE are the command's arguments\n"
	"  import-xsoar  an XSOAR integration YAML -> a manifest skeleton (stdout, or\n"
	"         --out): commands, arguments, typed outputs, config, secrets; each\n"
	"         command's run is left to write\n"
	"See docs/integrations.md.\n";

struct job {
	struct run_info info;      /* first: read by primitives */
	char **names;
	int nnames;
	int show, json;
	int failed;
};

static const char *field_str(lua_State *L, int t, const char *k)
{
	lua_getfield(L, t, k);
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
	lua_pop(L, 1);                 /* the table keeps it alive */
	return s;
}

static void print_strings(lua_State *L, int t, const char *k, const char *label)
{
	lua_getfield(L, t, k);
	printf("%s", label);
	if (lua_istable(L, -1))
		for (int i = 1; i <= (int)lua_objlen(L, -1); i++) {
			lua_rawgeti(L, -1, i);
			printf("%s%s", i > 1 ? ", " : "", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
			lua_pop(L, 1);
		}
	printf("\n");
	lua_pop(L, 1);
}

/* Prints name = {type, default, required, description} entries of table at -1. */
static void print_specs(lua_State *L, const char *indent)
{
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_istable(L, -1)) {
			int s = lua_gettop(L);
			lua_getfield(L, s, "default");
			const char *def = lua_isnil(L, -1) ? NULL
					  : lua_isboolean(L, -1) ? (lua_toboolean(L, -1) ? "true" : "false")
					  : lua_isstring(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1);
			lua_getfield(L, s, "required");
			int req = lua_toboolean(L, -1);
			printf("%s%-14s %-8s%s%s%s  %s\n", indent, lua_tostring(L, s - 1),
			       field_str(L, s, "type"), req ? " required" : "",
			       def ? " default " : "", def ? def : "", field_str(L, s, "description"));
			lua_settop(L, s);
		} else if (lua_type(L, -1) == LUA_TSTRING) {
			printf("%s%-14s %s\n", indent, lua_tostring(L, -2), lua_tostring(L, -1));
		}
		lua_pop(L, 1);
	}
}

/* Typed outputs (docs/integrations.md): one line a field, nested fields of
 * objects (and of lists of objects) indented under it. */
static void print_outputs(lua_State *L, int depth);

static void print_type(lua_State *L, int v, int depth)
{
	if (lua_type(L, v) == LUA_TSTRING) {
		printf("%s\n", lua_tostring(L, v));
		return;
	}
	if (!lua_istable(L, v)) {
		printf("?\n");
		return;
	}
	lua_getfield(L, v, "type");
	if (lua_type(L, -1) != LUA_TSTRING) {           /* { field = T, ... } */
		lua_pop(L, 1);
		printf("object\n");
		lua_pushvalue(L, v);
		print_outputs(L, depth + 1);
		lua_pop(L, 1);
		return;
	}
	const char *type = lua_tostring(L, -1);
	lua_getfield(L, v, "optional");
	int opt = lua_toboolean(L, -1);
	lua_pop(L, 1);
	const char *desc = field_str(L, v, "description");
	if (strcmp(type, "list") == 0) {
		lua_getfield(L, v, "of");
		printf("list%s%s%s of ", opt ? "?" : "", *desc ? "  " : "", desc);
		print_type(L, lua_gettop(L), depth);
		lua_pop(L, 1);
	} else if (strcmp(type, "object") == 0) {
		printf("object%s%s%s\n", opt ? "?" : "", *desc ? "  " : "", desc);
		lua_getfield(L, v, "fields");
		if (lua_istable(L, -1))
			print_outputs(L, depth + 1);
		lua_pop(L, 1);
	} else {
		printf("%s%s%s%s\n", type, opt ? "?" : "", *desc ? "  " : "", desc);
	}
	lua_pop(L, 1);                                  /* type */
}

static void print_outputs(lua_State *L, int depth)
{
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		printf("%*s%-14s ", 6 + 2 * depth, "", lua_tostring(L, -2));
		print_type(L, lua_gettop(L), depth);
		lua_pop(L, 1);
	}
}

static void show(lua_State *L, int m, const char *path)
{
	printf("%s %s (vendor API %s)\n", field_str(L, m, "name"), field_str(L, m, "version"),
	       field_str(L, m, "api_version"));
	if (*field_str(L, m, "description"))
		printf("  %s\n", field_str(L, m, "description"));
	printf("  file     %s\n", path);
	print_strings(L, m, "hosts", "  hosts    ");
	print_strings(L, m, "secrets", "  secrets  ");
	lua_getfield(L, m, "config");
	if (lua_istable(L, -1)) {
		printf("  config\n");
		print_specs(L, "    ");
	}
	lua_pop(L, 1);
	lua_getfield(L, m, "mock");
	int mock = lua_gettop(L);
	lua_getfield(L, m, "commands");
	int cmds = lua_gettop(L);
	if (lua_istable(L, cmds)) {
		lua_pushnil(L);
		while (lua_next(L, cmds)) {
			const char *cname = lua_tostring(L, -2);
			int c = lua_gettop(L);
			int has_mock = 0;
			if (lua_istable(L, mock)) {
				lua_getfield(L, mock, cname);
				has_mock = lua_isfunction(L, -1);
				lua_pop(L, 1);
			}
			lua_getfield(L, c, "outputs");
			int typed = lua_istable(L, -1);
			lua_pop(L, 1);
			printf("  command %s%s\n    %s\n", cname,
			       has_mock ? "" : typed ? " (mock generated from the outputs)" : " (no mock)",
			       field_str(L, c, "description"));
			lua_getfield(L, c, "args");
			if (lua_istable(L, -1)) {
				printf("    args\n");
				print_specs(L, "      ");
			}
			lua_pop(L, 1);
			lua_getfield(L, c, "outputs");
			if (lua_istable(L, -1)) {
				printf("    outputs\n");
				print_outputs(L, 0);
			}
			lua_settop(L, c - 1);
		}
	}
	lua_settop(L, m);
}

static int noop(lua_State *L)
{
	(void)L;
	return 0;
}

static int prepare(lua_State *L, int env, void *ud)
{
	(void)env;
	struct job *j = ud;
	for (int i = 0; i < j->nnames; i++) {
		int top = lua_gettop(L);
		lua_pushcfunction(L, integration_load_manifest);
		lua_pushstring(L, j->names[i]);
		if (lua_pcall(L, 1, 3, 0) != 0) {
			fprintf(stderr, "soarctl integration: %s: %s\n", j->names[i], lua_tostring(L, -1));
			j->failed++;
			lua_settop(L, top);
			continue;
		}
		int m = top + 1;
		const char *path = lua_tostring(L, top + 3);
		if (!lua_istable(L, m)) {
			fprintf(stderr, "soarctl integration: %s does not return a manifest table\n", path);
			j->failed++;
		} else if (j->show) {
			show(L, m, path);
		} else if (j->json) {
			printf("{\"name\":");
			cli_json_string(stdout, j->names[i], strlen(j->names[i]));
			printf(",\"version\":");
			const char *v = field_str(L, m, "version");
			cli_json_string(stdout, v, strlen(v));
			printf(",\"api_version\":");
			v = field_str(L, m, "api_version");
			cli_json_string(stdout, v, strlen(v));
			printf("}\n");
		} else {
			printf("%-12s %-8s API %-6s ", j->names[i], field_str(L, m, "version"),
			       field_str(L, m, "api_version"));
			print_strings(L, m, "hosts", "");
		}
		lua_settop(L, top);
	}
	lua_pushcfunction(L, noop);                     /* the run's body: nothing */
	return 0;
}

static int finish(lua_State *L, int nres, void *ud)
{
	(void)L;
	(void)nres;
	(void)ud;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Integration names found in one directory (NAME.lua, not _*.lua or *_test.lua). */
static void scan(const char *dir, char ***names, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0 || len > 68)
			continue;
		char name[70];
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = 0;
		if (!integration_name_ok(name) || (len > 9 && strcmp(name + len - 9, "_test") == 0))
			continue;
		int dup = 0;
		for (int i = 0; i < *n; i++)
			dup |= strcmp((*names)[i], name) == 0;
		if (dup)
			continue;
		char **nn = realloc(*names, (size_t)(*n + 1) * sizeof **names);
		if (!nn)
			break;
		*names = nn;
		(*names)[(*n)++] = strdup(name);
	}
	if (d)
		closedir(d);
}

static int run_job(struct job *j)
{
	char err[512];
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	uuid_v7(j->info.id);
	snprintf(j->info.playbook, sizeof j->info.playbook, "soarctl integration");
	struct sandbox_job job = { prepare, finish, j };
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	struct sandbox_outcome out;
	enum sandbox_status st = sandbox_exec(sb, &job, &lim, &out);
	if (st != SANDBOX_OK) {
		fprintf(stderr, "soarctl integration: %s\n", out.message ? out.message : "failed");
		j->failed++;
	}
	sandbox_outcome_clear(&out);
	sandbox_free(sb);
	return j->failed ? EXIT_FAIL : EXIT_OK;
}

static const char *lua_dir(void)
{
	const char *d = getenv("SOARCTL_LUA_DIR");
	return d && *d ? d : sharedir_lua();
}

static int integration_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(CMD, "which subcommand? list, show, test, new, record or import-xsoar");
	const char *sub = argv[1];
	struct job j;
	memset(&j, 0, sizeof j);
	if (strcmp(sub, "list") == 0) {
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				j.json = 1;
			else
				return cli_usage(CMD, "list takes only --json");
		}
		char dir[4096];
		const char *own = getenv("SOARCTL_INTEGRATIONS_DIR");
		if (own && *own)
			scan(own, &j.names, &j.nnames);
		integration_bundled_dir(lua_dir(), dir, sizeof dir);
		scan(dir, &j.names, &j.nnames);
		if (j.nnames > 1)
			qsort(j.names, (size_t)j.nnames, sizeof *j.names, cmp);
		int rc = run_job(&j);
		for (int i = 0; i < j.nnames; i++)
			free(j.names[i]);
		free(j.names);
		return rc;
	}
	if (strcmp(sub, "show") == 0) {
		/* Options may come before or after the NAME (as in every command). */
		char *name = NULL;
		for (int i = 2; i < argc; i++) {
			const char *a = argv[i];
			if (strcmp(a, "--data") == 0 || strncmp(a, "--data=", 7) == 0) {
				const char *v = a[6] == '=' ? a + 7 : i + 1 < argc ? argv[++i] : NULL;
				char dir[4096];
				if (!v || !datadir_resolve(v, dir, sizeof dir))
					return cli_usage(CMD, "--data needs a directory");
				datadir_set(dir);  /* its integrations.json configures the manifest */
			} else if (a[0] == '-' && a[1]) {
				return cli_usage(CMD, "show takes NAME and --data DIR, not %s", a);
			} else if (name) {
				return cli_usage(CMD, "show takes one NAME (got '%s' and '%s')", name, a);
			} else {
				name = argv[i];
			}
		}
		if (!name)
			return cli_usage(CMD, "show takes one NAME (see soarctl integration list)");
		j.show = 1;
		j.names = &name;
		j.nnames = 1;
		return run_job(&j);
	}
	if (strcmp(sub, "test") == 0) {
		if (argc < 3)
			return cli_usage(CMD, "test takes a NAME");
		char path[4096], err[512];
		if (integration_find(lua_dir(), argv[2], path, sizeof path, err, sizeof err) != 0)
			return cli_fail(CMD, EXIT_USAGE, "%s", err);
		snprintf(path + strlen(path) - 4, sizeof path - strlen(path) + 4, "_test.lua");
		if (access(path, R_OK) != 0)
			return cli_fail(CMD, EXIT_FAIL, "integration %s has no tests (%s)", argv[2], path);
		/* `soarctl test PATH [options]`: the same runner as every other Lua test. */
		char **av = calloc((size_t)argc + 1, sizeof *av);
		if (!av)
			return cli_fail(CMD, EXIT_FAIL, "out of memory");
		av[0] = "test";
		av[1] = path;
		for (int i = 3; i < argc; i++)
			av[i - 1] = argv[i];
		int rc = cmd_test.main(argc - 1, av);
		free(av);
		return rc;
	}
	if (strcmp(sub, "new") == 0)
		return integration_new_main(argc, argv);
	if (strcmp(sub, "record") == 0)
		return integration_record_main(argc, argv);
	if (strcmp(sub, "import-xsoar") == 0)
		return integration_import_xsoar_main(argc, argv);
	return cli_usage(CMD, "no subcommand '%s' (list, show, test, new, record, import-xsoar)", sub);
}

const struct cli_command cmd_integration = {
	"integration", "integrations: list, show, test; new, record a fixture, import-xsoar", usage,
	integration_main,
};
