/* prim_json.c - the `json` namespace and the core's JSON codec (json.h).
 *
 * Why this file parses JSON itself although the design names lua-cjson: Debian's
 * lua-cjson 2.1.0, even with decode_invalid_numbers(false), accepts "1.", "-.5",
 * raw control characters and invalid UTF-8 in strings, turns 1e400 into inf,
 * rounds integers beyond 2^53, and encodes with 14 significant digits
 * (1234567890123456 becomes 1.2345678901235e+15; checked on this machine). Its
 * decoder also mallocs a scratch buffer that leaks when the Lua allocator raises
 * (a run at its memory cap), and its settings live in an instance that any code
 * holding the config functions can change. The strict pre-pass it would need is
 * already a parser, so: decoding builds Lua values directly and keeps nothing in
 * the C heap (a hard stop or an out-of-memory error leaks nothing). Encoding
 * writes to a malloc'd buffer bounded by max_bytes, inside a protected call so
 * that Lua errors cannot skip its free; it stays interruptible by the watchdog's
 * hard stop: each realloc is non-interruptible and records the block in a
 * thread-local, and the next encode on the thread frees a block left there by an
 * encode that never returned.
 *
 * Arrays: a weak-keyed table in the registry marks the tables that encode as
 * arrays even when empty (json.array(t), and every array json.decode makes, so
 * `[]` round-trips). Sandboxed code cannot reach it, and user metatables stay free.
 */
#include "prim_json.h"
#include "prim.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: every integer up to it is exact */

static char null_sentinel; /* its address is json.null */
/* The buffer of the encode running on this thread; non-NULL at the start of an
 * encode only if the previous one was abandoned by the hard stop. */
static _Thread_local char *t_enc_buf;
static char marker_key;    /* registry key of the array marker table */

/* Numbers are read and written in the "C" locale whatever setlocale() did. */
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static void c_locale_ready(void)
{
	prim_noint_enter(); /* newlocale mallocs */
	pthread_once(&c_locale_once, c_locale_init);
	prim_noint_leave();
}

static double strtod_c(const char *s)
{
	prim_noint_enter(); /* glibc's strtod may malloc for long literals */
	double d = c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
	prim_noint_leave();
	return d;
}

/* Pushes the array marker table, making it on first use. */
static void marker_push(lua_State *L)
{
	lua_pushlightuserdata(L, &marker_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (lua_istable(L, -1))
		return;
	lua_pop(L, 1);
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");           /* stack: marker, {__mode="k"} */
	lua_setmetatable(L, -2);
	lua_pushlightuserdata(L, &marker_key);
	lua_pushvalue(L, -2);
	lua_rawset(L, LUA_REGISTRYINDEX);        /* stack: marker */
}

void json_push_null(lua_State *L)
{
	lua_pushlightuserdata(L, &null_sentinel);
}

int json_is_null(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == &null_sentinel;
}

void json_buf_free(struct json_buf *b)
{
	prim_noint_enter();   /* libc's heap, maybe on a run's thread */
	free(b->data);
	prim_noint_leave();
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- encoding ---------------------------------------------------------- */

struct enc {
	lua_State *L;
	struct json_buf *out;
	int pretty, sort_keys, max_depth, push;
	size_t max_bytes;
	int marker;        /* stack index of the marker table */
	int charge;        /* count the buffer against the run's memory cap */
	int failed;
	char msg[200];
	char path[200];    /* built outermost-first as the failure unwinds */
	size_t pathlen;
	int path_cut;      /* innermost segments were dropped */
};

__attribute__((format(printf, 2, 3)))
static int enc_fail(struct enc *e, const char *fmt, ...)
{
	if (!e->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->failed = 1;
	}
	return -1;
}

/* Called by each level on the way out of a failure, innermost first. */
static void path_prepend(struct enc *e, const char *seg, size_t n)
{
	size_t cap = sizeof e->path - 1, keep = e->pathlen;
	if (n > cap)
		n = cap;
	if (keep + n > cap) {
		keep = cap - n;
		e->path_cut = 1;
	}
	memmove(e->path + n, e->path, keep);
	memcpy(e->path, seg, n);
	e->pathlen = n + keep;
	e->path[e->pathlen] = 0;
}

static void path_index(struct enc *e, size_t i)
{
	char s[32];
	int n = snprintf(s, sizeof s, "[%zu]", i);
	path_prepend(e, s, (size_t)n);
}

static int ident_char(unsigned char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static void path_key(struct enc *e, const char *k, size_t len)
{
	char s[64];
	size_t n = 0, i;
	int ident = len > 0 && len <= 40;
	for (i = 0; ident && i < len; i++)
		ident = ident_char((unsigned char)k[i], i == 0);
	if (ident) {
		s[n++] = '.';
		memcpy(s + n, k, len);
		n += len;
	} else {
		s[n++] = '[';
		s[n++] = '"';
		for (i = 0; i < len && i < 32; i++) {
			unsigned char c = (unsigned char)k[i];
			s[n++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
		}
		if (i < len) {
			memcpy(s + n, "...", 3);
			n += 3;
		}
		s[n++] = '"';
		s[n++] = ']';
	}
	path_prepend(e, s, n);
}

static void enc_message(const struct enc *e, char *buf, size_t n)
{
	snprintf(buf, n, "%s at $%s%s", e->msg, e->path, e->path_cut ? "..." : "");
}

static int put(struct enc *e, const char *s, size_t n)
{
	struct json_buf *b = e->out;
	if (n > e->max_bytes || b->len > e->max_bytes - n)
		return enc_fail(e, "output larger than %zu bytes", e->max_bytes);
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len <= n)
			cap *= 2;
		/* json.encode's buffer is the run's memory: it counts against the cap
		 * (a 28 MiB string used to take 60 MiB beside a 64 MiB cap). */
		if (e->charge && sandbox_charge(cap - b->cap) != 0)
			return enc_fail(e, "out of memory (the run's memory limit)");
		prim_noint_enter();
		char *p = realloc(b->data, cap);
		if (p)
			b->data = t_enc_buf = p;
		prim_noint_leave();
		if (!p) {
			if (e->charge)
				sandbox_uncharge(cap - b->cap);
			return enc_fail(e, "out of memory");
		}
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

static int newline(struct enc *e, int depth)
{
	static const char spaces[] = "                                ";
	if (!e->pretty)
		return 0;
	if (put(e, "\n", 1))
		return -1;
	for (size_t n = (size_t)depth * 2; n > 0;) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		if (put(e, spaces, k))
			return -1;
		n -= k;
	}
	return 0;
}

static int enc_number(struct enc *e, double d)
{
	char s[40];
	int n;
	if (isnan(d))
		return enc_fail(e, "NaN is not valid JSON");
	if (isinf(d))
		return enc_fail(e, "%s is not valid JSON", d > 0 ? "inf" : "-inf");
	if (d == floor(d) && fabs(d) <= MAX_SAFE_INT) {
		n = snprintf(s, sizeof s, "%lld", (long long)d);
	} else {
		/* The shortest of %.15g..%.17g that reads back as the same double. */
		locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
		for (int prec = 15;; prec++) {
			n = snprintf(s, sizeof s, "%.*g", prec, d);
			if (prec == 17 || strtod(s, NULL) == d)
				break;
		}
		if (old)
			uselocale(old);
	}
	return put(e, s, (size_t)n);
}

static int enc_string(struct enc *e, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	if (put(e, "\"", 1))
		return -1;
	while (i < len) {
		unsigned c = p[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = json_utf8_seq(p + i, len - i);
			if (!n)
				return enc_fail(e, "string is not UTF-8 (byte %zu); "
						   "base64-encode binary data", i + 1);
			i += n;
			continue;
		}
		if (put(e, s + run, i - run))
			return -1;
		char esc[8] = { '\\', 0 };
		size_t en = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default: en = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c); break;
		}
		if (put(e, esc, en))
			return -1;
		run = ++i;
	}
	if (put(e, s + run, len - run))
		return -1;
	return put(e, "\"", 1);
}

static int enc_value(struct enc *e, int idx, int depth);

static int enc_array(struct enc *e, int idx, size_t n, int depth)
{
	lua_State *L = e->L;
	if (n == 0)
		return put(e, "[]", 2);
	if (n > INT_MAX)
		return enc_fail(e, "array too long");
	if (put(e, "[", 1))
		return -1;
	for (size_t i = 1; i <= n; i++) {
		if ((i > 1 && put(e, ",", 1)) || newline(e, depth))
			return -1;
		lua_rawgeti(L, idx, (int)i);            /* stack: ..., t[i] */
		int rc = enc_value(e, lua_gettop(L), depth);
		lua_pop(L, 1);
		if (rc) {
			path_index(e, i);
			return -1;
		}
	}
	if (newline(e, depth - 1))
		return -1;
	return put(e, "]", 1);
}

static int enc_member(struct enc *e, const char *k, size_t klen, int vidx, int depth, int first)
{
	if ((!first && put(e, ",", 1)) || newline(e, depth))
		return -1;
	if (enc_string(e, k, klen) || put(e, ":", 1) || (e->pretty && put(e, " ", 1)) ||
	    enc_value(e, vidx, depth)) {
		path_key(e, k, klen);
		return -1;
	}
	return 0;
}

struct key {
	const char *s;
	size_t len;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int enc_object(struct enc *e, int idx, size_t n, int depth)
{
	lua_State *L = e->L;
	int first = 1;
	size_t klen;
	if (put(e, "{", 1))
		return -1;
	if (!e->sort_keys) {
		lua_pushnil(L);
		while (lua_next(L, idx)) {              /* stack: ..., key, value */
			const char *k = lua_tolstring(L, -2, &klen); /* a string: classified */
			if (enc_member(e, k, klen, lua_gettop(L), depth, first)) {
				lua_pop(L, 2);
				return -1;
			}
			first = 0;
			lua_pop(L, 1);
		}
	} else {
		/* Scratch in the Lua heap: freed by the GC whatever happens. The key
		 * strings stay alive because the table at idx holds them. */
		struct key *keys = lua_newuserdata(L, n * sizeof *keys); /* stack: ..., keys */
		size_t i = 0;
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			lua_pop(L, 1);
			keys[i].s = lua_tolstring(L, -1, &keys[i].len);
			i++;
		}
		qsort(keys, n, sizeof *keys, key_cmp);
		for (i = 0; i < n; i++) {
			lua_pushlstring(L, keys[i].s, keys[i].len);
			lua_rawget(L, idx);             /* stack: ..., keys, value */
			int rc = enc_member(e, keys[i].s, keys[i].len, lua_gettop(L), depth, first);
			lua_pop(L, 1);
			if (rc) {
				lua_pop(L, 1);
				return -1;
			}
			first = 0;
		}
		lua_pop(L, 1);
	}
	if (newline(e, depth - 1))
		return -1;
	return put(e, "}", 1);
}

/* Apart from enc_table, so that its buffer is not on the stack at every level. */
__attribute__((noinline))
static int enc_bad_key(struct enc *e, int type, double d)
{
	char what[64];
	if (type == LUA_TNUMBER)
		snprintf(what, sizeof what, "%.14g", d);
	else
		snprintf(what, sizeof what, "of type %s", lua_typename(e->L, type));
	return enc_fail(e, "table key %s is neither a string nor an array index 1..n", what);
}

static int enc_table(struct enc *e, int idx, int depth)
{
	lua_State *L = e->L;
	size_t n = 0, nidx = 0, nstr = 0;
	double maxidx = 0;

	if (depth > e->max_depth)
		return enc_fail(e, "nesting deeper than %d (does a table contain itself?)",
				e->max_depth);
	if (!lua_checkstack(L, 6))
		return enc_fail(e, "nesting too deep for the Lua stack");
	/* Classify: all string keys -> object; keys exactly 1..n -> array. */
	lua_pushnil(L);
	while (lua_next(L, idx)) {                      /* stack: ..., key, value */
		lua_pop(L, 1);
		n++;
		int t = lua_type(L, -1);
		double d = t == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
		if (t == LUA_TSTRING) {
			nstr++;
		} else if (t == LUA_TNUMBER && d >= 1 && d <= MAX_SAFE_INT && d == floor(d)) {
			nidx++;
			if (d > maxidx)
				maxidx = d;
		} else {
			lua_pop(L, 1);
			return enc_bad_key(e, t, d);
		}
	}
	lua_pushvalue(L, idx);
	lua_rawget(L, e->marker);
	int marked = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (nstr && marked)
		return enc_fail(e, "table marked by json.array has string keys");
	if (nstr && nidx)
		return enc_fail(e, "table mixes string keys and array indices");
	if (nstr)
		return enc_object(e, idx, n, depth);
	if ((double)nidx != maxidx)
		return enc_fail(e, "sparse array: %zu elements but index %.0f "
				   "(use json.null for holes)", nidx, maxidx);
	if (nidx || marked)
		return enc_array(e, idx, nidx, depth);
	return put(e, "{}", 2);
}

static int enc_value(struct enc *e, int idx, int depth)
{
	lua_State *L = e->L;
	size_t n;
	const char *s;
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return put(e, "null", 4);
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx) ? put(e, "true", 4) : put(e, "false", 5);
	case LUA_TNUMBER:
		return enc_number(e, lua_tonumber(L, idx));
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		return enc_string(e, s, n);
	case LUA_TTABLE:
		return enc_table(e, idx, depth + 1);
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == &null_sentinel)
			return put(e, "null", 4);
		/* fall through */
	default:
		return enc_fail(e, "cannot encode a %s", luaL_typename(L, idx));
	}
}

/* Runs protected with stack: value, struct enc. */
static int enc_worker(lua_State *L)
{
	struct enc *e = lua_touserdata(L, 2);
	e->L = L;
	marker_push(L);                                  /* stack: value, enc, marker */
	e->marker = 3;
	if (enc_value(e, 1, 0) || !e->push)
		return 0;
	lua_pushlstring(L, e->out->data ? e->out->data : "", e->out->len);
	return 1;
}

static void enc_init(struct enc *e, const struct json_opts *o, struct json_buf *out, int push)
{
	memset(e, 0, sizeof *e);
	e->out = out;
	e->push = push;
	e->pretty = o && o->pretty;
	e->sort_keys = o && o->sort_keys;
	e->max_depth = o && o->max_depth > 0 ? o->max_depth : JSON_DEFAULT_MAX_DEPTH;
	if (e->max_depth > JSON_MAX_DEPTH_LIMIT)
		e->max_depth = JSON_MAX_DEPTH_LIMIT;
	e->max_bytes = o && o->max_bytes ? o->max_bytes : JSON_DEFAULT_MAX_BYTES;
}

/* Encodes the value at idx under lua_pcall, so that a Lua error (out of memory)
 * cannot skip the caller's free of the buffer. Returns the pcall status (error
 * object on top). */
static int enc_run(lua_State *L, int idx, struct enc *e)
{
	idx = idx < 0 && idx > LUA_REGISTRYINDEX ? lua_gettop(L) + idx + 1 : idx;
	c_locale_ready();
	lua_pushcfunction(L, enc_worker);
	lua_pushvalue(L, idx);
	lua_pushlightuserdata(L, e);                     /* stack: worker, value, enc */
	prim_noint_enter();
	free(t_enc_buf); /* left by an encode that the hard stop abandoned */
	t_enc_buf = e->out->data;
	prim_noint_leave();
	/* The caller clears t_enc_buf once it owns or has freed the buffer. */
	return lua_pcall(L, 2, e->push ? 1 : 0, 0);
}

int json_encode_lua(lua_State *L, int idx, const struct json_opts *opts,
		    struct json_buf *out, char *err, size_t errlen)
{
	struct enc e;
	int top = lua_gettop(L);
	enc_init(&e, opts, out, 0);
	int rc = enc_run(L, idx, &e);
	t_enc_buf = NULL; /* the buffer is the caller's */
	if (rc) {
		const char *m = lua_tostring(L, -1);
		snprintf(err, errlen, "%s", m ? m : "error while encoding");
		lua_settop(L, top);
		return -1;
	}
	if (e.failed) {
		enc_message(&e, err, errlen);
		return -1;
	}
	return 0;
}

/* ---- decoding ---------------------------------------------------------- */

struct dec {
	lua_State *L;
	const unsigned char *s, *p, *end;
	int max_depth;
	int marker;        /* stack index of the marker table */
	int failed;
	char msg[200];
};

/* Messages are "<reason> at offset N"; "expected ..." ones say what was found. */
__attribute__((format(printf, 3, 4)))
static int dec_fail(struct dec *d, const unsigned char *at, const char *fmt, ...)
{
	char reason[120], found[32] = "";
	va_list ap;
	if (d->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (strncmp(reason, "expected", 8) == 0) {
		if (at >= d->end)
			snprintf(found, sizeof found, ", found end of input");
		else if (*at >= 0x20 && *at < 0x7f)
			snprintf(found, sizeof found, ", found '%c'", *at);
		else
			snprintf(found, sizeof found, ", found byte 0x%02x", *at);
	}
	snprintf(d->msg, sizeof d->msg, "%s%s at offset %zu", reason, found, (size_t)(at - d->s));
	d->failed = 1;
	return -1;
}

static void skip_ws(struct dec *d)
{
	while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t'))
		d->p++;
}

static int is_digit(const struct dec *d, const unsigned char *p)
{
	return p < d->end && *p >= '0' && *p <= '9';
}

static int dec_number(struct dec *d)
{
	lua_State *L = d->L;
	const unsigned char *start = d->p, *p = d->p;
	int neg = 0, isint = 1;
	size_t ndig = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p < d->end && *p == '0') {
		p++;
		ndig = 1;
		if (is_digit(d, p))
			return dec_fail(d, start, "invalid number (leading zero)");
	} else if (is_digit(d, p)) {
		while (is_digit(d, p)) {
			p++;
			ndig++;
		}
	} else {
		return dec_fail(d, start, "invalid number");
	}
	if (p < d->end && *p == '.') {
		isint = 0;
		if (!is_digit(d, ++p))
			return dec_fail(d, start, "invalid number");
		while (is_digit(d, p))
			p++;
	}
	if (p < d->end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < d->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(d, p))
			return dec_fail(d, start, "invalid number");
		while (is_digit(d, p))
			p++;
	}
	d->p = p;
	if (isint && ndig <= 18) { /* fits int64: exact */
		int64_t v = 0;
		for (const unsigned char *q = start + neg; q < p; q++)
			v = v * 10 + (*q - '0');
		if (v <= ((int64_t)1 << 53)) {
			lua_pushnumber(L, neg ? -(double)v : (double)v);
			return 0;
		}
	}
	if (isint) { /* beyond 2^53 a double would change it: keep the digits */
		lua_pushlstring(L, (const char *)start, (size_t)(p - start));
		return 0;
	}
	char tmp[64];
	size_t n = (size_t)(p - start);
	double v;
	if (n < sizeof tmp) {
		memcpy(tmp, start, n);
		tmp[n] = 0;
		v = strtod_c(tmp);
	} else {
		lua_pushlstring(L, (const char *)start, n); /* NUL-terminated copy */
		v = strtod_c(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	if (isinf(v))
		return dec_fail(d, start, "number out of range");
	lua_pushnumber(L, v);
	return 0;
}

static long hex4(const struct dec *d, const unsigned char *p)
{
	long v = 0;
	if (d->end - p < 4)
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

static size_t utf8_put(char *out, long cp)
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

/* d->p at the opening quote; pushes the string. Strings without escapes are
 * pushed straight from the input; the others go through a luaL_Buffer, so even
 * a failure half-way leaves nothing to free. */
static int dec_string(struct dec *d)
{
	lua_State *L = d->L;
	const unsigned char *open = d->p, *p = d->p + 1, *run = p;
	luaL_Buffer b;
	int buffered = 0;

	for (;;) {
		if (p >= d->end)
			return dec_fail(d, open, "unterminated string");
		unsigned c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return dec_fail(d, p, "control character in string (must be escaped)");
		if (c >= 0x80) {
			size_t n = json_utf8_seq(p, (size_t)(d->end - p));
			if (!n)
				return dec_fail(d, p, "invalid UTF-8");
			p += n;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		if (!buffered) {
			if (!lua_checkstack(L, LUA_MINSTACK))
				return dec_fail(d, p, "nesting too deep for the Lua stack");
			luaL_buffinit(L, &b);
			buffered = 1;
		}
		luaL_addlstring(&b, (const char *)run, (size_t)(p - run));
		const unsigned char *esc = p++;
		if (p >= d->end)
			return dec_fail(d, open, "unterminated string");
		long cp;
		char u[4];
		switch (*p++) {
		case '"': luaL_addchar(&b, '"'); break;
		case '\\': luaL_addchar(&b, '\\'); break;
		case '/': luaL_addchar(&b, '/'); break;
		case 'b': luaL_addchar(&b, '\b'); break;
		case 'f': luaL_addchar(&b, '\f'); break;
		case 'n': luaL_addchar(&b, '\n'); break;
		case 'r': luaL_addchar(&b, '\r'); break;
		case 't': luaL_addchar(&b, '\t'); break;
		case 'u':
			cp = hex4(d, p);
			if (cp < 0)
				return dec_fail(d, esc, "invalid \\u escape");
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				long lo = (d->end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? hex4(d, p + 2) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return dec_fail(d, esc, "unpaired surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return dec_fail(d, esc, "unpaired surrogate in \\u escape");
			}
			luaL_addlstring(&b, u, utf8_put(u, cp));
			break;
		default:
			return dec_fail(d, esc, "invalid escape");
		}
		run = p;
	}
	if (buffered) {
		luaL_addlstring(&b, (const char *)run, (size_t)(p - run));
		luaL_pushresult(&b);
	} else {
		lua_pushlstring(L, (const char *)run, (size_t)(p - run));
	}
	d->p = p + 1;
	return 0;
}

static int dec_value(struct dec *d, int depth);

static int dec_open(struct dec *d, int depth)
{
	if (depth > d->max_depth)
		return dec_fail(d, d->p, "nesting deeper than %d", d->max_depth);
	if (!lua_checkstack(d->L, LUA_MINSTACK))
		return dec_fail(d, d->p, "nesting too deep for the Lua stack");
	d->p++;
	lua_newtable(d->L);
	return 0;
}

static int dec_array(struct dec *d, int depth)
{
	lua_State *L = d->L;
	if (dec_open(d, depth))
		return -1;
	int t = lua_gettop(L);                           /* stack: ..., array */
	lua_pushvalue(L, t);
	lua_pushboolean(L, 1);
	lua_rawset(L, d->marker);
	skip_ws(d);
	if (d->p < d->end && *d->p == ']') {
		d->p++;
		return 0;
	}
	for (int i = 1;; i++) {
		if (i == INT_MAX)
			return dec_fail(d, d->p, "array too long");
		if (dec_value(d, depth))
			return -1;
		lua_rawseti(L, t, i);                    /* stack: ..., array */
		skip_ws(d);
		if (d->p < d->end && *d->p == ',') {
			d->p++;
		} else if (d->p < d->end && *d->p == ']') {
			d->p++;
			return 0;
		} else {
			return dec_fail(d, d->p, "expected ',' or ']'");
		}
	}
}

static int dec_object(struct dec *d, int depth)
{
	lua_State *L = d->L;
	if (dec_open(d, depth))
		return -1;
	int t = lua_gettop(L);                           /* stack: ..., object */
	skip_ws(d);
	if (d->p < d->end && *d->p == '}') {
		d->p++;
		return 0;
	}
	for (;;) {
		skip_ws(d);
		if (d->p >= d->end || *d->p != '"')
			return dec_fail(d, d->p, "expected a string key");
		if (dec_string(d))
			return -1;
		skip_ws(d);
		if (d->p >= d->end || *d->p != ':')
			return dec_fail(d, d->p, "expected ':'");
		d->p++;
		if (dec_value(d, depth))
			return -1;
		lua_rawset(L, t);                        /* duplicate keys: the last wins */
		skip_ws(d);
		if (d->p < d->end && *d->p == ',') {
			d->p++;
		} else if (d->p < d->end && *d->p == '}') {
			d->p++;
			return 0;
		} else {
			return dec_fail(d, d->p, "expected ',' or '}'");
		}
	}
}

static int dec_literal(struct dec *d, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
		return dec_fail(d, d->p, "expected a value");
	d->p += n;
	return 0;
}

static int dec_value(struct dec *d, int depth)
{
	skip_ws(d);
	if (d->p >= d->end)
		return dec_fail(d, d->p, "expected a value");
	switch (*d->p) {
	case '{':
		return dec_object(d, depth + 1);
	case '[':
		return dec_array(d, depth + 1);
	case '"':
		return dec_string(d);
	case 't':
		if (dec_literal(d, "true"))
			return -1;
		lua_pushboolean(d->L, 1);
		return 0;
	case 'f':
		if (dec_literal(d, "false"))
			return -1;
		lua_pushboolean(d->L, 0);
		return 0;
	case 'n':
		if (dec_literal(d, "null"))
			return -1;
		json_push_null(d->L);
		return 0;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return dec_number(d);
	default:
		return dec_fail(d, d->p, "expected a value");
	}
}

/* Pushes the document's value, or fails (the stack then holds partial values). */
static int dec_document(struct dec *d)
{
	if (dec_value(d, 0))
		return -1;
	skip_ws(d);
	if (d->p < d->end)
		return dec_fail(d, d->p, "unexpected data after the value");
	return 0;
}

static void dec_init(struct dec *d, lua_State *L, const char *s, size_t len,
		     const struct json_opts *o)
{
	memset(d, 0, sizeof *d);
	d->L = L;
	d->s = d->p = (const unsigned char *)s;
	d->end = d->s + len;
	d->max_depth = o && o->max_depth > 0 ? o->max_depth : JSON_DEFAULT_MAX_DEPTH;
	if (d->max_depth > JSON_MAX_DEPTH_LIMIT)
		d->max_depth = JSON_MAX_DEPTH_LIMIT;
}

/* Runs protected with stack: struct dec. */
static int dec_worker(lua_State *L)
{
	struct dec *d = lua_touserdata(L, 1);
	d->L = L;
	marker_push(L);                                  /* stack: dec, marker */
	d->marker = 2;
	return dec_document(d) ? 0 : 1;
}

int json_decode_push(lua_State *L, const char *s, size_t len, const struct json_opts *opts,
		     char *err, size_t errlen)
{
	struct dec d;
	int top = lua_gettop(L);
	dec_init(&d, L, s, len, opts);
	c_locale_ready();
	lua_pushcfunction(L, dec_worker);
	lua_pushlightuserdata(L, &d);
	if (lua_pcall(L, 1, 1, 0) != 0) {
		const char *m = lua_tostring(L, -1);
		snprintf(err, errlen, "%s", m ? m : "error while decoding");
		lua_settop(L, top);
		return -1;
	}
	if (d.failed) {
		snprintf(err, errlen, "%s", d.msg);
		lua_settop(L, top);
		return -1;
	}
	return 0;
}

/* ---- the Lua namespace ------------------------------------------------- */

#define SIG_ENCODE "json.encode(value [, {pretty=boolean, sort_keys=boolean, max_depth=integer}])"
#define SIG_DECODE "json.decode(text: string [, {max_depth=integer}])"
#define SIG_ARRAY  "json.array([t: table])"

static void read_opts(lua_State *L, int idx, const char *sig, struct json_opts *o, int encode)
{
	if (!prim_opt_table(L, idx, sig))
		return;
	lua_pushnil(L);
	while (lua_next(L, idx)) {                       /* stack: ..., key, value */
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		if (encode && k && (strcmp(k, "pretty") == 0 || strcmp(k, "sort_keys") == 0)) {
			if (!lua_isboolean(L, -1))
				prim_usage(L, sig, "option %s is a %s, not a boolean", k,
					   luaL_typename(L, -1));
			*(k[0] == 'p' ? &o->pretty : &o->sort_keys) = lua_toboolean(L, -1);
		} else if (k && strcmp(k, "max_depth") == 0) {
			double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
			if (v != floor(v) || v < 1 || v > JSON_MAX_DEPTH_LIMIT)
				prim_usage(L, sig, "option max_depth must be an integer from 1 to %d",
					   JSON_MAX_DEPTH_LIMIT);
			o->max_depth = (int)v;
		} else {
			prim_usage(L, sig, "unknown option %s", k ? k : luaL_typename(L, -2));
		}
		lua_pop(L, 1);
	}
}

static int l_encode(lua_State *L)
{
	struct json_opts o = { 0 };
	struct json_buf out = { 0 };
	struct enc e;
	char msg[512];

	if (lua_gettop(L) < 1)
		prim_usage(L, SIG_ENCODE, "value is missing");
	read_opts(L, 2, SIG_ENCODE, &o, 1);
	lua_settop(L, 1);
	enc_init(&e, &o, &out, 1);
	e.charge = 1;
	int rc = enc_run(L, 1, &e);                      /* stack: value, text or error */
	size_t charged = out.cap;
	prim_noint_enter();
	json_buf_free(&out);
	t_enc_buf = NULL;
	prim_noint_leave();
	sandbox_uncharge(charged);
	if (rc)
		return lua_error(L);
	if (e.failed) {
		enc_message(&e, msg, sizeof msg);
		return luaL_error(L, "json.encode: %s", msg);
	}
	return 1;
}

static int l_decode(lua_State *L)
{
	struct json_opts o = { 0 };
	struct dec d;
	size_t len;

	if (lua_type(L, 1) != LUA_TSTRING)
		prim_usage(L, SIG_DECODE, "text is %s, not a string",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	read_opts(L, 2, SIG_DECODE, &o, 0);
	const char *s = lua_tolstring(L, 1, &len);
	lua_settop(L, 1);
	dec_init(&d, L, s, len, &o);
	marker_push(L);                                  /* stack: text, marker */
	d.marker = 2;
	if (dec_document(&d)) {
		lua_pushnil(L);
		lua_pushstring(L, d.msg);
		return 2;
	}
	return 1;
}

static int l_array(lua_State *L)
{
	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		lua_newtable(L);
	} else if (!lua_istable(L, 1)) {
		prim_usage(L, SIG_ARRAY, "argument 1 is a %s, not a table", luaL_typename(L, 1));
	}
	lua_settop(L, 1);
	marker_push(L);                                  /* stack: t, marker */
	lua_pushvalue(L, 1);
	lua_pushboolean(L, 1);
	lua_rawset(L, 2);
	lua_settop(L, 1);
	return 1;
}

static const luaL_Reg json_fns[] = {
	{ "encode", l_encode },
	{ "decode", l_decode },
	{ "array", l_array },
	{ NULL, NULL },
};

int prim_open_json(lua_State *L)
{
	c_locale_ready();
	marker_push(L);
	lua_pop(L, 1);
	lua_createtable(L, 0, 4);
	luaL_register(L, NULL, json_fns);
	json_push_null(L);
	lua_setfield(L, -2, "null");
	return 1;
}
