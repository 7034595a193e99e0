/* test_time.c - RFC 3339 formatting and parsing, offsets, leap years, and IANA
 * zones from our TZif reader checked against glibc's localtime_r. */
#include "check.h"
#include "prim.h"
#include "prims.h"
#include "timefmt.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static lua_State *L;

static const char *eval(const char *code)
{
	static char out[4096];
	if (luaL_dostring(L, code) != 0)
		snprintf(out, sizeof out, "ERR: %s", lua_tostring(L, -1));
	else if (lua_isnil(L, 1) && lua_gettop(L) >= 2)
		snprintf(out, sizeof out, "nil: %s", lua_tostring(L, 2));
	else if (lua_type(L, 1) == LUA_TNUMBER)
		snprintf(out, sizeof out, "%.6f", lua_tonumber(L, 1));
	else
		snprintf(out, sizeof out, "%s", lua_tostring(L, 1) ? lua_tostring(L, 1) : "(not a string)");
	lua_settop(L, 0);
	return out;
}

static const char *iso(double t, int frac, const char *tz)
{
	static char out[TIMEFMT_MAX + 80];
	char err[64];
	if (timefmt_iso(t, frac, tz, out, sizeof out, err, sizeof err) < 0)
		snprintf(out, sizeof out, "ERR: %s", err);
	return out;
}

static const char *parse(const char *s, const char *tz)
{
	static char out[128];
	char err[64];
	double t;
	if (timefmt_parse(s, strlen(s), tz, &t, err, sizeof err) != 0)
		snprintf(out, sizeof out, "ERR: %s", err);
	else
		snprintf(out, sizeof out, "%.6f", t);
	return out;
}

static void test_format(void)
{
	CHECK_STR(iso(0, 0, NULL), "1970-01-01T00:00:00Z");
	CHECK_STR(iso(-1, 0, NULL), "1969-12-31T23:59:59Z");
	CHECK_STR(iso(951782400, 0, NULL), "2000-02-29T00:00:00Z");   /* 2000 is a leap year */
	CHECK_STR(iso(951782400 - 1, 0, NULL), "2000-02-28T23:59:59Z");
	CHECK_STR(iso(4107542400.0, 0, NULL), "2100-03-01T00:00:00Z"); /* 2100 is not */
	CHECK_STR(iso(4107542400.0 - 1, 0, NULL), "2100-02-28T23:59:59Z");
	CHECK_STR(iso(1709164800, 0, NULL), "2024-02-29T00:00:00Z");
	CHECK_STR(iso(-2203891200.0, 0, NULL), "1900-03-01T00:00:00Z");
	CHECK_STR(iso(253402300799.0, 0, NULL), "9999-12-31T23:59:59Z");
	CHECK_STR(iso(-62167219200.0, 0, NULL), "0000-01-01T00:00:00Z");
	CHECK_STR(iso(253402300800.0, 0, NULL), "ERR: time out of range");
	CHECK_STR(iso(-62167219201.0, 0, NULL), "ERR: time out of range");
	CHECK_STR(iso(NAN, 0, NULL), "ERR: time out of range");
	/* Fractions: truncated after rounding to the microsecond. */
	CHECK_STR(iso(1.5, 3, NULL), "1970-01-01T00:00:01.500Z");
	CHECK_STR(iso(1.5, 6, NULL), "1970-01-01T00:00:01.500000Z");
	CHECK_STR(iso(1.9996, 3, NULL), "1970-01-01T00:00:01.999Z");
	CHECK_STR(iso(1.9999999, 3, NULL), "1970-01-01T00:00:02.000Z");
	CHECK_STR(iso(1.9999999, 0, NULL), "1970-01-01T00:00:02Z");
	CHECK_STR(iso(1.9, 0, NULL), "1970-01-01T00:00:01Z");
	CHECK_STR(iso(-0.25, 3, NULL), "1969-12-31T23:59:59.750Z");
	CHECK_STR(iso(1700000000.123456, 6, NULL), "2023-11-14T22:13:20.123456Z");
	/* Fixed offsets. */
	CHECK_STR(iso(0, 0, "+05:30"), "1970-01-01T05:30:00+05:30");
	CHECK_STR(iso(0, 0, "-0800"), "1969-12-31T16:00:00-08:00");
	CHECK_STR(iso(0, 0, "+01"), "1970-01-01T01:00:00+01:00");
	CHECK_STR(iso(0, 0, "-00:00"), "1970-01-01T00:00:00+00:00");
	CHECK_STR(iso(0, 0, "Z"), "1970-01-01T00:00:00Z");
	CHECK_STR(iso(0, 0, "UTC"), "1970-01-01T00:00:00Z");
	CHECK_STR(iso(0, 0, "+24:00"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "+05:60"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "+5"), "ERR: unknown time zone");
	char now[TIMEFMT_MAX];
	timefmt_now_iso(now);
	CHECK(strlen(now) == 24 && now[23] == 'Z' && now[19] == '.');
	CHECK(fabs(timefmt_now() - (double)time(NULL)) < 2);
}

static void test_parse(void)
{
	CHECK_STR(parse("1970-01-01T00:00:00Z", NULL), "0.000000");
	CHECK_STR(parse("2024-02-29T12:00:00Z", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29t12:00:00z", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29 12:00:00Z", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29T13:00:00+01:00", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29T13:00:00+0100", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29T13:00:00+01", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29T06:30:00-05:30", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29T12:00:00.25Z", NULL), "1709208000.250000");
	CHECK_STR(parse("2024-02-29T12:00:00,5Z", NULL), "1709208000.500000");
	CHECK_STR(parse("2024-02-29T12:00:00.123456789123Z", NULL), "1709208000.123457");
	CHECK_STR(parse("2024-02-29T12:00Z", NULL), "1709208000.000000");
	CHECK_STR(parse("2024-02-29", NULL), "1709164800.000000");       /* date only: midnight */
	CHECK_STR(parse("2024-02-29T12:00:00", NULL), "1709208000.000000"); /* no offset: UTC */
	CHECK_STR(parse("20240229T120000Z", NULL), "1709208000.000000");  /* basic format */
	CHECK_STR(parse("20240229", NULL), "1709164800.000000");
	CHECK_STR(parse("2016-12-31T23:59:60Z", NULL), "1483228800.000000"); /* leap second */
	CHECK_STR(parse("1969-12-31T23:59:59Z", NULL), "-1.000000");
	CHECK_STR(parse("0000-01-01T00:00:00Z", NULL), "-62167219200.000000");

	CHECK_STR(parse("2023-02-29", NULL), "ERR: day out of range");
	CHECK_STR(parse("2100-02-29", NULL), "ERR: day out of range");
	CHECK_STR(parse("2024-04-31", NULL), "ERR: day out of range");
	CHECK_STR(parse("2024-13-01", NULL), "ERR: month out of range");
	CHECK_STR(parse("2024-00-01", NULL), "ERR: month out of range");
	CHECK_STR(parse("2024-01-00", NULL), "ERR: day out of range");
	CHECK_STR(parse("2024-01-01T24:00:00Z", NULL), "ERR: hour out of range");
	CHECK_STR(parse("2024-01-01T23:60:00Z", NULL), "ERR: minute out of range");
	CHECK_STR(parse("2024-01-01T23:59:61Z", NULL), "ERR: second out of range");
	CHECK_STR(parse("2024-1-01", NULL), "ERR: invalid date");
	CHECK_STR(parse("24-01-01", NULL), "ERR: invalid date");
	CHECK_STR(parse("", NULL), "ERR: invalid date");
	CHECK_STR(parse("yesterday", NULL), "ERR: invalid date");
	CHECK_STR(parse("2024-01-01T10", NULL), "ERR: invalid time");
	CHECK_STR(parse("2024-01-01T10:00:00.Z", NULL), "ERR: invalid fraction");
	CHECK_STR(parse("2024-01-01T10:00:00+1:00", NULL), "ERR: invalid offset");
	CHECK_STR(parse("2024-01-01T10:00:00+25:00", NULL), "ERR: invalid offset");
	CHECK_STR(parse("2024-01-01T10:00:00Z ", NULL), "ERR: unexpected text after the time");
	CHECK_STR(parse(" 2024-01-01", NULL), "ERR: invalid date");
	CHECK_STR(parse("2024-01-01X", NULL), "ERR: unexpected text after the time");

	/* Round trips through both directions. */
	for (double t = -2208988800.0; t < 4102444800.0; t += 86400.0 * 97.3 + 0.125) {
		char s[TIMEFMT_MAX];
		double back;
		timefmt_iso(t, 6, "-03:30", s, sizeof s, NULL, 0);
		CHECK(timefmt_parse(s, strlen(s), NULL, &back, NULL, 0) == 0 && fabs(back - t) < 1e-6);
	}
}

/* Compares our zone reader with glibc's for many instants (a single-threaded test
 * may set TZ). Offsets with seconds (local mean time) are rounded by us: skipped. */
static void test_zones_against_glibc(void)
{
	static const char *zones[] = {
		"Europe/Paris", "America/New_York", "Australia/Sydney", "America/Sao_Paulo",
		"Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca",
		"America/St_Johns", "Asia/Tehran", "Europe/Dublin", "Pacific/Apia", "UTC",
		"Etc/GMT+5", "America/Santiago", "Antarctica/Troll",
	};
	unsigned seed = 12345;
	int compared = 0, mismatches = 0;
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (int i = 0; i < 3000; i++) {
			seed = seed * 1103515245u + 12345u;
			/* 1900..2150, with extra weight near DST changes of the current era. */
			double span = i % 2 ? 7.9e9 : 1.6e9;
			double base = i % 2 ? -2.2e9 : 1.2e9;
			time_t t = (time_t)(base + span * ((seed >> 8) / 16777216.0));
			struct tm tm;
			char want[TIMEFMT_MAX + 8], got[TIMEFMT_MAX];
			localtime_r(&t, &tm);
			if (tm.tm_gmtoff % 60 != 0)
				continue;
			long off = tm.tm_gmtoff;
			size_t n = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
			if (strcmp(zones[z], "UTC") == 0)
				snprintf(want + n, sizeof want - n, "Z");
			else
				snprintf(want + n, sizeof want - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
					 labs(off) / 3600, labs(off) / 60 % 60);
			timefmt_iso((double)t, 0, zones[z], got, sizeof got, NULL, 0);
			compared++;
			if (strcmp(got, want) != 0 && mismatches++ < 10)
				fprintf(stderr, "%s at %lld: got %s, glibc %s\n", zones[z], (long long)t, got, want);
		}
	}
	unsetenv("TZ");
	tzset();
	CHECK(compared > 40000);
	CHECK(mismatches == 0);
}

static void test_zones(void)
{
	/* 2024-07-01T10:00:00Z: summer in Paris, winter in Sydney. */
	CHECK_STR(iso(1719828000, 0, "Europe/Paris"), "2024-07-01T12:00:00+02:00");
	CHECK_STR(iso(1719828000, 0, "Australia/Sydney"), "2024-07-01T20:00:00+10:00");
	CHECK_STR(iso(1719828000, 0, "America/New_York"), "2024-07-01T06:00:00-04:00");
	CHECK_STR(iso(1719828000, 3, "Asia/Kolkata"), "2024-07-01T15:30:00.000+05:30");
	CHECK_STR(iso(1704067200, 0, "Europe/Paris"), "2024-01-01T01:00:00+01:00");
	/* After the last transition in the file: the footer's POSIX rule. */
	CHECK_STR(iso(4118126400.0, 0, "Europe/Paris"), "2100-07-01T14:00:00+02:00");
	CHECK_STR(iso(4102444800.0, 0, "Australia/Sydney"), "2100-01-01T11:00:00+11:00");
	/* Local mean time has seconds in its offset: rounded to the minute. */
	CHECK_STR(iso(-2500000000.0, 0, "Europe/Paris"), "1890-10-11T19:42:20+00:09"); /* 19:33:20Z + 0:09:21 */
	CHECK_STR(iso(0, 0, "Etc/UTC"), "1970-01-01T00:00:00+00:00");
	/* Names that are not zones, or not files we read. */
	CHECK_STR(iso(0, 0, "Europe/Pariss"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "../../../etc/passwd"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "/etc/localtime"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "Europe/../Europe/Paris"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "localtime"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "right/UTC"), "ERR: unknown time zone");
	CHECK_STR(iso(0, 0, "Europe"), "ERR: unknown time zone");         /* a directory */
	CHECK_STR(iso(0, 0, "zone.tab"), "ERR: unknown time zone");       /* not TZif */
	/* More zones than the cache holds, then back: still right. */
	static const char *many[] = { "Asia/Tokyo", "Europe/Berlin", "America/Chicago",
		"Africa/Cairo", "Asia/Dubai", "Europe/London", "America/Denver",
		"Pacific/Auckland", "Asia/Singapore", "Europe/Madrid" };
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
			CHECK(strncmp(iso(0, 0, many[i]), "ERR", 3) != 0);
	CHECK_STR(iso(1719828000, 0, "Asia/Tokyo"), "2024-07-01T19:00:00+09:00");

	/* Local times without an offset, in a zone. */
	CHECK_STR(parse("2024-07-01T12:00:00", "Europe/Paris"), "1719828000.000000");
	CHECK_STR(parse("2024-07-01T12:00:00Z", "Europe/Paris"), "1719835200.000000"); /* offset wins */
	CHECK_STR(parse("2024-07-01", "+02:00"), "1719784800.000000");
	/* In the spring gap (02:30 does not exist in Paris): moved forward an hour. */
	CHECK_STR(parse("2024-03-31T02:30:00", "Europe/Paris"), "1711848600.000000");
	CHECK_STR(iso(1711848600, 0, "Europe/Paris"), "2024-03-31T03:30:00+02:00");
	/* In the autumn overlap (02:30 happens twice): the earlier. */
	CHECK_STR(parse("2024-10-27T02:30:00", "Europe/Paris"), "1729989000.000000");
	CHECK_STR(iso(1729989000, 0, "Europe/Paris"), "2024-10-27T02:30:00+02:00");
	CHECK_STR(parse("2024-10-27T02:30:00", "Mars/Olympus"), "ERR: unknown time zone");
}

static void test_lua(void)
{
	CHECK_STR(eval("return time.iso(0)"), "1970-01-01T00:00:00Z");
	CHECK_STR(eval("return time.iso(1.25, {ms = true})"), "1970-01-01T00:00:01.250Z");
	CHECK_STR(eval("return time.iso(1.25, {us = true, ms = true})"), "1970-01-01T00:00:01.250000Z");
	CHECK_STR(eval("return time.iso(1719828000, {tz = 'Europe/Paris'})"), "2024-07-01T12:00:00+02:00");
	CHECK_STR(eval("return time.iso(0, {tz = 'Nowhere/Special'})"), "nil: unknown time zone");
	CHECK_STR(eval("return tostring(#time.iso())"), "20");
	CHECK_STR(eval("return tostring(math.abs(time.now() - os.time()) < 2)"), "true");
	CHECK_STR(eval("local t = time.now() return tostring(t ~= math.floor(t) or true)"), "true");
	CHECK_STR(eval("return time.parse('2024-02-29T12:00:00.5+00:00')"), "1709208000.500000");
	CHECK_STR(eval("return time.parse('2024-07-01T12:00:00', {tz = 'Europe/Paris'})"), "1719828000.000000");
	CHECK_STR(eval("return time.parse('2023-02-29')"), "nil: day out of range");
	CHECK_HAS(eval("return time.iso(1719828000000)"),
		  "time.iso: t = 1719828000000 is outside years 0000-9999 (milliseconds instead of seconds?)");
	CHECK_HAS(eval("return time.iso('now')"), "time.iso: argument 1 is string, not a number");
	CHECK_HAS(eval("return time.iso(0, {zone = 'UTC'})"), "unknown option zone");
	CHECK_HAS(eval("return time.iso(0, {ms = 1})"), "option ms is a number, not a boolean");
	CHECK_HAS(eval("return time.parse(12)"), "time.parse: argument 1 is number, not a string");
	CHECK_HAS(eval("return time.parse('2024-01-01', {ms = true})"), "unknown option ms");
}

int main(void)
{
	L = luaL_newstate();
	luaL_openlibs(L);
	lua_pushcfunction(L, prim_open_time);
	lua_call(L, 0, 1);
	lua_setglobal(L, "time");
	test_format();
	test_parse();
	test_zones();
	test_zones_against_glibc();
	test_lua();
	lua_close(L);
	return CHECK_DONE();
}
