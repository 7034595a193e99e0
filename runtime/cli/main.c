/* main.c - `soarctl`: finds the subcommand and hands it its arguments. */
#include "cli.h"
#include "cli_flags.h"
#include "cligen.h"
#include "integration.h"
#include "prims.h"
#include "sandbox.h"
#include "sharedir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every subcommand, in the order `soarctl --help` lists them. */
static const struct cli_command *const commands[] = {
	&cmd_init,
	&cmd_run,
	&cmd_test,
	&cmd_case,
	&cmd_indicator,
	&cmd_runs,
	&cmd_prompt,
	&cmd_secret,
	&cmd_user,
	&cmd_audit,
	&cmd_edl,
	&cmd_integration,
	&cmd_lint,
	&cmd_cron,
	&cmd_serve,
	&cmd_job,
	&cmd_repl,
	&cmd_debug,
	&cmd_backup,
	&cmd_restore,
	&cmd_store,
	&cmd_report,
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *out)
{
	fprintf(out,
		"soarctl - security orchestration: playbooks in Lua, a small C core\n"
		"\n"
		"Usage: soarctl COMMAND [ARGS...]\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out,
		"\n"
		"  soarctl help COMMAND   details of one command\n"
		"  soarctl --version      the version (version --json: and the paths in use)\n"
		"  soarctl completion bash|zsh   the shell completion script\n"
		"\n"
		"Data directory: --data DIR, else $SOARCTL_DATA, else $XDG_DATA_HOME/soarctl,\n"
		"else ~/.local/share/soarctl.\n"
		"Exit codes: 0 ok, 1 failed, not found or refused, 2 bad arguments (unknown\n"
		"option, malformed value, no data directory) or invalid playbook, 3 waiting.\n");
}

/* `soarctl version --json`: the version and where this binary takes its bundled
 * files from (sharedir.h), so an install can be checked. */
static void print_version_json(void)
{
	char integ[4096];
	integration_bundled_dir(sharedir_lua(), integ, sizeof integ);
	const char *own = getenv("SOARCTL_INTEGRATIONS_DIR");
	const struct { const char *k, *v; } f[] = {
		{ "version", SOAR_VERSION },           { "share_dir", sharedir_root() },
		{ "share_from", sharedir_origin() },   { "lua_dir", sharedir_lua() },
		{ "integrations_dir", integ },         { "playbooks_dir", sharedir_playbooks() },
		{ "own_integrations_dir", own && *own ? own : NULL },
	};
	putchar('{');
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		printf("%s\"%s\":", i ? "," : "", f[i].k);
		if (f[i].v)
			cli_json_string(stdout, f[i].v, strlen(f[i].v));
		else
			fputs("null", stdout);
	}
	puts("}");
}

/* The man pages' and completions' view of the table (cligen.h); the overview is
 * `soarctl --help` itself. */
static int generate(int argc, char **argv)
{
	char *overview = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&overview, &len);
	if (!m)
		return cli_fail(argv[0], EXIT_FAIL, "out of memory");
	print_help(m);
	fclose(m);
	struct cligen_table t = { commands, NCOMMANDS, overview };
	int rc = strcmp(argv[0], "completion") == 0 ? cligen_completion_main(&t, argc, argv)
						      : cligen_help_main(&t, argc, argv);
	free(overview);
	return rc;
}

static const struct cli_command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	sandbox_set_primitives(prims_install);
	if (argc < 2) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (cli_is_help(name)) {
		print_help(stdout);
		return EXIT_OK;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (strcmp(argv[i], "--json") == 0)
			cli_set_json_errors(1);
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		if (argc == 3 && strcmp(argv[2], "--json") == 0) {
			print_version_json();
			return EXIT_OK;
		}
		if (argc > 2)
			return cli_fail("version", EXIT_USAGE, "'%s' is not an option of version "
					"(soarctl version [--json])", argv[2]);
		printf("soarctl %s\n", SOAR_VERSION);
		return EXIT_OK;
	}
	if (strcmp(name, "completion") == 0)
		return generate(argc - 1, argv + 1);
	if (strcmp(name, "help") == 0) {
		if (argc == 3 && strcmp(argv[2], "--flags") == 0) {
			cli_flags_print(stdout);   /* the option table (tests, completions) */
			return EXIT_OK;
		}
		if (argc >= 3 && (strcmp(argv[2], "--man") == 0 || strcmp(argv[2], "--man-dir") == 0))
			return generate(argc - 1, argv + 1);
		if (argc == 3 && strcmp(argv[2], "completion") == 0) {
			char *help_argv[] = { "completion", "--help", NULL };
			return generate(2, help_argv);
		}
		if (argc < 3) {
			print_help(stdout);
			return EXIT_OK;
		}
		const struct cli_command *c = find(argv[2]);
		if (!c)
			return cli_fail("help", EXIT_USAGE, "no command '%s' (soarctl --help lists them)",
					argv[2]);
		if (argc > 3)
			return cli_fail("help", EXIT_USAGE, "help takes one COMMAND (soarctl help "
					"COMMAND), not '%s'", argv[3]);
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	const struct cli_command *c = find(name);
	if (!c)
		return cli_fail(name[0] == '-' ? "soarctl" : name, EXIT_USAGE, "no command '%s' "
				"(soarctl --help lists them)", name);
	for (int i = 2; i < argc; i++)
		if (cli_is_help(argv[i])) {
			fputs(c->usage, stdout);
			return EXIT_OK;
		}
	int rc = cli_flags_check(c->name, c->usage, argc - 1, argv + 1);
	if (rc)
		return rc;
	return c->main(argc - 1, argv + 1);
}
