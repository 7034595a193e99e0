/* cli.h - what every `soarctl` subcommand shares: its table entry, exit codes,
 * and how it reports errors and JSON. */
#ifndef SOAR_CLI_H
#define SOAR_CLI_H

#include <stdio.h>

/* Exit codes scripts can rely on, the same for every command (docs/cli.md):
 * a well-formed reference to something that does not exist (case 42, a run id
 * no run has) is EXIT_FAIL, like a refusal; a malformed one (`runs show nope`,
 * an unknown option, a value that does not parse) is EXIT_USAGE. */
enum {
	EXIT_OK = 0,      /* done, or the playbook succeeded */
	EXIT_FAIL = 1,    /* the playbook (or the operation) failed; not found; refused */
	EXIT_USAGE = 2,   /* bad arguments, invalid playbook, bad input, no data directory */
	EXIT_WAITING = 3, /* a run is waiting (prompt, sleep) */
};

struct cli_command {
	const char *name;
	const char *summary;   /* one line for `soarctl --help` */
	const char *usage;     /* full text for `soarctl help NAME` and `NAME --help` */
	int (*main)(int argc, char **argv); /* argv[0] is the command name */
};

/* The table lives in main.c; a command file exports its entry. */
extern const struct cli_command cmd_init, cmd_run, cmd_test;
extern const struct cli_command cmd_case, cmd_indicator;
extern const struct cli_command cmd_runs, cmd_prompt;
extern const struct cli_command cmd_secret, cmd_user, cmd_audit;
extern const struct cli_command cmd_edl, cmd_integration;
extern const struct cli_command cmd_lint; /* integration kit (issue 18) */
extern const struct cli_command cmd_cron, cmd_serve, cmd_job; /* daemon (issue 7) */
extern const struct cli_command cmd_repl, cmd_debug;
extern const struct cli_command cmd_backup, cmd_restore, cmd_store; /* operations (issue 20) */
extern const struct cli_command cmd_report; /* dashboard and report (issue 16) */

/* Prints "soarctl CMD: MESSAGE" and "Try 'soarctl help CMD'." on stderr; returns
 * EXIT_USAGE so a command can `return cli_usage(...)`. */
__attribute__((format(printf, 2, 3)))
int cli_usage(const char *cmd, const char *fmt, ...);

/* Prints "soarctl CMD: MESSAGE" on stderr; returns `code`. */
__attribute__((format(printf, 3, 4)))
int cli_fail(const char *cmd, int code, const char *fmt, ...);

/* With --json on the command line (main.c sets it), the first cli_usage or
 * cli_fail also prints {"ok":false,"error":{"exit":N,"kind":"usage"|"failed",
 * "message":M,"command":CMD}} on stdout: --json always yields one object. */
void cli_set_json_errors(int on);

/* Writes `s` (length `len`) as a JSON string literal, quotes included (json.h's
 * escaper; bytes that are not UTF-8 become U+FFFD so the output stays JSON). */
void cli_json_string(FILE *out, const char *s, size_t len);

/* True when `arg` is -h or --help. */
int cli_is_help(const char *arg);

/* Whether to colour output on this stream (a tty, and NO_COLOR unset). */
int cli_use_colour(FILE *out);

#endif
