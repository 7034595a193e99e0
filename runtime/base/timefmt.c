/* timefmt.c - times as ISO 8601 text in IANA zones (timefmt.h); the `time`
 * namespace on top of it is prims/prim_time.c.
 *
 * Time zones: glibc's localtime_r reads the process-wide TZ, and changing TZ in a
 * threaded process is unsafe, so IANA zones are read here from their TZif files
 * (RFC 8536): the transition table, and the POSIX TZ rule in the footer for
 * times after the last transition. Parsed zones live in a per-thread cache of
 * ZONE_CACHE entries, freed by a thread-exit destructor; zone loading (file I/O,
 * malloc) is a non-interruptible region and raises no Lua error.
 *
 * Calendar arithmetic is proleptic Gregorian on 64-bit day numbers (H. Hinnant's
 * days_from_civil), so no libc time function is involved at all.
 */
#include "timefmt.h"
#include "noint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZONE_CACHE     8
#define ZONE_FILE_MAX  (256 * 1024) /* the largest real TZif file is ~4 KiB */
#define ZONE_NAME_MAX  64

/* ---- calendar ---------------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned char n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

/* ---- POSIX TZ rules (the TZif footer), e.g. "CET-1CEST,M3.5.0,M10.5.0/3" ---- */

struct rule_date {
	char kind;       /* 'M' month.week.day, 'J' Julian 1..365 without Feb 29, 'n' 0..365 */
	int n, m, w, d;
	int32_t secs;    /* local time of the change, may be negative or past 24h */
};

struct tz_rule {
	int32_t std_off, dst_off; /* seconds east of UTC */
	int has_dst;
	struct rule_date start, end;
};

static const char *rule_name(const char *p)
{
	const char *s = p;
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' && p - s > 1 ? p + 1 : NULL;
	}
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *rule_num(const char *p, int max, int *out)
{
	int v = 0, n = 0;
	while (*p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || v > max)
		return NULL;
	*out = v;
	return p;
}

/* [+-]h[h[h]][:mm[:ss]] as seconds; hours up to maxh. */
static const char *rule_hms(const char *p, int maxh, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = rule_num(p, maxh, &h)))
		return NULL;
	if (*p == ':' && !(p = rule_num(p + 1, 59, &m)))
		return NULL;
	if (*p == ':' && !(p = rule_num(p + 1, 59, &s)))
		return NULL;
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *rule_date(const char *p, struct rule_date *r)
{
	if (*p == 'M') {
		r->kind = 'M';
		if (!(p = rule_num(p + 1, 12, &r->m)) || r->m < 1 || *p != '.' ||
		    !(p = rule_num(p + 1, 5, &r->w)) || r->w < 1 || *p != '.' ||
		    !(p = rule_num(p + 1, 6, &r->d)))
			return NULL;
	} else if (*p == 'J') {
		r->kind = 'J';
		if (!(p = rule_num(p + 1, 365, &r->n)) || r->n < 1)
			return NULL;
	} else {
		r->kind = 'n';
		if (!(p = rule_num(p, 365, &r->n)))
			return NULL;
	}
	r->secs = 7200;
	if (*p == '/' && !(p = rule_hms(p + 1, 167, &r->secs)))
		return NULL;
	return p;
}

static int rule_parse(const char *p, struct tz_rule *r)
{
	int32_t v;
	memset(r, 0, sizeof *r);
	if (!(p = rule_name(p)) || !(p = rule_hms(p, 24, &v)))
		return -1;
	r->std_off = -v; /* POSIX counts west of UTC */
	if (!*p)
		return 0;
	if (!(p = rule_name(p)))
		return -1;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = rule_hms(p, 24, &v)))
			return -1;
		r->dst_off = -v;
	}
	if (*p != ',' || !(p = rule_date(p + 1, &r->start)) || *p != ',' ||
	    !(p = rule_date(p + 1, &r->end)) || *p)
		return -1;
	r->has_dst = 1;
	return 0;
}

/* Seconds from the epoch to the change in year y, as local time of that rule. */
static int64_t rule_when(int64_t y, const struct rule_date *r)
{
	int64_t day;
	if (r->kind == 'J') {
		day = days_from_civil(y, 1, 1) + r->n - 1 + (is_leap(y) && r->n >= 60);
	} else if (r->kind == 'n') {
		day = days_from_civil(y, 1, 1) + r->n;
	} else {
		int64_t first = days_from_civil(y, (unsigned)r->m, 1);
		int wd = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
		int dom = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
		while ((unsigned)dom > month_days(y, (unsigned)r->m))
			dom -= 7;
		day = first + dom - 1;
	}
	return day * 86400 + r->secs;
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y;
	unsigned m, d;
	if (!r->has_dst)
		return r->std_off;
	civil_from_days(floordiv(t + r->std_off, 86400), &y, &m, &d);
	int64_t start = rule_when(y, &r->start) - r->std_off; /* given in standard time */
	int64_t end = rule_when(y, &r->end) - r->dst_off;     /* given in daylight time */
	int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? r->dst_off : r->std_off;
}

/* ---- TZif files ---------------------------------------------------------- */

struct zone {
	char name[ZONE_NAME_MAX + 1];
	size_t ntrans, ntypes;
	int64_t *trans;     /* ascending */
	unsigned char *idx; /* type of each transition */
	int32_t *offs;      /* offset of each type */
	int has_rule;
	struct tz_rule rule;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Bytes of a data block after the 44-byte header at h, for times of tsize bytes. */
static size_t tzif_block(const unsigned char *h, size_t tsize)
{
	return be32(h + 32) * (tsize + 1) + be32(h + 36) * 6 + be32(h + 40) +
	       be32(h + 28) * (tsize + 4) + be32(h + 24) + be32(h + 20);
}

static struct zone *tzif_parse(const char *name, const unsigned char *b, size_t n)
{
	const unsigned char *h = b, *end = b + n;
	size_t tsize = 4;
	if (n < 44 || memcmp(b, "TZif", 4) != 0)
		return NULL;
	if (b[4] >= '2') { /* skip the 32-bit block, use the 64-bit one */
		size_t v1 = tzif_block(b, 4);
		if (v1 > n || n - v1 < 88 || memcmp(b + 44 + v1, "TZif", 4) != 0)
			return NULL;
		h = b + 44 + v1;
		tsize = 8;
	}
	uint32_t timecnt = be32(h + 32), typecnt = be32(h + 36), leapcnt = be32(h + 28);
	/* Leap-second ("right/") zones count TAI-like seconds: not Unix time. */
	if (leapcnt || typecnt == 0 || typecnt > 256 || timecnt > 65536 ||
	    be32(h + 40) > 65536 || be32(h + 24) > 256 || be32(h + 20) > 256)
		return NULL;
	const unsigned char *data = h + 44;
	size_t need = tzif_block(h, tsize);
	if (need > (size_t)(end - data))
		return NULL;
	struct zone *z = calloc(1, sizeof *z + timecnt * (sizeof(int64_t) + 1) + typecnt * sizeof(int32_t));
	if (!z)
		return NULL;
	z->trans = (int64_t *)(z + 1);
	z->offs = (int32_t *)(z->trans + timecnt);
	z->idx = (unsigned char *)(z->offs + typecnt);
	z->ntrans = timecnt;
	z->ntypes = typecnt;
	snprintf(z->name, sizeof z->name, "%s", name);
	for (uint32_t i = 0; i < timecnt; i++) {
		const unsigned char *p = data + i * tsize;
		z->trans[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
		z->idx[i] = data[timecnt * tsize + i];
		if (z->idx[i] >= typecnt || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			goto bad;
	}
	for (uint32_t i = 0; i < typecnt; i++) {
		int32_t off = (int32_t)be32(data + timecnt * (tsize + 1) + i * 6);
		if (off < -26 * 3600 || off > 26 * 3600)
			goto bad;
		z->offs[i] = off;
	}
	if (tsize == 8) { /* footer: "\n<POSIX TZ string>\n", may be empty */
		const unsigned char *f = data + need;
		char rule[128];
		size_t len = 0;
		if (f >= end || *f++ != '\n')
			goto bad;
		while (f < end && *f != '\n' && len < sizeof rule - 1)
			rule[len++] = (char)*f++;
		if (f >= end)
			goto bad;
		rule[len] = 0;
		if (len > 0) {
			if (rule_parse(rule, &z->rule) != 0)
				goto bad;
			z->has_rule = 1;
		}
	}
	return z;
bad:
	free(z);
	return NULL;
}

static int zone_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > ZONE_NAME_MAX || strcmp(name, "localtime") == 0 ||
	    strcmp(name, "posixrules") == 0 || strncmp(name, "right/", 6) == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int seg_start = i == 0 || name[i - 1] == '/';
		if (seg_start && (c == '/' || c == '.' || c == '-'))
			return 0; /* no "", ".", "..", absolute paths, or option-like names */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+' || c == '.'))
			return 0;
	}
	return name[len - 1] != '/';
}

static struct zone *zone_load(const char *name)
{
	char path[sizeof TIMEFMT_ZONEINFO + ZONE_NAME_MAX + 2];
	struct stat st;
	struct zone *z = NULL;
	snprintf(path, sizeof path, "%s/%s", TIMEFMT_ZONEINFO, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= ZONE_FILE_MAX) {
		size_t n = (size_t)st.st_size, got = 0;
		unsigned char *b = malloc(n);
		while (b && got < n) {
			ssize_t r = read(fd, b + got, n - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (b && got == n)
			z = tzif_parse(name, b, n);
		free(b);
	}
	close(fd);
	return z;
}

/* Per-thread cache: a thread-exit destructor frees it, so that worker threads
 * that come and go leak nothing. */
struct zone_cache {
	struct zone *z[ZONE_CACHE];
	unsigned long used[ZONE_CACHE];
	unsigned long tick;
};

static _Thread_local struct zone_cache *t_zones;
static pthread_key_t zones_key;
static pthread_once_t zones_once = PTHREAD_ONCE_INIT;
static int zones_key_ok;

static void zones_free(void *p)
{
	struct zone_cache *c = p;
	for (int i = 0; i < ZONE_CACHE; i++)
		free(c->z[i]);
	free(c);
}

static void zones_init(void)
{
	zones_key_ok = pthread_key_create(&zones_key, zones_free) == 0;
}

/* The zone called name, from the cache or its file; NULL if unknown. The pointer
 * is valid until the next zone_get on this thread. Call inside noint. */
static const struct zone *zone_get(const char *name)
{
	struct zone_cache *c = t_zones;
	int slot = 0;
	if (!c) {
		pthread_once(&zones_once, zones_init);
		if (!zones_key_ok || !(c = calloc(1, sizeof *c)))
			return NULL;
		pthread_setspecific(zones_key, c);
		t_zones = c;
	}
	for (int i = 0; i < ZONE_CACHE; i++) {
		if (c->z[i] && strcmp(c->z[i]->name, name) == 0) {
			c->used[i] = ++c->tick;
			return c->z[i];
		}
		if (c->used[i] < c->used[slot])
			slot = i;
	}
	struct zone *z = zone_load(name);
	if (!z)
		return NULL;
	free(c->z[slot]);
	c->z[slot] = z;
	c->used[slot] = ++c->tick;
	return z;
}

static int32_t zone_offset(const struct zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;
	if (z->ntrans == 0 || t < z->trans[0])
		return z->ntrans == 0 && z->has_rule ? rule_offset(&z->rule, t) : z->offs[0];
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(&z->rule, t);
	while (hi - lo > 1) { /* last transition at or before t */
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->offs[z->idx[lo]];
}

/* ---- time zone specifications ---------------------------------------------- */

struct tzspec {
	int kind;           /* 0 UTC ("Z"), 1 fixed offset, 2 IANA zone */
	int32_t off;
	const struct zone *z;
};

static int two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 1;
}

/* "+hh", "+hhmm", "+hh:mm" (len bytes) as seconds east; -1 on error. */
static int parse_offset(const char *s, size_t len, int32_t *off)
{
	int h, m = 0;
	if (len < 3 || (s[0] != '+' && s[0] != '-') || !two_digits(s + 1, &h))
		return -1;
	if (len == 5 && two_digits(s + 3, &m))
		;
	else if (len == 6 && s[3] == ':' && two_digits(s + 4, &m))
		;
	else if (len != 3)
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

/* Call inside noint (may load a zone). */
static int tz_resolve(const char *tz, struct tzspec *out)
{
	memset(out, 0, sizeof *out);
	if (!tz || !*tz || strcmp(tz, "Z") == 0 || strcmp(tz, "UTC") == 0)
		return 0;
	if (tz[0] == '+' || tz[0] == '-') {
		out->kind = 1;
		return parse_offset(tz, strlen(tz), &out->off);
	}
	if (!zone_name_ok(tz) || !(out->z = zone_get(tz)))
		return -1;
	out->kind = 2;
	return 0;
}

static int32_t tz_offset(const struct tzspec *z, int64_t utc)
{
	return z->kind == 2 ? zone_offset(z->z, utc) : z->off;
}

/* The UTC instant of a local time (see timefmt.h for gaps and overlaps). */
static int64_t tz_to_utc(const struct tzspec *z, int64_t local)
{
	if (z->kind != 2)
		return local - z->off;
	/* Offsets a day either side: no zone changes twice within two days. */
	int32_t before = zone_offset(z->z, local - 86400), after = zone_offset(z->z, local + 86400);
	int ok_before = zone_offset(z->z, local - before) == before;
	int ok_after = zone_offset(z->z, local - after) == after;
	if (ok_before && ok_after) /* both valid: repeated hour, take the earlier */
		return local - (before > after ? before : after);
	if (ok_after)
		return local - after;
	return local - before;     /* valid, or in a gap: moved forward by the gap */
}

/* ---- C API ---------------------------------------------------------------- */

double timefmt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

int timefmt_iso(double t, int frac_digits, const char *tz, char *out, size_t outlen,
		char *err, size_t errlen)
{
	struct tzspec z;
	int64_t y;
	unsigned mo, d;
	if (!isfinite(t) || fabs(t) > 3e11)
		return fail(err, errlen, "time out of range");
	int64_t us = llround(t * 1e6);
	int64_t sec = floordiv(us, 1000000), frac = us - sec * 1000000;
	noint_enter();
	int rc = tz_resolve(tz, &z);
	noint_leave();
	if (rc != 0)
		return fail(err, errlen, "unknown time zone");
	int32_t off = tz_offset(&z, sec);
	off = (int32_t)(off >= 0 ? (off + 30) / 60 : -((-off + 30) / 60)) * 60;
	int64_t local = sec + off, days = floordiv(local, 86400), rem = local - days * 86400;
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		return fail(err, errlen, "time out of range");
	char buf[TIMEFMT_MAX];
	int n = snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", (int)y, mo, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	if (frac_digits == 3)
		n += snprintf(buf + n, sizeof buf - (size_t)n, ".%03d", (int)(frac / 1000));
	else if (frac_digits == 6)
		n += snprintf(buf + n, sizeof buf - (size_t)n, ".%06d", (int)frac);
	if (z.kind == 0)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "Z");
	else
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+',
			      abs(off) / 3600, abs(off) / 60 % 60);
	if ((size_t)n >= outlen)
		return fail(err, errlen, "output buffer too small");
	memcpy(out, buf, (size_t)n + 1);
	return n;
}

int timefmt_offset(const char *tz, long long t, int *off)
{
	struct tzspec z;
	noint_enter();
	int rc = tz_resolve(tz, &z);
	if (rc == 0)
		*off = tz_offset(&z, (int64_t)t);
	noint_leave();
	return rc;
}

char *timefmt_ms(long long ms, char *buf, size_t len)
{
	if (!ms || timefmt_iso((double)ms / 1000.0, 0, NULL, buf, len, NULL, 0) < 0)
		snprintf(buf, len, "-");
	return buf;
}

void timefmt_now_iso(char out[TIMEFMT_MAX])
{
	if (timefmt_iso(timefmt_now(), 3, NULL, out, TIMEFMT_MAX, NULL, 0) < 0)
		snprintf(out, TIMEFMT_MAX, "0000-00-00T00:00:00.000Z");
}

/* Reads exactly n digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *v)
{
	int x = 0;
	if (len - *i < (size_t)n)
		return 0;
	for (int k = 0; k < n; k++) {
		char c = s[*i + (size_t)k];
		if (c < '0' || c > '9')
			return 0;
		x = x * 10 + (c - '0');
	}
	*i += (size_t)n;
	*v = x;
	return 1;
}

static int at(const char *s, size_t len, size_t i, char c)
{
	return i < len && s[i] == c;
}

static int at_digit(const char *s, size_t len, size_t i)
{
	return i < len && s[i] >= '0' && s[i] <= '9';
}

int timefmt_parse(const char *s, size_t len, const char *tz, double *t, char *err,
		  size_t errlen)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, se = 0, has_off = 0;
	int32_t off = 0;
	long ns = 0;

	if (!digits(s, len, &i, 4, &y))
		return fail(err, errlen, "invalid date");
	int ext = at(s, len, i, '-');
	if ((ext && !at(s, len, i++, '-')) || !digits(s, len, &i, 2, &mo) ||
	    (ext && !at(s, len, i++, '-')) || !digits(s, len, &i, 2, &d))
		return fail(err, errlen, "invalid date");
	if (mo < 1 || mo > 12)
		return fail(err, errlen, "month out of range");
	if (d < 1 || (unsigned)d > month_days(y, (unsigned)mo))
		return fail(err, errlen, "day out of range");
	if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		i++;
		int text = 0;
		if (!digits(s, len, &i, 2, &h) || ((text = at(s, len, i, ':')) && !at(s, len, i++, ':')) ||
		    !digits(s, len, &i, 2, &mi))
			return fail(err, errlen, "invalid time");
		if ((text && at(s, len, i, ':')) || (!text && at_digit(s, len, i))) {
			i += text;
			if (!digits(s, len, &i, 2, &se))
				return fail(err, errlen, "invalid time");
			if (at(s, len, i, '.') || at(s, len, i, ',')) {
				int nd = 0;
				if (!at_digit(s, len, ++i))
					return fail(err, errlen, "invalid fraction");
				for (; at_digit(s, len, i); i++, nd++)
					if (nd < 9)
						ns = ns * 10 + (s[i] - '0');
				for (; nd < 9; nd++)
					ns *= 10;
			}
		}
		if (h > 23)
			return fail(err, errlen, "hour out of range");
		if (mi > 59)
			return fail(err, errlen, "minute out of range");
		if (se > 60)
			return fail(err, errlen, "second out of range");
		if (at(s, len, i, 'Z') || at(s, len, i, 'z')) {
			i++;
			has_off = 1;
		} else if (at(s, len, i, '+') || at(s, len, i, '-')) {
			size_t n = 3;
			if (at(s, len, i + 3, ':'))
				n = 6;
			else if (at_digit(s, len, i + 3))
				n = 5;
			if (n > len - i || parse_offset(s + i, n, &off) != 0)
				return fail(err, errlen, "invalid offset");
			i += n;
			has_off = 1;
		}
	}
	if (i != len)
		return fail(err, errlen, "unexpected text after the time");
	int64_t local = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	int64_t utc;
	if (has_off) {
		utc = local - off;
	} else {
		struct tzspec z;
		noint_enter();
		int rc = tz_resolve(tz, &z);
		noint_leave();
		if (rc != 0)
			return fail(err, errlen, "unknown time zone");
		utc = tz_to_utc(&z, local);
	}
	*t = (double)utc + (double)ns / 1e9;
	return 0;
}
