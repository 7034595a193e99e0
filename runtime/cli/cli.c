/* cli.c - shared helpers of the subcommands (see cli.h). */
#include "cli.h"
#include "colour.h"

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

void cli_json_string(FILE *out, const char *s, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20) {
				fputs("\\u00", out);
				fputc(hexd[c >> 4], out);
				fputc(hexd[c & 15], out);
			} else {
				fputc(c, out);
			}
		}
	}
	fputc('"', out);
}

int cli_is_help(const char *arg)
{
	return arg && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0);
}

int cli_use_colour(FILE *out)
{
	return colour_wanted(out);
}
