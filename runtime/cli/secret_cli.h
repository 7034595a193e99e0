/* secret_cli.h - what `soarctl secret`, `user` and `audit` share: argument
 * parsing (--data, --json, --name value, positionals), opening the store, and
 * acting as the local user (the OS user mapped to the soarctl user of the same
 * name) with its permission checked and refusals audited. */
#ifndef SOAR_SECRET_CLI_H
#define SOAR_SECRET_CLI_H

#include "store.h"

#define SCLI_MAX_POS 6
#define SCLI_MAX_KV 12

struct scli {
	const char *cmd;           /* "secret", "user", "audit" */
	const char *data;
	int json;
	char *pos[SCLI_MAX_POS];   /* pos[0] is the subcommand */
	int npos;
	const char *keys[SCLI_MAX_KV], *vals[SCLI_MAX_KV];
	int nkv;
	struct store *st;          /* after scli_open; owned by the process */
	char dir[4096];
	char user[256];            /* the soarctl user acting */
	char actor[300];           /* "cli:USER", for the audit log */
};

/* Parses argv (argv[0] is the command name). Options in `bools` take no value;
 * every other --x takes one (--x V or --x=V). Returns 0, or an exit code after
 * printing a usage error. */
int scli_parse(struct scli *c, const char *cmd, int argc, char **argv, const char *const *bools);

/* The value of --name (the last one), or NULL; "true" for booleans. */
const char *scli_opt(const struct scli *c, const char *name);

/* Refuses options not in `known` (NULL-terminated). 0 or EXIT_USAGE. */
int scli_only(const struct scli *c, const char *const *known);

/* Resolves the data directory, opens the store, finds the acting user.
 * 0, or an exit code after printing what went wrong. */
int scli_open(struct scli *c);

/* Checks that the acting user has `perm` (an rbac_perm); a refusal is printed
 * and audited. 0, or EXIT_FAIL. */
int scli_require(struct scli *c, unsigned perm, const char *object);

/* Formats ms since the epoch as "2024-05-01 10:00:00Z" (UTC). Returns buf. */
const char *scli_time(int64_t ms, char *buf, size_t len);

#endif
