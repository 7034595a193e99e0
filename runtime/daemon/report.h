/* report.h - the report of `soarctl report` and GET /api/v1/report (report.c):
 * what cases, runs and playbooks did over a period. */
#ifndef SOAR_REPORT_H
#define SOAR_REPORT_H

#include "daemon.h"
#include "store_buf.h"

#include <stdint.h>

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_HTML };

/* "30d", "12h", "2w", "90m", "45s" (at most a year) into milliseconds.
 * 0 or -1. */
int report_parse_since(const char *s, int64_t *ms);

/* The report of the span_ms before now_ms, appended to `out`: a terminal
 * summary (sparklines; ANSI colour when `colour`), one JSON object, or a
 * self-contained HTML page. `set` gives minutes_saved (NULL: unknown).
 * 0 or -1 with err. */
int report_build(struct store *st, const struct pb_set *set, int64_t span_ms, int64_t now_ms,
		 enum report_format fmt, int colour, struct store_buf *out, char *err, size_t errlen);

#endif
