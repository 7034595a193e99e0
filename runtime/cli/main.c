/* main.c - `soarctl`: finds the subcommand and hands it its arguments. */
#include "cli.h"
#include "prims.h"
#include "sandbox.h"

#include <stdio.h>
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
		"  soarctl --version      the version\n"
		"\n"
		"Data directory: --data DIR, else $SOARCTL_DATA, else $XDG_DATA_HOME/soarctl,\n"
		"else ~/.local/share/soarctl.\n"
		"Exit codes: 0 ok, 1 failed, 2 usage error or invalid playbook, 3 waiting.\n");
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
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("soarctl %s\n", SOAR_VERSION);
		return EXIT_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			print_help(stdout);
			return EXIT_OK;
		}
		const struct cli_command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "soarctl: no command '%s'. Try 'soarctl --help'.\n", argv[2]);
			return EXIT_USAGE;
		}
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	const struct cli_command *c = find(name);
	if (!c) {
		fprintf(stderr, "soarctl: no command '%s'. Try 'soarctl --help'.\n", name);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++)
		if (cli_is_help(argv[i])) {
			fputs(c->usage, stdout);
			return EXIT_OK;
		}
	return c->main(argc - 1, argv + 1);
}
