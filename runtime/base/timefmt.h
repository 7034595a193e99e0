/* timefmt.h - RFC 3339 / ISO 8601 time text (timefmt.c, plain C) for the core and
 * the `time` Lua namespace (prim_time.c).
 *
 * Times are seconds since the Unix epoch as doubles (microsecond resolution is
 * what a double keeps for current dates). Time zones are either UTC ("Z",
 * "UTC", NULL), a fixed offset ("+02:00", "-0530", "+05"), or an IANA name
 * ("Europe/Paris") read from the TZif files in /usr/share/zoneinfo by our own
 * small reader: never through TZ/localtime_r, so nothing process-wide changes.
 * Parsed zones are kept in a small per-thread cache (freed when the thread ends).
 */
#ifndef SOAR_TIMEFMT_H
#define SOAR_TIMEFMT_H

#include <stddef.h>

/* Longest output and its NUL: "9999-12-31T23:59:59.999999+14:00". */
#define TIMEFMT_MAX 40

#ifndef TIMEFMT_ZONEINFO
#define TIMEFMT_ZONEINFO "/usr/share/zoneinfo"
#endif

/* The current time, in seconds since the epoch, to the microsecond. */
double timefmt_now(void);

/* Writes t as RFC 3339 into out (outlen >= TIMEFMT_MAX is always enough), e.g.
 * "2026-11-27T21:30:07Z", "2026-11-27T22:30:07.250+01:00". frac_digits is 0, 3
 * or 6: the fraction is truncated (after rounding t to the microsecond), never
 * rounded up into the next second. tz as above (NULL = UTC, written "Z"); offsets
 * with seconds (local mean time before ~1900) are rounded to the minute.
 * Returns the length, or -1 with err: "time out of range" (years 0000-9999),
 * "unknown time zone". */
int timefmt_iso(double t, int frac_digits, const char *tz, char *out, size_t outlen,
		char *err, size_t errlen);

/* Milliseconds since the epoch as RFC 3339 UTC to the second, or "-" for 0 (not
 * set) and times out of range: how the CLI and case text show stored times.
 * Returns buf. */
char *timefmt_ms(long long ms, char *buf, size_t len);

/* timefmt_iso of the current time, UTC, milliseconds; out: TIMEFMT_MAX bytes. */
void timefmt_now_iso(char out[TIMEFMT_MAX]);

/* Parses s (len bytes): YYYY-MM-DD or YYYYMMDD, optionally followed by T (or t or
 * a space) and hh:mm[:ss[.frac]] or hhmm[ss[.frac]], then Z, +hh:mm, +hhmm or
 * +hh. A second of 60 (a leap second) is read as the first second of the next
 * minute. Text without an offset is local time in `tz` (NULL = UTC); a local time
 * skipped by a DST change is moved forward by the change, a repeated one takes
 * the earlier instant. Returns 0 with *t set, or -1 with a short reason in err. */
int timefmt_parse(const char *s, size_t len, const char *tz, double *t, char *err,
		  size_t errlen);

/* The offset east of UTC, in seconds, that `tz` (as above) has at the instant t
 * (whole seconds since the epoch), for the cron scheduler's wall-clock maths.
 * Returns 0 with *off set, or -1 when the zone is unknown. */
int timefmt_offset(const char *tz, long long t, int *off);

#endif
