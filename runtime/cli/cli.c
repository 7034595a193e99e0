/* cli.c - shared helpers of the subcommands (see cli.h). */
#include "cli.h"
#include "colour.h"
#include "json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "soarctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'soarctl help %s'.\n", cmd);
	return EXIT_USAGE;
}

int cli_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "soarctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int put_file(void *ctx, const char *s, size_t n)
{
	return fwrite(s, 1, n, ctx) == n ? 0 : -1;
}

void cli_json_string(FILE *out, const char *s, size_t len)
{
	json_write_str(s, len, JSON_ESC_REPLACE, put_file, out, NULL);
}

int cli_is_help(const char *arg)
{
	return arg && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0);
}

int cli_use_colour(FILE *out)
{
	return colour_wanted(out);
}
