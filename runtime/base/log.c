/* log.c - see log.h. A record is formatted in one buffer and written with one
 * write(2), so records from several threads never interleave. */
#include "log.h"
#include "colour.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static int json_format;

static const char *const names[] = { "debug", "info", "warn", "error" };

const char *log_level_name(enum log_level level) { return names[level]; }
enum log_level log_min_level(void) { return min_level; }

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_configure(enum log_level min, int json)
{
	min_level = min;
	json_format = json;
}

/* Appends `s` JSON-escaped (no quotes) into buf at *n, never past cap. */
static void append_escaped(char *buf, size_t cap, size_t *n, const char *s, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	for (size_t i = 0; i < len && *n + 8 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = (char)c;
		} else if (c == '\n') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = 'n';
		} else if (c < 0x20) {
			memcpy(buf + *n, "\\u00", 4);
			*n += 4;
			buf[(*n)++] = hexd[c >> 4];
			buf[(*n)++] = hexd[c & 15];
		} else {
			buf[(*n)++] = (char)c;
		}
	}
}

void log_emit(enum log_level level, const char *source, const char *run_id,
	      const char *msg, size_t msglen, const char *fields_json)
{
	if (level < min_level)
		return;
	char stamp[40];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t sl = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + sl, sizeof stamp - sl, ".%03dZ", (int)(tv.tv_usec / 1000));

	size_t cap = msglen + (fields_json ? strlen(fields_json) * 2 : 0) + 512;
	char *buf = malloc(cap);
	if (!buf)
		return;
	size_t n = 0;
	if (json_format) {
		n += (size_t)snprintf(buf + n, cap - n, "{\"time\":\"%s\",\"level\":\"%s\"", stamp, names[level]);
		if (source) {
			n += (size_t)snprintf(buf + n, cap - n, ",\"source\":\"");
			append_escaped(buf, cap, &n, source, strlen(source));
			buf[n++] = '"';
		}
		if (run_id)
			n += (size_t)snprintf(buf + n, cap - n, ",\"run_id\":\"%s\"", run_id);
		n += (size_t)snprintf(buf + n, cap - n, ",\"msg\":\"");
		append_escaped(buf, cap, &n, msg, msglen);
		buf[n++] = '"';
		if (fields_json)
			n += (size_t)snprintf(buf + n, cap - n, ",\"fields\":%s", fields_json);
		n += (size_t)snprintf(buf + n, cap - n, "}\n");
	} else {
		int colour = colour_wanted(stderr);
		static const char *const colours[] = { "\033[2m", "", "\033[33m", "\033[31m" };
		n += (size_t)snprintf(buf + n, cap - n, "%s%s %-5s %s%s%s ", colour ? colours[level] : "",
				      stamp, names[level], source ? source : "soarctl",
				      run_id ? " " : "", run_id ? run_id : "");
		if (n + msglen + 8 < cap) {
			memcpy(buf + n, msg, msglen);
			n += msglen;
		}
		if (fields_json)
			n += (size_t)snprintf(buf + n, cap - n, " %s", fields_json);
		n += (size_t)snprintf(buf + n, cap - n, "%s\n", colour && colours[level][0] ? "\033[0m" : "");
	}
	if (n > cap)
		n = cap;
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
	free(buf);
}
