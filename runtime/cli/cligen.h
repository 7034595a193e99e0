/* cligen.h - man pages and shell completions generated from the command table and
 * each command's help text (the same strings `soarctl help CMD` prints), so the
 * installed documentation cannot drift from the binary. main.c hands the table in:
 *   soarctl help --man [CMD]      one page on stdout (no CMD: soarctl(1))
 *   soarctl help --man-dir DIR    soarctl.1 and soarctl-CMD.1 for every command
 *   soarctl completion bash|zsh   the completion script on stdout */
#ifndef SOAR_CLIGEN_H
#define SOAR_CLIGEN_H

#include "cli.h"

#include <stddef.h>
#include <stdio.h>

struct cligen_table {
	const struct cli_command *const *cmds;
	size_t n;
	const char *overview; /* `soarctl --help`'s text, the body of soarctl(1) */
};

/* Writes the man page of `cmd` (NULL: soarctl(1)) to `out`. */
void cligen_man(FILE *out, const struct cligen_table *t, const struct cli_command *cmd);

/* Writes every page into `dir` (which must exist). 0, or -1 with a message. */
int cligen_man_dir(const char *dir, const struct cligen_table *t, char *err, size_t errlen);

/* Writes the completion script for `shell` ("bash" or "zsh"); -1 for another. */
int cligen_completion(FILE *out, const struct cligen_table *t, const char *shell);

/* The `soarctl completion` entry point: argv[0] is "completion". */
int cligen_completion_main(const struct cligen_table *t, int argc, char **argv);

/* `soarctl help --man[-dir] ...`: argv[0] is "help", argv[1] the flag. */
int cligen_help_main(const struct cligen_table *t, int argc, char **argv);

#endif
