/* cli.c - shared helpers of the subcommands (see cli.h). */
#include "cli.h"
#include "colour.h"
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set by main when the command line holds --json: an error is then also one JSON
 * object on stdout, so a script that asked for JSON always gets some; unless
 * the command already printed its own (audit verify --json reports a broken
 * chain as its answer, then fails). stdout becomes a stream that counts what
 * goes through it to file descriptor 1, unbuffered as before otherwise. */
static int json_errors, json_error_done;
static size_t stdout_bytes;

static ssize_t count_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(STDOUT_FILENO, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)w;
	}
	stdout_bytes += n;
	return (ssize_t)n;
}

void cli_set_json_errors(int on)
{
	json_errors = on;
	if (!on)
		return;
	cookie_io_functions_t io = { NULL, count_write, NULL, NULL };
	FILE *f = fopencookie(NULL, "w", io);
	if (!f)
		return;  /* then an error may follow the command's own object */
	fflush(stdout);
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
}

static void report(const char *cmd, int code, int try_help, const char *fmt, va_list ap)
{
	char msg[2048];
	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "soarctl %s: %s\n", cmd, msg);
	if (try_help)
		fprintf(stderr, "Try 'soarctl help %s'.\n", cmd);
	if (!json_errors || json_error_done)
		return;
	fflush(stdout);
	if (stdout_bytes)
		return;  /* the command gave its own JSON answer */
	json_error_done = 1;
	printf("{\"ok\":false,\"error\":{\"exit\":%d,\"kind\":\"%s\",\"message\":", code,
	       code == EXIT_USAGE ? "usage" : "failed");
	cli_json_string(stdout, msg, strlen(msg));
	printf(",\"command\":");
	cli_json_string(stdout, cmd, strlen(cmd));
	printf("}}\n");
	fflush(stdout);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(cmd, EXIT_USAGE, 1, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(cmd, code, 0, fmt, ap);
	va_end(ap);
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
