/* runopts.h - options shared by the commands that execute Lua (run, test). */
#ifndef SOAR_RUNOPTS_H
#define SOAR_RUNOPTS_H

#include "sandbox.h"

/* Parses one limit/log option into lim. Returns 1 if `opt` was one of
 * --max-memory MiB, --max-cpu SECONDS, --max-wall SECONDS, --max-result BYTES,
 * --log-level LEVEL, --log-json; 0 if not ours; -1 on a bad value (message
 * printed for `cmd`). */
int runopts_parse(const char *cmd, int opt, const char *arg, struct sandbox_limits *lim);

/* getopt_long option ids for the above (above 256 to stay clear of letters). */
enum {
	RUNOPT_MAX_MEMORY = 300, RUNOPT_MAX_CPU, RUNOPT_MAX_WALL, RUNOPT_MAX_RESULT,
	RUNOPT_LOG_LEVEL, RUNOPT_LOG_JSON,
};

#define RUNOPTS_LONG \
	{ "max-memory", required_argument, NULL, RUNOPT_MAX_MEMORY }, \
	{ "max-cpu", required_argument, NULL, RUNOPT_MAX_CPU }, \
	{ "max-wall", required_argument, NULL, RUNOPT_MAX_WALL }, \
	{ "max-result", required_argument, NULL, RUNOPT_MAX_RESULT }, \
	{ "log-level", required_argument, NULL, RUNOPT_LOG_LEVEL }, \
	{ "log-json", no_argument, NULL, RUNOPT_LOG_JSON }

#define RUNOPTS_USAGE \
	"Limits (each run):\n" \
	"  --max-memory MiB     memory a run may allocate (default 64)\n" \
	"  --max-cpu SECONDS    CPU time (default 10)\n" \
	"  --max-wall SECONDS   elapsed time (default 30)\n" \
	"  --max-result BYTES   size of the JSON result (default 1048576)\n" \
	"Logs (on stderr):\n" \
	"  --log-level LEVEL    debug, info (default), warn or error\n" \
	"  --log-json           one JSON object a line\n"

/* Reads $SOARCTL_LOG_LEVEL; call before parsing options. */
void runopts_init(struct sandbox_limits *lim);

#endif
