/* fuzz_cron.c - cron expressions (cron.c): parsing any text, and next fire
 * times in several zones from any instant.
 *
 * Input: the expression, then optionally a NUL, one byte choosing the zone and
 * up to 8 bytes (big endian) of the instant to start after. Properties:
 * next > after; next is the first fire after any instant in [after, next)
 * (cron_next(next - 1) == next); in UTC and fixed-offset zones the wall-clock
 * time of `next` matches every field (Vixie day rule, `L`). */
#include "cron.h"
#include "fuzz.h"

#include <string.h>

static const char *const zones[] = {
	NULL, "UTC", "+05:30", "-09:30", "Europe/Berlin", "America/New_York",
	"Australia/Lord_Howe", "Pacific/Apia", "America/Sao_Paulo", "Asia/Kathmandu",
	"Europe/Dublin", "Antarctica/Troll",
};
#define NZONES (sizeof zones / sizeof zones[0])

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* civil date of day z since 1970-01-01 (Howard Hinnant's algorithm) */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floordiv(z, 146097), doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int last_day(int64_t y, int m)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return n[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* Does wall-clock second `w` (seconds since the epoch in the zone) match c? */
static int matches(const struct cron_expr *c, int64_t w)
{
	int64_t day = floordiv(w, 86400), s = w - day * 86400, y;
	int m, d;
	civil(day, &y, &m, &d);
	int dow = (int)((day % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	if (!(c->sec >> (s % 60) & 1) || !(c->min >> (s / 60 % 60) & 1) ||
	    !(c->hour >> (s / 3600) & 1) || !(c->mon >> m & 1))
		return 0;
	int dom_ok = (c->dom >> d & 1) || (c->dom_last && d == last_day(y, m));
	int dow_ok = c->dow >> dow & 1;
	if (!c->dom_star && !c->dow_star)
		return dom_ok || dow_ok;
	return dom_ok && dow_ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t elen = nul ? (size_t)(nul - data) : size;
	char *text = fuzz_cstr(data, elen);
	if (!text)
		return 0;
	const char *tz = "UTC";
	int64_t after = 1798761600;               /* 2027-01-01T00:00:00Z */
	if (nul) {
		const uint8_t *p = nul + 1, *end = data + size;
		if (p < end)
			tz = zones[*p++ % NZONES];
		if (p < end) {
			uint64_t v = 0;
			for (int i = 0; i < 8 && p < end; i++)
				v = v << 8 | *p++;
			after = (int64_t)v;
		}
	}
	struct cron_expr c;
	char err[256] = "";
	if (cron_parse(text, &c, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0], "refused without a message: '%s'", text);
		free(text);
		return 0;
	}
	int fixed = 0, off = 0;
	if (!tz || strcmp(tz, "UTC") == 0)
		fixed = 1;
	else if (tz[0] == '+' || tz[0] == '-') {
		fixed = 1;
		off = (tz[0] == '-' ? -1 : 1) * ((tz[1] - '0') * 36000 + (tz[2] - '0') * 3600 +
						 (tz[4] - '0') * 600 + (tz[5] - '0') * 60);
	}
	int64_t t = after;
	for (int i = 0; i < 3; i++) {
		int64_t next;
		if (cron_next(&c, tz, t, &next, err, sizeof err) != 0) {
			FUZZ_CHECK(err[0], "cron_next failed without a message: '%s'", text);
			break;
		}
		FUZZ_CHECK(next > t, "'%s' in %s after %lld: %lld", text, tz ? tz : "NULL",
			   (long long)t, (long long)next);
		if (fixed)
			FUZZ_CHECK(matches(&c, next + off), "'%s' in %s after %lld: %lld does not match",
				   text, tz ? tz : "NULL", (long long)t, (long long)next);
		int64_t again;
		if (next - 1 > t && cron_next(&c, tz, next - 1, &again, err, sizeof err) == 0)
			FUZZ_CHECK(again == next, "'%s' in %s: after %lld %lld, after %lld %lld", text,
				   tz ? tz : "NULL", (long long)t, (long long)next,
				   (long long)(next - 1), (long long)again);
		t = next;
	}
	free(text);
	return 0;
}
