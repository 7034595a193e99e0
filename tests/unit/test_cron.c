/* test_cron.c - cron parsing, Vixie semantics, L, refusals, and DST in real
 * zones. The clock is the `after` argument of cron_next: fully controllable. */
#include "check.h"
#include "cron.h"
#include "timefmt.h"

#include <stdint.h>
#include <string.h>

static int64_t at(const char *iso)
{
	double t = 0;
	char err[128];
	if (timefmt_parse(iso, strlen(iso), NULL, &t, err, sizeof err) != 0) {
		fprintf(stderr, "bad time %s: %s\n", iso, err);
		return 0;
	}
	return (int64_t)t;
}

/* The next n fire times (UTC, RFC 3339, space-separated) of expr after `from`. */
static const char *nexts(const char *expr, const char *tz, const char *from, int n)
{
	static char out[4096];
	struct cron_expr c;
	char err[256];
	out[0] = 0;
	if (cron_parse(expr, &c, err, sizeof err) != 0) {
		snprintf(out, sizeof out, "refused: %s", err);
		return out;
	}
	int64_t t = at(from);
	for (int i = 0; i < n; i++) {
		char buf[TIMEFMT_MAX];
		if (cron_next(&c, tz, t, &t, err, sizeof err) != 0) {
			snprintf(out + strlen(out), sizeof out - strlen(out), "error: %s", err);
			return out;
		}
		timefmt_iso((double)t, 0, NULL, buf, sizeof buf, NULL, 0);
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", buf);
	}
	return out;
}

static const char *refusal(const char *expr)
{
	static char err[256];
	struct cron_expr c;
	if (cron_parse(expr, &c, err, sizeof err) == 0)
		return "accepted";
	return err;
}

static void test_parse(void)
{
	CHECK_STR(nexts("*/15 * * * *", NULL, "2026-01-01T00:07:00Z", 3),
		  "2026-01-01T00:15:00Z 2026-01-01T00:30:00Z 2026-01-01T00:45:00Z");
	CHECK_STR(nexts("*/20 * * * * *", NULL, "2026-01-01T00:00:00Z", 3),
		  "2026-01-01T00:00:20Z 2026-01-01T00:00:40Z 2026-01-01T00:01:00Z");
	CHECK_STR(nexts("@hourly", NULL, "2026-01-01T00:00:00Z", 2),
		  "2026-01-01T01:00:00Z 2026-01-01T02:00:00Z");
	CHECK_STR(nexts("@daily", NULL, "2026-01-01T00:00:00Z", 1), "2026-01-02T00:00:00Z");
	CHECK_STR(nexts("@weekly", NULL, "2026-01-01T00:00:00Z", 1), "2026-01-04T00:00:00Z");
	CHECK_STR(nexts("@monthly", NULL, "2026-01-15T00:00:00Z", 1), "2026-02-01T00:00:00Z");
	CHECK_STR(nexts("@yearly", NULL, "2026-01-15T00:00:00Z", 1), "2027-01-01T00:00:00Z");
	CHECK_STR(nexts("0 9 * JAN-mar mon-FRI", NULL, "2026-03-30T10:00:00Z", 2),
		  "2026-03-31T09:00:00Z 2027-01-01T09:00:00Z");
	CHECK_STR(nexts("0 0 * * 7", NULL, "2026-01-01T00:00:00Z", 1), "2026-01-04T00:00:00Z");
	CHECK_STR(nexts("0 0 1,15-16 * *", NULL, "2026-01-01T00:00:00Z", 3),
		  "2026-01-15T00:00:00Z 2026-01-16T00:00:00Z 2026-02-01T00:00:00Z");
	CHECK_STR(nexts("30 10/6 * * *", NULL, "2026-01-01T00:00:00Z", 3),
		  "2026-01-01T10:30:00Z 2026-01-01T16:30:00Z 2026-01-01T22:30:00Z");
	CHECK_STR(nexts("0 0 1-10/3 * *", NULL, "2026-01-01T00:00:00Z", 4),
		  "2026-01-04T00:00:00Z 2026-01-07T00:00:00Z 2026-01-10T00:00:00Z 2026-02-01T00:00:00Z");
	/* Vixie: both days restricted: either matches (the 13th, or any Friday). */
	CHECK_STR(nexts("0 0 13 * 5", NULL, "2026-02-01T00:00:00Z", 3),
		  "2026-02-06T00:00:00Z 2026-02-13T00:00:00Z 2026-02-20T00:00:00Z");
	/* A star in one: both must (the star one always does). */
	CHECK_STR(nexts("0 0 13 * *", NULL, "2026-02-01T00:00:00Z", 1), "2026-02-13T00:00:00Z");
	CHECK_STR(nexts("0 0 */2 * 5", NULL, "2026-02-01T00:00:00Z", 2),
		  "2026-02-13T00:00:00Z 2026-02-27T00:00:00Z");
	/* L: the last day of the month, leap years included. */
	CHECK_STR(nexts("0 12 L * *", NULL, "2028-01-31T13:00:00Z", 3),
		  "2028-02-29T12:00:00Z 2028-03-31T12:00:00Z 2028-04-30T12:00:00Z");
	CHECK_STR(nexts("*/30 9-14 L * *", NULL, "2026-02-28T14:00:00Z", 3),
		  "2026-02-28T14:30:00Z 2026-03-31T09:00:00Z 2026-03-31T09:30:00Z");
	/* Feb 29 only: years apart. */
	CHECK_STR(nexts("0 0 29 2 *", NULL, "2026-01-01T00:00:00Z", 2),
		  "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z");
	/* The user's schedule: no 30th in February, so it skips it. */
	CHECK_STR(nexts("*/30 9-14 30 * *", NULL, "2026-01-30T14:45:00Z", 1),
		  "2026-03-30T09:00:00Z");
}

static void test_refusals(void)
{
	CHECK_STR(refusal("0 0 30 2 *"),
		  "day-of-month: the schedule never fires (day 30 does not occur in February)");
	CHECK_STR(refusal("0 0 31 apr,jun,sep,nov *"),
		  "day-of-month: the schedule never fires (no chosen day occurs in the chosen months)");
	CHECK_STR(refusal("0 0 32 * *"), "day-of-month: 32 is out of range 1-31");
	CHECK_STR(refusal("60 * * * *"), "minute: 60 is out of range 0-59");
	CHECK_STR(refusal("0 24 * * *"), "hour: 24 is out of range 0-23");
	CHECK_STR(refusal("0 0 * 13 *"), "month: 13 is out of range 1-12");
	CHECK_STR(refusal("0 0 * * 8"), "day-of-week: 8 is out of range 0-7");
	CHECK_STR(refusal("0 0 * foo *"), "month: bad value 'foo'");
	CHECK_STR(refusal("*/0 * * * *"), "minute: step 0 in '*/0'");
	CHECK_STR(refusal("0 5-2 * * *"), "hour: range 5-2 is backwards");
	CHECK_STR(refusal("0 0 * * L"), "day-of-week: bad value 'L'");
	CHECK_STR(refusal("* * * *"), "expected 5 or 6 fields (seconds optional), got 4");
	CHECK_STR(refusal("61 * * * * *"), "second: 61 is out of range 0-59");
	CHECK_STR(refusal("@often"),
		  "unknown macro '@often' (use @hourly, @daily, @weekly, @monthly or @yearly)");
	CHECK_STR(refusal(""), "expected 5 or 6 fields (seconds optional), got 0");
	CHECK_STR(refusal("0 0 1,,2 * *"), "accepted"); /* empty list items are ignored */
	CHECK_STR(refusal("0 0 30 2 1"), "accepted");   /* Vixie OR: any Monday */
	CHECK_STR(refusal("0 0 L 2 *"), "accepted");
	struct cron_expr c;
	char err[64];
	CHECK(cron_parse("0 0 * * *", &c, err, sizeof err) == 0);
	int64_t n;
	CHECK(cron_next(&c, "Mars/Olympus", 0, &n, err, sizeof err) == -1);
	CHECK_STR(err, "unknown time zone 'Mars/Olympus'");
}

static void test_dst_berlin(void)
{
	const char *tz = "Europe/Berlin";
	/* 2026-03-29: 02:00 CET -> 03:00 CEST (01:00Z). 02:30 does not exist: it runs
	 * once, right after the gap (03:00 CEST = 01:00Z). */
	CHECK_STR(nexts("30 2 * * *", tz, "2026-03-28T12:00:00Z", 3),
		  "2026-03-29T01:00:00Z 2026-03-30T00:30:00Z 2026-03-31T00:30:00Z");
	/* Several times in the gap still run once. */
	CHECK_STR(nexts("0,15,30,45 2 * * *", tz, "2026-03-28T12:00:00Z", 3),
		  "2026-03-29T01:00:00Z 2026-03-30T00:00:00Z 2026-03-30T00:15:00Z");
	/* Hourly jobs keep their steps: no 02:30 that day. */
	CHECK_STR(nexts("30 * * * *", tz, "2026-03-28T23:00:00Z", 3),
		  "2026-03-28T23:30:00Z 2026-03-29T00:30:00Z 2026-03-29T01:30:00Z");
	/* 2026-10-25: 03:00 CEST -> 02:00 CET (01:00Z); 02:30 happens twice. A daily
	 * job runs once, at the first one (00:30Z). */
	CHECK_STR(nexts("30 2 * * *", tz, "2026-10-24T12:00:00Z", 2),
		  "2026-10-25T00:30:00Z 2026-10-26T01:30:00Z");
	/* An hourly job runs on both. */
	CHECK_STR(nexts("30 * * * *", tz, "2026-10-24T23:00:00Z", 4),
		  "2026-10-24T23:30:00Z 2026-10-25T00:30:00Z 2026-10-25T01:30:00Z "
		  "2026-10-25T02:30:00Z");
	/* Every 15 minutes, starting inside the first pass of the repeated hour. */
	CHECK_STR(nexts("*/15 * * * *", tz, "2026-10-25T00:50:00Z", 3),
		  "2026-10-25T01:00:00Z 2026-10-25T01:15:00Z 2026-10-25T01:30:00Z");
	/* Every minute, from the last minute of the first pass. */
	CHECK_STR(nexts("* * * * *", tz, "2026-10-25T00:59:00Z", 2),
		  "2026-10-25T01:00:00Z 2026-10-25T01:01:00Z");
	/* A daily job asked about from inside the second pass does not run again. */
	CHECK_STR(nexts("30 2 * * *", tz, "2026-10-25T01:10:00Z", 1), "2026-10-26T01:30:00Z");
}

static void test_dst_new_york(void)
{
	const char *tz = "America/New_York";
	/* 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z). */
	CHECK_STR(nexts("30 2 * * *", tz, "2026-03-07T12:00:00Z", 2),
		  "2026-03-08T07:00:00Z 2026-03-09T06:30:00Z");
	CHECK_STR(nexts("0 */1 * * *", tz, "2026-03-08T05:30:00Z", 3),
		  "2026-03-08T06:00:00Z 2026-03-08T07:00:00Z 2026-03-08T08:00:00Z");
	/* 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z); 01:30 happens twice. */
	CHECK_STR(nexts("30 1 * * *", tz, "2026-10-31T12:00:00Z", 2),
		  "2026-11-01T05:30:00Z 2026-11-02T06:30:00Z");
	CHECK_STR(nexts("30 * * * *", tz, "2026-11-01T04:00:00Z", 4),
		  "2026-11-01T04:30:00Z 2026-11-01T05:30:00Z 2026-11-01T06:30:00Z "
		  "2026-11-01T07:30:00Z");
	/* A midnight job is not touched by either change. */
	CHECK_STR(nexts("0 0 * * *", tz, "2026-03-07T12:00:00Z", 2),
		  "2026-03-08T05:00:00Z 2026-03-09T04:00:00Z");
	/* Fixed offsets work too. */
	CHECK_STR(nexts("0 9 * * *", "+05:30", "2026-01-01T00:00:00Z", 1), "2026-01-01T03:30:00Z");
}

int main(void)
{
	test_parse();
	test_refusals();
	test_dst_berlin();
	test_dst_new_york();
	return CHECK_DONE();
}
