/* cli_flags.h - the options and subcommands every command accepts, in one table,
 * checked once before a command runs: an option the command does not know is a
 * usage error (exit 2 and the usage line) whatever the command's own parser
 * would have made of it. The same table lists the subcommands, for the test that
 * tries every one and for completions. */
#ifndef SOAR_CLI_FLAGS_H
#define SOAR_CLI_FLAGS_H

#include <stdio.h>

struct cli_flags {
	const char *cmd;
	const char *subs;   /* space-separated subcommands; "" when it has none */
	const char *flags;  /* space-separated long options; "name=" takes a value;
			     * "-e=" a short option with a value */
};

/* The entry of command `cmd`, or NULL (a command missing from the table is
 * not checked; the e2e test cli_conventions fails until it is added). */
const struct cli_flags *cli_flags_find(const char *cmd);

/* Checks argv (argv[0] the command name) against the table: returns 0, or
 * prints the usage line (the "Usage:" lines of `usage`), "soarctl CMD:
 * unknown option '--x'" and returns EXIT_USAGE. Stops at "--" (what follows
 * is an argument). */
int cli_flags_check(const char *cmd, const char *usage, int argc, char **argv);

/* Prints the table, one "CMD SUB|- FLAGS" line per command and subcommand
 * (`soarctl help --flags`). */
void cli_flags_print(FILE *out);

#endif
