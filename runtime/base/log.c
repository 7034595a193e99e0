/* log.c - see log.h. A record is formatted in one buffer and written with one
 * write(2), so records from several threads never interleave. */
#include "log.h"
#include "colour.h"
#include "json.h"

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

/* One JSON line, grown as needed (an escaped message may be 6 times longer). */
static void emit_json(enum log_level level, const char *stamp, const char *source,
		      const char *run_id, const char *msg, size_t msglen, const char *fields_json)
{
	struct json_buf b = { 0 };
	char head[128];
	int n = snprintf(head, sizeof head, "{\"time\":\"%s\",\"level\":\"%s\"", stamp,
			 names[level]);
	int rc = json_buf_put(&b, head, (size_t)n);
	if (source)
		rc |= json_buf_put(&b, ",\"source\":", 10) |
		      json_write_str(source, strlen(source), JSON_ESC_REPLACE, json_buf_put, &b, NULL);
	if (run_id)
		rc |= json_buf_put(&b, ",\"run_id\":", 10) |
		      json_write_str(run_id, strlen(run_id), JSON_ESC_REPLACE, json_buf_put, &b, NULL);
	rc |= json_buf_put(&b, ",\"msg\":", 7) |
	      json_write_str(msg, msglen, JSON_ESC_REPLACE, json_buf_put, &b, NULL);
	if (fields_json)
		rc |= json_buf_put(&b, ",\"fields\":", 10) |
		      json_buf_put(&b, fields_json, strlen(fields_json));
	rc |= json_buf_put(&b, "}\n", 2);
	if (rc == 0) {
		ssize_t w = write(STDERR_FILENO, b.data, b.len);
		(void)w;
	}
	json_buf_free(&b);
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

	if (json_format) {
		emit_json(level, stamp, source, run_id, msg, msglen, fields_json);
		return;
	}
	size_t cap = msglen + (fields_json ? strlen(fields_json) : 0) + 512;
	char *buf = malloc(cap);
	if (!buf)
		return;
	size_t n = 0;
	{
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
