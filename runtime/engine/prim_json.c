/* prim_json.c - the `json` namespace: JSON values <-> Lua values (prim_json.h).
 * Reading and string escaping are json.c's, the one codec of the core; this file
 * builds Lua values from the reader's events and walks Lua tables to write.
 *
 * Why not lua-cjson although the design names it: Debian's
 * lua-cjson 2.1.0, even with decode_invalid_numbers(false), accepts "1.", "-.5",
 * raw control characters and invalid UTF-8 in strings, turns 1e400 into inf,
 * rounds integers beyond 2^53, and encodes with 14 significant digits
 * (1234567890123456 becomes 1.2345678901235e+15; checked on this machine). Its
 * decoder also mallocs a scratch buffer that leaks when the Lua allocator raises
 * (a run at its memory cap), and its settings live in an instance that any code
 * holding the config functions can change. The strict pre-pass it would need is
 * already a parser, so: decoding builds Lua values from json.c's events, and
 * neither keeps anything in the C heap (a hard stop or an out-of-memory error
 * leaks nothing). Encoding
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

static void c_locale_ready(void)
{
	prim_noint_enter(); /* newlocale mallocs */
	json_locale_init();
	prim_noint_leave();
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

static void path_key(struct enc *e, const char *k, size_t len)
{
	char s[64];
	path_prepend(e, s, json_path_key(s, k, len));
}

static void enc_message(const struct enc *e, char *buf, size_t n)
{
	snprintf(buf, n, "%s at $%s%s", e->msg, e->path, e->path_cut ? "..." : "");
}

/* put's slow path: the size limit, and growing the buffer. */
__attribute__((noinline))
static int put_grow(struct enc *e, size_t n)
{
	struct json_buf *b = e->out;
	if (n > e->max_bytes || b->len > e->max_bytes - n)
		return enc_fail(e, "output larger than %zu bytes", e->max_bytes);
	if (b->cap - b->len <= n) {
		/* 1 KiB first: a typical alert or result fits without a realloc. */
		size_t cap = b->cap ? b->cap : 1024;
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
	return 0;
}

/* Appends n bytes (the buffer stays NUL-terminated). The common case, room in
 * the buffer and under the limit, is two compares and a copy. */
static inline int put(struct enc *e, const char *s, size_t n)
{
	struct json_buf *b = e->out;
	if (__builtin_expect(b->cap - b->len <= n || n > e->max_bytes - b->len, 0) &&
	    put_grow(e, n))
		return -1;
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
	char s[32];
	size_t n = json_fmt_number(s, d);
	if (!n) {
		if (isnan(d))
			return enc_fail(e, "NaN is not valid JSON");
		return enc_fail(e, "%s is not valid JSON", d > 0 ? "inf" : "-inf");
	}
	return put(e, s, n);
}

static int enc_put(void *ctx, const char *s, size_t n)
{
	return put(ctx, s, n);
}

static int enc_string(struct enc *e, const char *s, size_t len)
{
	/* Most strings need no escape: copied between quotes in one step (the
	 * rule of what needs one is json.c's, json_str_plain). */
	if (json_str_plain(s, len) == len) {
		if (put(e, "\"", 1) || (len && put(e, s, len)))
			return -1;
		return put(e, "\"", 1);
	}
	size_t bad = 0;
	int rc = json_write_str(s, len, JSON_ESC_STRICT, enc_put, e, &bad);
	if (rc == -2)
		return enc_fail(e, "string is not UTF-8 (byte %zu); base64-encode binary data",
				bad + 1);
	return rc;
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

/* ---- decoding: Lua values from json.c's events ------------------------- */

struct ldec {
	lua_State *L;
	int marker;        /* stack index of the marker table */
	int buffering;     /* a string is arriving in parts into b */
	luaL_Buffer b;
	/* Per open object (by depth of its members): a 64-bit filter of the hashes
	 * of its names, so that the duplicate check looks into the table only for
	 * a name whose bit is already set (most never are). */
	uint64_t names[JSON_MAX_DEPTH_LIMIT + 2];
};

/* Pushes the string of e, or returns 1 while more parts are to come. */
static int ldec_string(struct json_reader *r, struct ldec *c, const struct json_event *e)
{
	lua_State *L = c->L;
	if (!e->more && !c->buffering) {
		lua_pushlstring(L, e->s, e->n);
		return 0;
	}
	if (!c->buffering) {
		if (!lua_checkstack(L, LUA_MINSTACK))
			return json_reader_fail(r, "nesting too deep for the Lua stack");
		luaL_buffinit(L, &c->b);
		c->buffering = 1;
	}
	luaL_addlstring(&c->b, e->s, e->n);
	if (e->more)
		return 1;
	luaL_pushresult(&c->b);
	c->buffering = 0;
	return 0;
}

static int ldec_event(struct json_reader *r, const struct json_event *e)
{
	struct ldec *c = r->ctx;
	lua_State *L = c->L;
	int rc;
	switch (e->ev) {
	case JSON_EV_BEGIN:
		if (!lua_checkstack(L, LUA_MINSTACK))
			return json_reader_fail(r, "nesting too deep for the Lua stack");
		lua_newtable(L);                         /* stack: ..., container */
		if (e->type == JSON_OBJECT)
			c->names[e->depth + 1] = 0;
		if (e->type == JSON_ARRAY) {
			lua_pushvalue(L, -1);
			lua_pushboolean(L, 1);
			lua_rawset(L, c->marker);
		}
		return 0;
	case JSON_EV_KEY:
		rc = ldec_string(r, c, e);
		if (rc)
			return rc > 0 ? 0 : -1;
		{
			/* stack: ..., object, key: the event's bytes, unless the key had
			 * escapes (decoded into sbuf, maybe in parts: read the Lua string) */
			size_t n = e->n;
			const char *k = e->s;
			if (e->s == r->sbuf)
				k = lua_tolstring(L, -1, &n);
			unsigned h = json_name_hash(k, n);
			uint64_t bit = (uint64_t)1 << (h & 63);
			if (c->names[e->depth] & bit) {
				lua_pushvalue(L, -1);
				lua_rawget(L, -3);               /* stack: ..., object, key, old */
				if (!lua_isnil(L, -1))
					return json_reader_dup_key(r, k, n);
				lua_pop(L, 1);                   /* stack: ..., object, key */
			}
			c->names[e->depth] |= bit;
		}
		return 0;
	case JSON_EV_END:
		break;                                   /* stack: ..., container */
	case JSON_EV_VALUE:
		switch (e->type) {
		case JSON_STRING:
			rc = ldec_string(r, c, e);
			if (rc)
				return rc > 0 ? 0 : -1;
			break;
		case JSON_NUMBER:
			if (e->kind == JSON_NUM_BIGINT) /* a double would change it: the digits */
				lua_pushlstring(L, e->s, e->n);
			else
				lua_pushnumber(L, e->num);
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			lua_pushboolean(L, e->type == JSON_TRUE);
			break;
		default:
			json_push_null(L);
			break;
		}
		break;
	}
	/* stack: ..., parent, [key,] value */
	if (e->parent == JSON_ARRAY) {
		if (e->index >= INT_MAX - 1)
			return json_reader_fail(r, "array too long");
		lua_rawseti(L, -2, (int)e->index + 1);
	} else if (e->parent == JSON_OBJECT) {
		lua_rawset(L, -3);
	}
	return 0;
}

static void noint_enter(void) { prim_noint_enter(); }
static void noint_leave(void) { prim_noint_leave(); }

/* Decodes with the marker table at stack index `marker`; pushes the value, or
 * fails (the stack then holds partial values) with the reason in r. */
static int dec_document(lua_State *L, struct json_reader *r, const char *s, size_t len,
			const struct json_opts *o, int marker)
{
	struct ldec c;  /* not zeroed whole: its luaL_Buffer is 8 KiB, set up when used */
	c.L = L;
	c.marker = marker;
	c.buffering = 0;
	struct json_read_opts ro = { .max_depth = o ? o->max_depth : 0,
				     .noint_enter = noint_enter, .noint_leave = noint_leave };
	return json_read(r, s, len, &ro, ldec_event, &c);
}

struct dec_args {
	const char *s;
	size_t len;
	const struct json_opts *o;
	struct json_reader r;
};

/* Runs protected with stack: struct dec_args. */
static int dec_worker(lua_State *L)
{
	struct dec_args *a = lua_touserdata(L, 1);
	marker_push(L);                                  /* stack: args, marker */
	return dec_document(L, &a->r, a->s, a->len, a->o, 2) ? 0 : 1;
}

int json_decode_push(lua_State *L, const char *s, size_t len, const struct json_opts *opts,
		     char *err, size_t errlen)
{
	struct dec_args a;
	a.s = s;
	a.len = len;
	a.o = opts;
	a.r.failed = 0;
	int top = lua_gettop(L);
	c_locale_ready();
	lua_pushcfunction(L, dec_worker);
	lua_pushlightuserdata(L, &a);
	if (lua_pcall(L, 1, 1, 0) != 0) {
		const char *m = lua_tostring(L, -1);
		snprintf(err, errlen, "%s", m ? m : "error while decoding");
		lua_settop(L, top);
		return -1;
	}
	if (a.r.failed) {
		snprintf(err, errlen, "%s", json_reader_error(&a.r));
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
	struct json_reader r;
	size_t len;

	if (lua_type(L, 1) != LUA_TSTRING)
		prim_usage(L, SIG_DECODE, "text is %s, not a string",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	read_opts(L, 2, SIG_DECODE, &o, 0);
	const char *s = lua_tolstring(L, 1, &len);
	lua_settop(L, 1);
	marker_push(L);                                  /* stack: text, marker */
	if (dec_document(L, &r, s, len, &o, 2)) {
		lua_pushnil(L);
		lua_pushstring(L, json_reader_error(&r));
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
