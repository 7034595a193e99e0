/* log.h - structured log records from the core and from runs, on stderr. */
#ifndef SOAR_LOG_H
#define SOAR_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Minimum level written (default LOG_INFO; $SOARCTL_LOG_LEVEL overrides) and the
 * format: text (default) or one JSON object a line. */
void log_configure(enum log_level min, int json);
int log_level_parse(const char *s, enum log_level *out);
enum log_level log_min_level(void);

/* Writes one record. `run_id`/`source` may be NULL. `fields_json` is NULL or a
 * JSON object text to merge into the record. Thread-safe (one write(2) a record). */
void log_emit(enum log_level level, const char *source, const char *run_id,
	      const char *msg, size_t msglen, const char *fields_json);

const char *log_level_name(enum log_level level);

#endif
