/* json.c - see json.h. A recursive-descent reader that hands events to its
 * consumer (the tree below, the Lua builder in prim_json.c) and keeps nothing in
 * the heap; one string escaper for every writer. */
#include "json.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: every integer up to it is exact */

/* ---- UTF-8 ------------------------------------------------------------- */

size_t json_utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned c = p[0], lo = 0x80, hi = 0xBF;
	size_t n;
	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		n = 2;
	} else if (c < 0xF0) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c < 0xF5) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

static size_t utf8_put(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- the "C" locale for numbers, whatever setlocale() did ----------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

void json_locale_init(void)
{
	pthread_once(&c_locale_once, c_locale_init);
}

/* ---- writing ----------------------------------------------------------- */

/* Bytes a string holds as they are, in JSON text read or written: printable
 * ASCII but '"' and '\\' (one test per byte). */
static const unsigned char plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7F] = 1,
};

size_t json_str_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (plain[p[i]]) {
			i++;
		} else if (p[i] >= 0x80) {
			size_t k = json_utf8_seq(p + i, n - i);
			if (!k)
				break;
			i += k;
		} else {
			break;
		}
	}
	return i;
}

int json_write_str(const char *s, size_t n, enum json_esc_mode mode, json_put_fn put,
		   void *ctx, size_t *bad)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	if (put(ctx, "\"", 1))
		return -1;
	while (i < n) {
		unsigned c = p[i];
		if (plain[c]) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = json_utf8_seq(p + i, n - i);
			if (k) {
				i += k;
				continue;
			}
			if (mode == JSON_ESC_STRICT) {
				if (bad)
					*bad = i;
				return -2;
			}
			if ((i > run && put(ctx, s + run, i - run)) || put(ctx, "\xEF\xBF\xBD", 3))
				return -1;
			run = ++i;
			continue;
		}
		if (i > run && put(ctx, s + run, i - run))
			return -1;
		char esc[6] = { '\\', 0 };
		size_t en = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 15];
			en = 6;
			break;
		}
		if (put(ctx, esc, en))
			return -1;
		run = ++i;
	}
	if (n > run && put(ctx, s + run, n - run))
		return -1;
	return put(ctx, "\"", 1) ? -1 : 0;
}

/* Writes v in decimal; with `point` > 0, a '.' before the last `point` digits
 * (at least one digit before it). Returns the length; out holds a NUL after. */
static size_t fmt_int(char *out, long long v, int point)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	int k = 0;
	do {
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u || k <= point);
	size_t n = 0;
	if (v < 0)
		out[n++] = '-';
	while (k > 0) {
		if (k == point)
			out[n++] = '.';
		out[n++] = tmp[--k];
	}
	out[n] = 0;
	return n;
}

/* A fraction with at most 15 significant digits and no exponent in %g form
 * (1e-4 <= |d| < 1e15) is m / 10^k for the smallest k with m whole: written
 * from m, it is exactly the text %.15g gives (d is within an ulp of m / 10^k,
 * far inside %.15g's rounding), and it reads back as d (m and 10^k are exact,
 * so m / 10^k is the correctly rounded double of the decimal, as strtod's is).
 * Returns 0 when d is not such a number: the caller falls back to printf. */
static size_t fmt_decimal(char *out, double d)
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
					1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	double a = fabs(d);
	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (int k = 1; k <= 15; k++) {
		double m = d * pow10[k];
		if (fabs(m) >= 1e15)
			return 0;
		if (m == floor(m) && m / pow10[k] == d) {
			/* d * 10^k can round to a whole m at a k past the smallest one
			 * (0.00015 * 1e5 is 15.000000000000002, * 1e6 is 150): the
			 * same decimal without its trailing zeros. */
			long long v = (long long)m;
			while (k > 0 && v % 10 == 0) {
				v /= 10;
				k--;
			}
			return fmt_int(out, v, k);
		}
	}
	return 0;
}

size_t json_fmt_number(char out[32], double d)
{
	int n;
	if (!isfinite(d))
		return 0;
	if (d == floor(d) && fabs(d) <= MAX_SAFE_INT) {
		n = (int)fmt_int(out, (long long)d, 0);
	} else if ((n = (int)fmt_decimal(out, d)) > 0) {
		/* done: the same text as %.15g below, without printf */
	} else {
		/* The shortest of %.15g..%.17g that reads back as the same double. */
		pthread_once(&c_locale_once, c_locale_init);
		locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
		for (int prec = 15;; prec++) {
			n = snprintf(out, 32, "%.*g", prec, d);
			if (prec == 17 || strtod(out, NULL) == d)
				break;
		}
		if (old)
			uselocale(old);
	}
	return (size_t)n;
}

void json_buf_free(struct json_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int json_buf_put(void *ctx, const char *s, size_t n)
{
	struct json_buf *b = ctx;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len <= n) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		char *p = realloc(b->data, cap);
		if (!p)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* An open container, linked from the innermost out: what error paths name. */
struct json_frame {
	const struct json_frame *up;
	enum json_type type;
	size_t index;                  /* the current member */
	const unsigned char *key;      /* objects: its name as written (escapes kept) */
	size_t keylen;
};

static void path_prepend(char *path, size_t cap, size_t *len, int *cut, const char *seg, size_t n)
{
	size_t keep = *len;
	if (n > cap - 1)
		n = cap - 1;
	if (keep + n > cap - 1) {
		keep = cap - 1 - n;
		*cut = 1;
	}
	memmove(path + n, path, keep);
	memcpy(path, seg, n);
	*len = n + keep;
	path[*len] = 0;
}

size_t json_shown(char *out, const char *s, size_t len, size_t max)
{
	size_t n = 0, i;
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		out[n++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
	}
	if (i < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = 0;
	return n;
}

size_t json_path_key(char out[64], const char *k, size_t len)
{
	size_t n = 0;
	int ident = len > 0 && len <= 40;
	for (size_t i = 0; ident && i < len; i++) {
		unsigned char c = (unsigned char)k[i];
		ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			(i > 0 && c >= '0' && c <= '9');
	}
	if (ident) {
		out[n++] = '.';
		memcpy(out + n, k, len);
		n += len;
		out[n] = 0;
		return n;
	}
	out[n++] = '[';
	out[n++] = '"';
	n += json_shown(out + n, k, len, 32);
	out[n++] = '"';
	out[n++] = ']';
	out[n] = 0;
	return n;
}

/* "$.alert.tags[2]": the innermost frame's current member too when `member`. */
static void reader_path(const struct json_reader *r, int member, char *out, size_t cap)
{
	char path[160] = "";
	size_t len = 0;
	int cut = 0;
	for (const struct json_frame *f = r->top; f; f = f->up) {
		char seg[64];
		size_t n = 0;
		if (f == r->top && !member)
			continue;
		if (f->type == JSON_ARRAY) {
			n = (size_t)snprintf(seg, sizeof seg, "[%zu]", f->index);
		} else {
			n = json_path_key(seg, (const char *)f->key, f->keylen);
		}
		path_prepend(path, sizeof path, &len, &cut, seg, n);
	}
	snprintf(out, cap, "$%s%s", cut ? "..." : "", path);
}

/* Messages are "<reason> at offset N"; "expected ..." ones say what was found. */
__attribute__((format(printf, 3, 4)))
static int fail_at(struct json_reader *r, const unsigned char *at, const char *fmt, ...)
{
	char reason[200], found[32] = "";
	va_list ap;
	if (r->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (strncmp(reason, "expected", 8) == 0) {
		if (at >= r->end)
			snprintf(found, sizeof found, ", found end of input");
		else if (*at >= 0x20 && *at < 0x7f)
			snprintf(found, sizeof found, ", found '%c'", *at);
		else
			snprintf(found, sizeof found, ", found byte 0x%02x", *at);
	}
	snprintf(r->msg, sizeof r->msg, "%s%s at offset %zu", reason, found, (size_t)(at - r->s));
	r->failed = 1;
	return -1;
}

int json_reader_fail(struct json_reader *r, const char *fmt, ...)
{
	char reason[200];
	va_list ap;
	if (r->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return fail_at(r, r->at ? r->at : r->p, "%s", reason);
}

static int dup_key_at(struct json_reader *r, const unsigned char *at, int member,
		      const char *key, size_t len)
{
	char path[200], shown[80];
	json_shown(shown, key, len, 60);
	reader_path(r, member, path, sizeof path);
	return fail_at(r, at, "duplicate key \"%s\" in %s (keys must be unique)", shown, path);
}

int json_reader_dup_key(struct json_reader *r, const char *key, size_t len)
{
	return dup_key_at(r, r->at ? r->at : r->p, 0, key, len);
}

const char *json_reader_error(const struct json_reader *r)
{
	return r->failed ? r->msg : "";
}

static int emit(struct json_reader *r, const struct json_event *e, const unsigned char *at)
{
	r->at = at;
	int rc = r->fn(r, e);
	r->at = NULL;
	if (rc && !r->failed)
		fail_at(r, at, "refused by the reader's consumer");
	return rc ? -1 : 0;
}

static void skip_ws(struct json_reader *r)
{
	const unsigned char *p = r->p, *end = r->end;
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	r->p = p;
}

static void ev_init(const struct json_reader *r, struct json_event *e, enum json_ev ev,
		    enum json_type type, int depth)
{
	const struct json_frame *f = r->top;
	e->ev = ev;
	e->type = type;
	e->parent = f ? f->type : JSON_NULL;
	e->index = f ? f->index : 0;
	e->depth = depth;
	e->s = NULL;
	e->n = 0;
	e->more = 0;
	e->num = 0;
	e->kind = JSON_NUM_INT;
	e->count = 0;
	e->raw = NULL;
	e->rawlen = 0;
}

static long hex4(const struct json_reader *r, const unsigned char *p)
{
	long v = 0;
	if (r->end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/* Appends decoded bytes to sbuf, handing full buffers to the consumer as parts. */
static int sput(struct json_reader *r, struct json_event *e, size_t *sn, const void *src,
		size_t n, const unsigned char *open)
{
	const char *s = src;
	while (n > 0) {
		size_t room = sizeof r->sbuf - *sn;
		if (room == 0) {
			e->s = r->sbuf;
			e->n = *sn;
			e->more = 1;
			if (emit(r, e, open))
				return -1;
			*sn = 0;
			room = sizeof r->sbuf;
		}
		size_t k = n < room ? n : room;
		memcpy(r->sbuf + *sn, s, k);
		*sn += k;
		s += k;
		n -= k;
	}
	return 0;
}

/* r->p at the opening quote; emits the string (key or value) in e. Sets
 * *raw_end past the closing quote. */
static int read_string(struct json_reader *r, struct json_event *e)
{
	const unsigned char *open = r->p, *p = open + 1, *run = p, *end = r->end;
	size_t sn = 0;
	int escaped = 0;

	for (;;) {
		while (end - p >= 4 && plain[p[0]] && plain[p[1]] && plain[p[2]] && plain[p[3]])
			p += 4;
		while (p < end && plain[*p])
			p++;
		if (p >= end)
			return fail_at(r, open, "unterminated string");
		unsigned c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail_at(r, p, "control character in string (must be escaped)");
		if (c >= 0x80) {
			size_t n = json_utf8_seq(p, (size_t)(end - p));
			if (!n)
				return fail_at(r, p, "invalid UTF-8");
			p += n;
			continue;
		}
		/* a backslash */
		escaped = 1;
		if (sput(r, e, &sn, run, (size_t)(p - run), open))
			return -1;
		const unsigned char *esc = p++;
		if (p >= end)
			return fail_at(r, open, "unterminated string");
		char u[4];
		size_t un = 1;
		long cp;
		switch (*p++) {
		case '"': u[0] = '"'; break;
		case '\\': u[0] = '\\'; break;
		case '/': u[0] = '/'; break;
		case 'b': u[0] = '\b'; break;
		case 'f': u[0] = '\f'; break;
		case 'n': u[0] = '\n'; break;
		case 'r': u[0] = '\r'; break;
		case 't': u[0] = '\t'; break;
		case 'u':
			cp = hex4(r, p);
			if (cp < 0)
				return fail_at(r, esc, "invalid \\u escape");
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				long lo = (end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? hex4(r, p + 2) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail_at(r, esc, "unpaired surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return fail_at(r, esc, "unpaired surrogate in \\u escape");
			}
			un = utf8_put(u, (unsigned long)cp);
			break;
		default:
			return fail_at(r, esc, "invalid escape");
		}
		if (sput(r, e, &sn, u, un, open))
			return -1;
		run = p;
	}
	if (!escaped) {
		e->s = (const char *)run;
		e->n = (size_t)(p - run);
	} else {
		if (sput(r, e, &sn, run, (size_t)(p - run), open))
			return -1;
		e->s = r->sbuf;
		e->n = sn;
	}
	e->more = 0;
	e->raw = (const char *)open;
	e->rawlen = (size_t)(p + 1 - open);
	r->p = p + 1;
	return emit(r, e, open);
}

static int is_digit(const struct json_reader *r, const unsigned char *p)
{
	return p < r->end && *p >= '0' && *p <= '9';
}

static double read_double(struct json_reader *r, const unsigned char *s, size_t n)
{
	char tmp[64];
	double v;
	if (r->noint_enter)
		r->noint_enter(); /* newlocale, and glibc's strtod on long literals, malloc */
	pthread_once(&c_locale_once, c_locale_init);
	char *text = n < sizeof tmp ? tmp : malloc(n + 1);
	if (!text) {
		v = HUGE_VAL; /* refused below as out of range: never a wrong value */
	} else {
		memcpy(text, s, n);
		text[n] = 0;
		v = c_locale ? strtod_l(text, NULL, c_locale) : strtod(text, NULL);
		if (text != tmp)
			free(text);
	}
	if (r->noint_leave)
		r->noint_leave();
	return v;
}

static int read_number(struct json_reader *r, int depth)
{
	const unsigned char *start = r->p, *p = r->p;
	int neg = 0, isint = 1;
	size_t ndig = 0;
	long sig = 0;        /* integer digits after leading zeros */
	long exp10 = 0;      /* the exponent, saturated */
	int eneg = 0;
	struct json_event e;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p < r->end && *p == '0') {
		p++;
		ndig = 1;
		if (is_digit(r, p))
			return fail_at(r, start, "invalid number (leading zero)");
	} else if (is_digit(r, p)) {
		while (is_digit(r, p)) {
			p++;
			ndig++;
		}
		sig = (long)ndig;
	} else {
		return fail_at(r, start, "invalid number");
	}
	if (p < r->end && *p == '.') {
		isint = 0;
		if (!is_digit(r, ++p))
			return fail_at(r, start, "invalid number");
		while (is_digit(r, p))
			p++;
	}
	if (p < r->end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < r->end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (!is_digit(r, p))
			return fail_at(r, start, "invalid number");
		while (is_digit(r, p)) {
			if (exp10 < 1000000)
				exp10 = exp10 * 10 + (*p - '0');
			p++;
		}
	}
	ev_init(r, &e, JSON_EV_VALUE, JSON_NUMBER, depth);
	e.s = e.raw = (const char *)start;
	e.n = e.rawlen = (size_t)(p - start);
	e.kind = isint ? JSON_NUM_INT : JSON_NUM_REAL;
	if (isint && ndig <= 18) { /* fits int64: exact */
		int64_t v = 0;
		for (const unsigned char *q = start + neg; q < p; q++)
			v = v * 10 + (*q - '0');
		if (v <= ((int64_t)1 << 53))
			e.num = neg ? -(double)v : (double)v;
		else
			e.kind = JSON_NUM_BIGINT;
	} else if (isint) {
		e.kind = JSON_NUM_BIGINT;
	}
	if (e.kind != JSON_NUM_INT) {
		/* |value| < 10^(sig + exponent): below 10^308 it is finite for sure. */
		long mag = sig + (eneg ? -exp10 : exp10);
		if (!r->range_only || mag > 308) {
			double v = read_double(r, start, e.n);
			if (!isfinite(v)) {
				char path[200];
				reader_path(r, 1, path, sizeof path);
				return fail_at(r, start,
					       "number out of range (not finite as a double) in %s", path);
			}
			e.num = r->range_only ? 0 : v;
		}
	}
	r->p = p;
	return emit(r, &e, start);
}

static int read_literal(struct json_reader *r, const char *word, enum json_type t, int depth)
{
	size_t n = strlen(word);
	const unsigned char *start = r->p;
	struct json_event e;
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return fail_at(r, r->p, "expected a value");
	r->p += n;
	ev_init(r, &e, JSON_EV_VALUE, t, depth);
	e.raw = (const char *)start;
	e.rawlen = n;
	return emit(r, &e, start);
}

static int read_value(struct json_reader *r, int depth);

static int read_container(struct json_reader *r, int depth, enum json_type type)
{
	const unsigned char *open = r->p;
	char close = type == JSON_OBJECT ? '}' : ']';
	struct json_event e;
	struct json_frame f = { r->top, type, 0, NULL, 0 };

	if (depth + 1 > r->max_depth)
		return fail_at(r, open, "nesting deeper than %d", r->max_depth);
	ev_init(r, &e, JSON_EV_BEGIN, type, depth);
	e.raw = (const char *)open;
	e.rawlen = 1;
	if (emit(r, &e, open))
		return -1;
	r->p++;
	r->top = &f;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
	} else {
		for (;;) {
			if (type == JSON_OBJECT) {
				skip_ws(r);
				if (r->p >= r->end || *r->p != '"')
					return fail_at(r, r->p, "expected a string key");
				f.key = r->p + 1;
				ev_init(r, &e, JSON_EV_KEY, JSON_STRING, depth + 1);
				if (read_string(r, &e))
					return -1;
				f.keylen = (size_t)(r->p - 1 - f.key);
				skip_ws(r);
				if (r->p >= r->end || *r->p != ':')
					return fail_at(r, r->p, "expected ':'");
				r->p++;
			}
			if (read_value(r, depth + 1))
				return -1;
			f.index++;
			skip_ws(r);
			if (r->p < r->end && *r->p == ',') {
				r->p++;
			} else if (r->p < r->end && *r->p == close) {
				r->p++;
				break;
			} else {
				return fail_at(r, r->p, type == JSON_OBJECT ? "expected ',' or '}'"
									 : "expected ',' or ']'");
			}
		}
	}
	r->top = f.up;
	ev_init(r, &e, JSON_EV_END, type, depth);
	e.count = f.index;
	e.raw = (const char *)open;
	e.rawlen = (size_t)(r->p - open);
	return emit(r, &e, open);
}

static int read_value(struct json_reader *r, int depth)
{
	struct json_event e;
	skip_ws(r);
	if (r->p >= r->end)
		return fail_at(r, r->p, "expected a value");
	switch (*r->p) {
	case '{':
		return read_container(r, depth, JSON_OBJECT);
	case '[':
		return read_container(r, depth, JSON_ARRAY);
	case '"':
		ev_init(r, &e, JSON_EV_VALUE, JSON_STRING, depth);
		return read_string(r, &e);
	case 't':
		return read_literal(r, "true", JSON_TRUE, depth);
	case 'f':
		return read_literal(r, "false", JSON_FALSE, depth);
	case 'n':
		return read_literal(r, "null", JSON_NULL, depth);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return read_number(r, depth);
	default:
		return fail_at(r, r->p, "expected a value");
	}
}

int json_read(struct json_reader *r, const char *s, size_t len, const struct json_read_opts *o,
	      json_event_fn fn, void *ctx)
{
	r->ctx = ctx;
	r->s = r->p = (const unsigned char *)s;
	r->end = r->s + len;
	r->fn = fn;
	r->max_depth = o && o->max_depth > 0 ? o->max_depth : JSON_DEFAULT_MAX_DEPTH;
	if (r->max_depth > JSON_MAX_DEPTH_LIMIT)
		r->max_depth = JSON_MAX_DEPTH_LIMIT;
	r->range_only = o ? o->range_only : 0;
	r->noint_enter = o ? o->noint_enter : NULL;
	r->noint_leave = o ? o->noint_leave : NULL;
	r->top = NULL;
	r->at = NULL;
	r->failed = 0;
	r->msg[0] = 0;
	if (read_value(r, 0))
		return -1;
	skip_ws(r);
	if (r->p < r->end)
		return fail_at(r, r->p, "unexpected data after the value");
	return 0;
}

/* ---- the tree ---------------------------------------------------------- */

#define NONE ((size_t)-1)
/* Objects up to this many members are checked for duplicate names as each name
 * arrives (a 64-bit filter of name hashes, then the siblings with that hash);
 * larger ones once more at their end, sorted (O(n log n) against hostile input). */
#define DUP_INCREMENTAL 64

struct tree {
	struct json_doc *d;
	int cur;            /* the open container's node, -1 at the top */
	int str;            /* the string node being read in parts, -1 none */
	size_t key;         /* offset of the pending member name, NONE */
	size_t key_at;      /* its offset in the input */
	uint32_t kh;        /* its hash */
};

static int tree_oom(struct json_reader *r)
{
	return json_reader_fail(r, "out of memory");
}

__attribute__((noinline))
static int tree_grow(struct json_reader *r, size_t n)
{
	struct json_doc *d = ((struct tree *)r->ctx)->d;
	size_t cap = d->scap ? d->scap * 2 : 256;
	while (cap < d->slen + n + 1)
		cap *= 2;
	char *s = realloc(d->strs, cap);
	if (!s)
		return tree_oom(r);
	d->strs = s;
	d->scap = cap;
	return 0;
}

/* Appends n bytes, and a NUL after them when `nul`. */
static inline int tree_put(struct json_reader *r, struct json_doc *d, const void *p, size_t n,
			   int nul)
{
	if (d->slen + n + 1 > d->scap && tree_grow(r, n))
		return -1;
	memcpy(d->strs + d->slen, p, n);
	d->slen += n;
	if (nul)
		d->strs[d->slen++] = 0;
	return 0;
}

/* A new node, linked under the open container. While parsing, a container
 * keeps its parent's index in soff_ and its last child's in len. */
static int tree_node(struct json_reader *r, const struct json_event *e)
{
	struct tree *t = r->ctx;
	struct json_doc *d = t->d;
	if (d->nn == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		struct json_node *n = realloc(d->n, (size_t)cap * sizeof *n);
		if (!n)
			return tree_oom(r);
		d->n = n;
		d->cap = cap;
	}
	int i = d->nn++;
	struct json_node *n = &d->n[i];
	/* Every field set one by one: a zeroing compound literal compiles to
	 * `rep stos`, measured at a tenth of the tree's time. */
	n->type = e->type;
	n->key = n->str = NULL;
	n->len = 0;
	n->raw = e->raw;
	n->rawlen = e->rawlen;
	n->child = n->next = -1;
	n->count = 0;
	n->soff_ = n->koff_ = NONE;
	n->kat_ = 0;
	n->kh_ = 0;
	n->bloom_ = 0;
	if (t->cur >= 0) {
		struct json_node *c = &d->n[t->cur];
		if (c->child < 0)
			c->child = i;
		else
			d->n[(int)c->len].next = i;
		c->len = (size_t)i;
		c->count++;
		n->koff_ = t->key;
		n->kat_ = t->key_at;
		n->kh_ = t->kh;
		t->key = NONE;
	}
	return i;
}

/* A member name is complete: refuse it if the open object already has it. */
static int tree_key_seen(struct json_reader *r)
{
	struct tree *t = r->ctx;
	struct json_doc *d = t->d;
	struct json_node *o = &d->n[t->cur];
	const char *k = d->strs + t->key;  /* NUL-terminated already */
	size_t n = d->slen - 1 - t->key;
	t->kh = json_name_hash(k, n);
	uint64_t bit = (uint64_t)1 << (t->kh & 63);
	if (o->count >= DUP_INCREMENTAL)
		return 0; /* checked at the end */
	if (o->bloom_ & bit)
		for (int i = o->child; i >= 0; i = d->n[i].next)
			if (d->n[i].kh_ == t->kh && strcmp(d->strs + d->n[i].koff_, k) == 0)
				return json_reader_dup_key(r, k, n);
	o->bloom_ |= bit;
	return 0;
}

static int tree_sort_cmp(const void *a, const void *b, void *strs)
{
	const struct json_node *const *x = a, *const *y = b;
	if ((*x)->kh_ != (*y)->kh_)
		return (*x)->kh_ < (*y)->kh_ ? -1 : 1;
	int c = strcmp((const char *)strs + (*x)->koff_, (const char *)strs + (*y)->koff_);
	if (c)
		return c;
	return *x < *y ? -1 : *x > *y; /* document order among equal names */
}

/* At the end of a large object: a name seen twice, the later copy named. */
static int tree_dups_sorted(struct json_reader *r, int obj)
{
	struct json_doc *d = ((struct tree *)r->ctx)->d;
	const struct json_node *o = &d->n[obj], *dup = NULL;
	const struct json_node **v = malloc((size_t)o->count * sizeof *v);
	int k = 0;
	if (!v)
		return tree_oom(r);
	for (int i = o->child; i >= 0; i = d->n[i].next)
		v[k++] = &d->n[i];
	qsort_r(v, (size_t)k, sizeof *v, tree_sort_cmp, d->strs);
	for (int i = 1; i < k; i++)
		if (v[i - 1]->kh_ == v[i]->kh_ && strcmp(d->strs + v[i - 1]->koff_, d->strs + v[i]->koff_) == 0 &&
		    (!dup || v[i] < dup))
			dup = v[i];
	free(v);
	if (!dup)
		return 0;
	const char *name = d->strs + dup->koff_;
	return dup_key_at(r, r->s + dup->kat_, 1, name, strlen(name));
}

/* Only a \\u0000 escape makes a NUL, and escaped strings arrive from sbuf. */
static int has_nul(const struct json_reader *r, const struct json_event *e)
{
	return e->s == r->sbuf && memchr(e->s, 0, e->n) != NULL;
}

static int tree_event(struct json_reader *r, const struct json_event *e)
{
	struct tree *t = r->ctx;
	struct json_doc *d = t->d;
	int i;
	switch (e->ev) {
	case JSON_EV_KEY:
		if (t->key == NONE) {
			t->key = d->slen;
			t->key_at = (size_t)(r->at - r->s);
		}
		if (has_nul(r, e))
			return json_reader_fail(r, "NUL (\\u0000) in a member name");
		if (tree_put(r, d, e->s, e->n, !e->more))
			return -1;
		return e->more ? 0 : tree_key_seen(r);
	case JSON_EV_BEGIN:
		i = tree_node(r, e);
		if (i < 0)
			return -1;
		d->n[i].soff_ = (size_t)t->cur; /* the parent, restored at END */
		t->cur = i;
		return 0;
	case JSON_EV_END: {
		struct json_node *n = &d->n[t->cur];
		i = t->cur;
		t->cur = (int)(ssize_t)n->soff_;
		n->soff_ = NONE;
		n->len = 0;
		n->raw = e->raw;
		n->rawlen = e->rawlen;
		if (e->type == JSON_OBJECT && n->count > DUP_INCREMENTAL)
			return tree_dups_sorted(r, i);
		return 0;
	}
	case JSON_EV_VALUE:
		break;
	}
	if (e->type != JSON_NUMBER && e->type != JSON_STRING)
		return tree_node(r, e) < 0 ? -1 : 0;
	i = t->str;
	if (i < 0) {
		i = tree_node(r, e);
		if (i < 0)
			return -1;
		d->n[i].soff_ = d->slen;
	}
	if (has_nul(r, e))
		return json_reader_fail(r, "NUL (\\u0000) in a string");
	if (tree_put(r, d, e->s, e->n, !e->more))
		return -1;
	if (e->more) {
		t->str = i;
		return 0;
	}
	t->str = -1;
	struct json_node *n = &d->n[i];
	n->raw = e->raw;
	n->rawlen = e->rawlen;
	n->len = d->slen - 1 - n->soff_;
	return 0;
}

int json_parse(struct json_doc *d, const char *text, size_t len, int max_depth,
	       char *err, size_t errlen)
{
	struct json_reader r;
	struct json_read_opts o = { .max_depth = max_depth > 0 ? max_depth : JSON_TREE_MAX_DEPTH,
				    .range_only = 1 };
	struct tree t = { d, -1, -1, NONE, 0, 0 };
	memset(d, 0, sizeof *d);
	/* Decoded strings, each with its NUL, never need more than the text (a
	 * string's quotes or a number's separator make room for the NUL): one
	 * allocation. Nodes: one per 16 bytes to start with, grown by doubling. */
	d->scap = len + 2;
	d->strs = malloc(d->scap);
	d->cap = len / 16 > 16 ? (int)(len / 16 < 65536 ? len / 16 : 65536) : 16;
	d->n = malloc((size_t)d->cap * sizeof *d->n);
	if (!d->strs || !d->n) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		json_doc_free(d);
		return -1;
	}
	if (json_read(&r, text, len, &o, tree_event, &t) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", r.msg);
		json_doc_free(d);
		return -1;
	}
	for (int i = 0; i < d->nn; i++) {
		struct json_node *n = &d->n[i];
		if (n->soff_ != NONE)
			n->str = d->strs + n->soff_;
		if (n->koff_ != NONE)
			n->key = d->strs + n->koff_;
	}
	return 0;
}

void json_doc_free(struct json_doc *d)
{
	free(d->n);
	free(d->strs);
	memset(d, 0, sizeof *d);
}

const struct json_node *json_get(const struct json_doc *d, const struct json_node *obj,
				 const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (int k = obj->child; k >= 0; k = d->n[k].next)
		if (d->n[k].key && strcmp(d->n[k].key, key) == 0)
			return &d->n[k];
	return NULL;
}

const struct json_node *json_at(const struct json_doc *d, const struct json_node *arr, int k)
{
	if (!arr || (arr->type != JSON_ARRAY && arr->type != JSON_OBJECT) || k < 0)
		return NULL;
	int i = arr->child;
	while (i >= 0 && k-- > 0)
		i = d->n[i].next;
	return i >= 0 ? &d->n[i] : NULL;
}

int json_number(const struct json_node *v, double *out)
{
	if (!v || v->type != JSON_NUMBER)
		return -1;
	pthread_once(&c_locale_once, c_locale_init);
	*out = c_locale ? strtod_l(v->str, NULL, c_locale) : strtod(v->str, NULL);
	return 0;
}

const char *json_text(const struct json_node *v)
{
	if (!v)
		return NULL;
	switch (v->type) {
	case JSON_STRING: case JSON_NUMBER: return v->str;
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	default: return NULL;
	}
}

int json_check(const char *s, size_t len, int want_object, char *err, size_t errlen)
{
	struct json_doc d;
	char why[240];
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (want_object && (i >= len || s[i] != '{')) {
		snprintf(err, errlen, "must be a JSON object ({...})");
		return -1;
	}
	if (json_parse(&d, s, len, 64, why, sizeof why) != 0) {
		snprintf(err, errlen, "is not valid JSON: %s", why);
		return -1;
	}
	json_doc_free(&d);
	return 0;
}
