/* cron.c - see cron.h.
 *
 * cron_next walks wall-clock (local) times that match, in order, and maps each
 * to UTC with the zone's offsets (timefmt_offset): a local time maps to one
 * instant, to none (a DST gap) or to two (a repeated hour). Calendar maths are
 * proleptic Gregorian on day numbers, so no libc time function (nor TZ) is used.
 */
#include "cron.h"
#include "timefmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW };

static const struct field {
	const char *name;
	int lo, hi;
} fields[] = {
	{"second", 0, 59}, {"minute", 0, 59}, {"hour", 0, 23},
	{"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 7},
};

static const char *const mon_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					"jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const mon_full[] = {"January", "February", "March", "April", "May",
				       "June", "July", "August", "September", "October",
				       "November", "December"};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- calendar ------------------------------------------------------------ */

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floordiv(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int64_t y, int m)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : n[m - 1];
}

static int weekday(int64_t days) /* 0 = Sunday; day 0 (1970-01-01) was a Thursday */
{
	return (int)(((days % 7) + 11) % 7);
}

/* ---- parsing ------------------------------------------------------------- */

/* A number or a name at *p; advances *p. */
static int parse_value(int f, const char **p, int *v)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		long n = 0;
		while (isdigit((unsigned char)*s) && n < 1000)
			n = n * 10 + (*s++ - '0');
		*v = (int)n;
		*p = s;
		return 0;
	}
	const char *const *names = f == F_MON ? mon_names : f == F_DOW ? dow_names : NULL;
	int count = f == F_MON ? 12 : 7;
	if (!names)
		return -1;
	for (int i = 0; i < count; i++)
		if (strncasecmp(s, names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
			*v = f == F_MON ? i + 1 : i;
			*p = s + 3;
			return 0;
		}
	return -1;
}

/* One field's text (len bytes) into a bit set. */
static int parse_field(int f, const char *text, size_t len, uint64_t *bits, int *last,
		       char *err, size_t errlen)
{
	const struct field *fd = &fields[f];
	char buf[128];
	if (len >= sizeof buf)
		return fail(err, errlen, "%s: too long", fd->name);
	memcpy(buf, text, len);
	buf[len] = 0;
	*bits = 0;
	for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		const char *p = item;
		int lo, hi, step = 1, explicit_hi = 0;
		if (f == F_DOM && (strcmp(item, "L") == 0 || strcmp(item, "l") == 0)) {
			*last = 1;
			continue;
		}
		if (*p == '*') {
			lo = fd->lo;
			hi = f == F_DOW ? 6 : fd->hi;
			p++;
			explicit_hi = 1;
		} else {
			if (parse_value(f, &p, &lo) != 0)
				return fail(err, errlen, "%s: bad value '%s'", fd->name, item);
			hi = lo;
			if (*p == '-') {
				p++;
				if (parse_value(f, &p, &hi) != 0)
					return fail(err, errlen, "%s: bad range '%s'", fd->name, item);
				explicit_hi = 1;
			}
		}
		if (*p == '/') {
			p++;
			if (!isdigit((unsigned char)*p))
				return fail(err, errlen, "%s: bad step in '%s'", fd->name, item);
			long n = 0;
			while (isdigit((unsigned char)*p) && n < 1000)
				n = n * 10 + (*p++ - '0');
			if (n < 1)
				return fail(err, errlen, "%s: step 0 in '%s'", fd->name, item);
			step = (int)n;
			if (!explicit_hi) /* "5/15": from 5 to the end */
				hi = f == F_DOW ? 6 : fd->hi;
		}
		if (*p)
			return fail(err, errlen, "%s: bad value '%s'", fd->name, item);
		if (lo < fd->lo || lo > fd->hi)
			return fail(err, errlen, "%s: %d is out of range %d-%d", fd->name, lo,
				    fd->lo, f == F_DOW ? 7 : fd->hi);
		if (hi < fd->lo || hi > fd->hi)
			return fail(err, errlen, "%s: %d is out of range %d-%d", fd->name, hi,
				    fd->lo, f == F_DOW ? 7 : fd->hi);
		if (hi < lo)
			return fail(err, errlen, "%s: range %d-%d is backwards", fd->name, lo, hi);
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ull << (f == F_DOW && v == 7 ? 0 : v);
	}
	if (*bits == 0 && !*last)
		return fail(err, errlen, "%s: empty", fd->name);
	return 0;
}

static int day_matches(const struct cron_expr *c, int64_t y, int m, int d, int wd)
{
	int dom = (c->dom >> d & 1) || (c->dom_last && d == month_days(y, m));
	int dow = c->dow >> wd & 1;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* Whether any day in a full 400-year Gregorian cycle matches. */
static int ever_fires(const struct cron_expr *c)
{
	int64_t start = days_from_civil(2000, 1, 1);
	for (int64_t z = start; z < start + 146097; z++) {
		int64_t y;
		int m, d;
		civil_from_days(z, &y, &m, &d);
		if (!(c->mon >> m & 1)) {
			z += month_days(y, m) - d; /* next month */
			continue;
		}
		if (day_matches(c, y, m, d, weekday(z)))
			return 1;
	}
	return 0;
}

static const struct {
	const char *name, *expr;
} macros[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

int cron_parse(const char *text, struct cron_expr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!text)
		return fail(err, errlen, "empty schedule");
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@') {
		size_t n = strcspn(text, " \t\r\n");
		const char *rest = text + n;
		while (isspace((unsigned char)*rest))
			rest++;
		for (size_t i = 0; i < sizeof macros / sizeof *macros; i++)
			if (strlen(macros[i].name) == n && strncasecmp(text, macros[i].name, n) == 0 &&
			    !*rest)
				return cron_parse(macros[i].expr, out, err, errlen);
		return fail(err, errlen, "unknown macro '%.*s' (use @hourly, @daily, @weekly, "
			    "@monthly or @yearly)", (int)n, text);
	}
	const char *tok[7];
	size_t len[7];
	int n = 0;
	for (const char *p = text; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == 7)
			return fail(err, errlen, "expected 5 or 6 fields (seconds optional), got more");
		tok[n] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len[n] = (size_t)(p - tok[n]);
		n++;
	}
	if (n != 5 && n != 6)
		return fail(err, errlen, "expected 5 or 6 fields (seconds optional), got %d", n);
	int first = n == 6 ? F_SEC : F_MIN;
	uint64_t bits[6] = {1, 0, 0, 0, 0, 0}; /* second 0 when there is no seconds field */
	int last = 0, dummy = 0;
	for (int i = 0; i < n; i++) {
		int f = first + i;
		if (parse_field(f, tok[i], len[i], &bits[f], f == F_DOM ? &last : &dummy, err,
				errlen) != 0)
			return -1;
		if (dummy)
			return fail(err, errlen, "%s: L is only allowed in day-of-month",
				    fields[f].name);
	}
	out->sec = bits[F_SEC];
	out->min = bits[F_MIN];
	out->hour = (uint32_t)bits[F_HOUR];
	out->dom = (uint32_t)bits[F_DOM];
	out->mon = (uint16_t)bits[F_MON];
	out->dow = (uint8_t)bits[F_DOW];
	out->dom_last = (unsigned)last;
	out->dom_star = tok[F_DOM - first][0] == '*';
	out->dow_star = tok[F_DOW - first][0] == '*';
	out->frequent = tok[F_MIN - first][0] == '*' || tok[F_HOUR - first][0] == '*' ||
			(n == 6 && tok[0][0] == '*');
	if (!ever_fires(out)) {
		/* Name the day that cannot happen, when there is a single one. */
		int month = 0, day = 0;
		for (int m = 1; m <= 12; m++)
			if (out->mon >> m & 1)
				month = month ? -1 : m;
		for (int d = 1; d <= 31; d++)
			if (out->dom >> d & 1)
				day = day ? -1 : d;
		if (month > 0 && day > 0)
			return fail(err, errlen, "day-of-month: the schedule never fires (day %d "
				    "does not occur in %s)", day, mon_full[month - 1]);
		return fail(err, errlen, "day-of-month: the schedule never fires (no chosen day "
			    "occurs in the chosen months)");
	}
	return 0;
}

/* ---- next fire time ------------------------------------------------------ */

struct zone_ctx {
	const char *tz;
	int err;
};

static int off_at(struct zone_ctx *z, int64_t t)
{
	int off = 0;
	if (timefmt_offset(z->tz, (long long)t, &off) != 0)
		z->err = 1;
	return off;
}

enum { MAP_ONE, MAP_GAP, MAP_TWO };

/* The instants of local time L: one (u1), two (u1 < u2), or a gap (u1 = the
 * instant the gap ends). Assumes no zone changes its offset twice within two
 * days, which holds for every real zone. */
static int local_to_utc(struct zone_ctx *z, int64_t L, int64_t *u1, int64_t *u2)
{
	int ob = off_at(z, L - 86400), oa = off_at(z, L + 86400);
	if (ob == oa) {
		*u1 = L - ob;
		return MAP_ONE;
	}
	int vb = off_at(z, L - ob) == ob, va = off_at(z, L - oa) == oa;
	if (vb && va) {
		*u1 = L - (ob > oa ? ob : oa);
		*u2 = L - (ob > oa ? oa : ob);
		return MAP_TWO;
	}
	if (vb || va) {
		*u1 = vb ? L - ob : L - oa;
		return MAP_ONE;
	}
	/* In a gap (ob < oa): the change happens in (L - oa, L - ob]. */
	int64_t lo = L - oa, hi = L - ob;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (off_at(z, mid) == oa)
			hi = mid;
		else
			lo = mid;
	}
	*u1 = hi;
	return MAP_GAP;
}

int cron_tz_ok(const char *tz)
{
	int off;
	return timefmt_offset(tz, 0, &off) == 0;
}

#define BACKFILL (3 * 3600) /* longer than any repeated interval */

int cron_next(const struct cron_expr *c, const char *tz, int64_t after, int64_t *next,
	      char *err, size_t errlen)
{
	struct zone_ctx z = {tz, 0};
	if (after < -62135596800LL || after > 253402300799LL - 400LL * 366 * 86400)
		return fail(err, errlen, "time out of range");
	int o_now = off_at(&z, after);
	if (z.err)
		return fail(err, errlen, "unknown time zone '%s'", tz ? tz : "");
	/* Times just before `after` in local time can still have a second occurrence
	 * after it when an offset falls back nearby: start a little earlier then. */
	int64_t start = after + o_now + 1;
	if (off_at(&z, after - BACKFILL) != o_now || off_at(&z, after + BACKFILL) != o_now)
		start -= BACKFILL;
	int64_t day0 = floordiv(start, 86400);
	int64_t pending = 0;
	int have_pending = 0;
	for (int64_t day = day0; day < day0 + 400LL * 366; day++) {
		int64_t y;
		int m, d;
		civil_from_days(day, &y, &m, &d);
		if (!(c->mon >> m & 1)) {
			day += month_days(y, m) - d;
			continue;
		}
		if (!day_matches(c, y, m, d, weekday(day)))
			continue;
		for (int h = 0; h < 24; h++) {
			if (!(c->hour >> h & 1))
				continue;
			int64_t hbase = day * 86400 + h * 3600;
			if (hbase + 3599 < start)
				continue;
			for (int mi = 0; mi < 60; mi++) {
				if (!(c->min >> mi & 1))
					continue;
				int64_t mbase = hbase + mi * 60;
				if (mbase + 59 < start)
					continue;
				for (int s = 0; s < 60; s++) {
					if (!(c->sec >> s & 1))
						continue;
					int64_t L = mbase + s, u1 = 0, u2 = 0;
					if (L < start)
						continue;
					int kind = local_to_utc(&z, L, &u1, &u2);
					if (z.err)
						return fail(err, errlen, "unknown time zone '%s'", tz);
					if (kind == MAP_TWO && !c->frequent)
						kind = MAP_ONE; /* first occurrence only */
					if (kind == MAP_GAP && c->frequent)
						continue;       /* normal steps: it does not happen */
					if (kind == MAP_TWO) {
						/* The second occurrences all come after every first
						 * one: keep the earliest, go on with first ones. */
						if (u1 > after) {
							*next = u1;
							return 0;
						}
						if (u2 > after && !have_pending) {
							pending = u2;
							have_pending = 1;
						}
						continue;
					}
					if (have_pending) {
						*next = pending;
						return 0;
					}
					if (u1 > after) {
						*next = u1;
						return 0;
					}
				}
			}
		}
	}
	if (have_pending) {
		*next = pending;
		return 0;
	}
	return fail(err, errlen, "no fire time within 400 years");
}
