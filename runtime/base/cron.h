/* cron.h - cron expressions: parsing, and the next fire time in a time zone.
 *
 * Syntax: five fields (minute hour day-of-month month day-of-week) or six with a
 * leading seconds field; @hourly @daily (@midnight) @weekly @monthly @yearly
 * (@annually); month names jan-dec and weekday names sun-sat (case-insensitive,
 * 7 is Sunday too); `*`, values, ranges a-b, steps (star)/n a-b/n a/n (a/n means
 * a-max/n), lists a,b-c; `L` in day-of-month is the last day of the month.
 *
 * Vixie semantics: when day-of-month and day-of-week are both restricted (neither
 * field starts with `*`), a day matches when either does; otherwise both must.
 * A schedule that can never fire (`0 0 30 2 *`) is refused by cron_parse.
 *
 * Daylight saving (times are wall-clock times in the job's zone):
 * - a time inside a skipped interval fires once, at the instant the gap ends;
 * - a time that occurs twice fires once, at its first occurrence;
 * - except "frequent" jobs (the seconds, minute or hour field starts with `*`,
 *   as in Vixie cron: they run every hour or more often), which keep their normal
 *   steps: skipped times do not happen, repeated times fire twice.
 *
 * Pure C, no Lua, no global state: safe from any thread. */
#ifndef SOAR_CRON_H
#define SOAR_CRON_H

#include <stddef.h>
#include <stdint.h>

struct cron_expr {
	uint64_t sec;      /* bit n: second n (0-59) */
	uint64_t min;      /* bit n: minute n */
	uint32_t hour;     /* bit n: hour n */
	uint32_t dom;      /* bit n: day n (1-31) */
	uint16_t mon;      /* bit n: month n (1-12) */
	uint8_t dow;       /* bit n: weekday n (0 = Sunday) */
	unsigned dom_last : 1;  /* `L`: the last day of the month */
	unsigned dom_star : 1;  /* day-of-month field starts with `*` */
	unsigned dow_star : 1;
	unsigned frequent : 1;  /* see the DST rules above */
};

/* Parses text. Returns 0, or -1 with a message naming the offending field in
 * err, e.g. "day-of-month: 32 is out of range 1-31", "day-of-month: the schedule
 * never fires (day 30 does not occur in February)". */
int cron_parse(const char *text, struct cron_expr *out, char *err, size_t errlen);

/* The first fire time strictly after `after` (seconds since the epoch), reading
 * the fields as wall-clock time in tz (NULL or "UTC" for UTC, an IANA name, or an
 * offset "+02:00"). Returns 0 with *next set, or -1 with a message in err
 * (unknown time zone, or out of range). */
int cron_next(const struct cron_expr *c, const char *tz, int64_t after, int64_t *next,
	      char *err, size_t errlen);

/* Whether `tz` names a zone cron_next accepts. */
int cron_tz_ok(const char *tz);

#endif
