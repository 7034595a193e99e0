/* runopts.c - see runopts.h. */
#include "runopts.h"
#include "cli.h"
#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int positive(const char *cmd, const char *name, const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (!*arg || *end || errno || !isfinite(v) || v <= 0) {
		cli_usage(cmd, "%s takes a positive number, got \"%s\"", name, arg);
		return -1;
	}
	*out = v;
	return 0;
}

void runopts_init(struct sandbox_limits *lim)
{
	sandbox_limits_default(lim);
	enum log_level lvl = LOG_INFO;
	const char *env = getenv("SOARCTL_LOG_LEVEL");
	if (env && log_level_parse(env, &lvl) != 0)
		lvl = LOG_INFO;
	log_configure(lvl, 0);
}

int runopts_parse(const char *cmd, int opt, const char *arg, struct sandbox_limits *lim)
{
	double v;
	static int json_logs;
	switch (opt) {
	case RUNOPT_MAX_MEMORY:
		if (positive(cmd, "--max-memory", arg, &v) || v > 1024 * 1024)
			return -1;
		lim->memory = (size_t)(v * 1024 * 1024);
		return 1;
	case RUNOPT_MAX_CPU:
		if (positive(cmd, "--max-cpu", arg, &v))
			return -1;
		lim->cpu_seconds = v;
		return 1;
	case RUNOPT_MAX_WALL:
		if (positive(cmd, "--max-wall", arg, &v))
			return -1;
		lim->wall_seconds = v;
		return 1;
	case RUNOPT_MAX_RESULT:
		if (positive(cmd, "--max-result", arg, &v))
			return -1;
		lim->result_bytes = (size_t)v;
		return 1;
	case RUNOPT_LOG_LEVEL: {
		enum log_level lvl;
		if (log_level_parse(arg, &lvl) != 0) {
			cli_usage(cmd, "--log-level takes debug, info, warn or error, got \"%s\"", arg);
			return -1;
		}
		log_configure(lvl, json_logs);
		return 1;
	}
	case RUNOPT_LOG_JSON:
		json_logs = 1;
		log_configure(log_min_level(), 1);
		return 1;
	default:
		return 0;
	}
}
