/* prim_re.c - the `re` namespace: PCRE2 regular expressions.
 *
 * Compiled patterns live in a per-thread LRU cache in the C heap (RE_CACHE
 * entries), never in the Lua heap: a sandboxed state can be thrown away without
 * lua_close, and no __gc would run. A thread-exit destructor frees the cache.
 *
 * Limits. Every match runs with a match limit and a heap limit, so the usual
 * catastrophic backtracking (`(a+)+$` on "aaa...b") stops within milliseconds
 * with nil, "match limit exceeded". These limits count per start position,
 * though, so a pattern that stays just under them at each of many positions can
 * run for minutes (measured: `(\w+\s?)*$` on 100 runs of 18 letters and a "!"
 * took 2.7 s interpreted, 0.34 s with the JIT, without reaching either limit).
 * Only the watchdog's hard stop bounds that, so pcre2_match is NOT one
 * non-interruptible region. Instead:
 *   - all memory a match allocates (the match data and its backtracking frames)
 *     comes from per-entry allocator functions that take each malloc/free under
 *     prim_noint and chain the block into the entry, so the hard stop never lands
 *     inside malloc and every block stays findable;
 *   - the entry being matched is recorded in the thread's state; if the next call
 *     on this thread finds it still recorded, the match was abandoned mid-way and
 *     that entry is dropped by freeing its chained blocks directly (its match data
 *     may be half-updated, so pcre2_match_data_free must not touch it).
 * Compilation (malloc, the JIT's global allocator) is non-interruptible.
 *
 * Bad patterns and flags are misuse (raise, naming the offset); failures of the
 * data (limits, invalid UTF-8 under "u") return nil, err. A Lua callback of
 * re.gsub may call re itself and evict entries, so loops check the entry's
 * generation after anything that can run Lua and look the pattern up again.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "prim.h"

#include <lauxlib.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RE_CACHE          64
#define RE_PATTERN_MAX    (32 * 1024)
#define RE_MATCH_LIMIT    1000000    /* ~15 ms interpreted, ~5 ms JIT on (a+)+$ */
#define RE_HEAP_LIMIT_KIB (16 * 1024)
#define RE_JIT_STACK_MAX  (1024 * 1024)

#define SIG_MATCH "re.match(subject: string, pattern: string [, flags: string])"
#define SIG_FIND  "re.find(subject: string, pattern: string [, flags: string [, init: integer]])"
#define SIG_GMATCH "re.gmatch(subject: string, pattern: string [, flags: string])"
#define SIG_GSUB  "re.gsub(subject: string, pattern: string, repl: string|table|function [, flags: string])"
#define SIG_SPLIT "re.split(subject: string, pattern: string [, flags: string])"

struct blk {
	struct blk *prev, *next; /* 16 bytes: the payload after it stays 16-aligned */
};

struct re_entry {
	unsigned long gen;       /* 0 when empty; new value at each fill */
	unsigned long used;
	uint32_t hash, flags;
	size_t plen;
	char *pattern;
	pcre2_code *code;
	pcre2_match_data *md;
	uint32_t ncap;
	int utf;
	struct blk blocks;       /* every block the entry's allocator handed out */
};

struct re_thread {
	struct re_entry e[RE_CACHE];
	unsigned long tick, gen;
	pcre2_compile_context *cctx;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	struct re_entry *inflight; /* set around pcre2_match: still set = abandoned */
};

static _Thread_local struct re_thread *t_re;
static pthread_key_t re_key;
static pthread_once_t re_once = PTHREAD_ONCE_INIT;
static int re_key_ok;

/* ---- per-entry allocator ------------------------------------------------- */

static void *blk_malloc(PCRE2_SIZE size, void *data)
{
	struct re_entry *e = data;
	prim_noint_enter();
	struct blk *b = malloc(sizeof *b + size);
	if (b) {
		b->prev = &e->blocks;
		b->next = e->blocks.next;
		b->next->prev = b;
		e->blocks.next = b;
	}
	prim_noint_leave();
	return b ? b + 1 : NULL;
}

static void blk_free(void *p, void *data)
{
	(void)data;
	if (!p)
		return;
	struct blk *b = (struct blk *)p - 1;
	prim_noint_enter();
	b->prev->next = b->next;
	b->next->prev = b->prev;
	free(b);
	prim_noint_leave();
}

/* Empties a slot. Call inside noint. */
static void entry_clear(struct re_entry *e)
{
	while (e->blocks.next && e->blocks.next != &e->blocks) {
		struct blk *b = e->blocks.next;
		e->blocks.next = b->next;
		free(b);
	}
	e->blocks.next = e->blocks.prev = &e->blocks;
	pcre2_code_free(e->code);
	free(e->pattern);
	e->code = NULL;
	e->md = NULL;
	e->pattern = NULL;
	e->gen = 0;
}

static void re_thread_free(void *p)
{
	struct re_thread *T = p;
	for (int i = 0; i < RE_CACHE; i++)
		entry_clear(&T->e[i]);
	pcre2_match_context_free(T->mctx);
	pcre2_compile_context_free(T->cctx);
	pcre2_jit_stack_free(T->jit);
	free(T);
}

static void re_key_init(void)
{
	re_key_ok = pthread_key_create(&re_key, re_thread_free) == 0;
}

/* This thread's state, made on first use; NULL if out of memory. Call in noint. */
static struct re_thread *re_thread(void)
{
	struct re_thread *T = t_re;
	if (T)
		return T;
	pthread_once(&re_once, re_key_init);
	if (!re_key_ok || !(T = calloc(1, sizeof *T)))
		return NULL;
	for (int i = 0; i < RE_CACHE; i++)
		T->e[i].blocks.next = T->e[i].blocks.prev = &T->e[i].blocks;
	T->cctx = pcre2_compile_context_create(NULL);
	T->mctx = pcre2_match_context_create(NULL);
	if (!T->cctx || !T->mctx) {
		re_thread_free(T);
		return NULL;
	}
	pcre2_set_max_pattern_length(T->cctx, RE_PATTERN_MAX);
	pcre2_set_match_limit(T->mctx, RE_MATCH_LIMIT);
	pcre2_set_heap_limit(T->mctx, RE_HEAP_LIMIT_KIB);
	T->jit = pcre2_jit_stack_create(32 * 1024, RE_JIT_STACK_MAX, NULL);
	if (T->jit)
		pcre2_jit_stack_assign(T->mctx, NULL, T->jit);
	pthread_setspecific(re_key, T);
	t_re = T;
	return T;
}

/* ---- compiling ---------------------------------------------------------- */

static uint32_t re_flags(lua_State *L, int idx, const char *sig)
{
	size_t n;
	uint32_t opts = 0;
	if (lua_isnoneornil(L, idx))
		return 0;
	if (lua_type(L, idx) != LUA_TSTRING)
		prim_usage(L, sig, "flags is a %s, not a string", luaL_typename(L, idx));
	const char *f = lua_tolstring(L, idx, &n);
	for (size_t i = 0; i < n; i++) {
		switch (f[i]) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'u': opts |= PCRE2_UTF | PCRE2_UCP; break;
		default:
			prim_usage(L, sig, "unknown flag '%c' (flags are i, m, s, x, u)", f[i]);
		}
	}
	return opts;
}

static uint32_t fnv1a(const char *s, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Compiles into slot e. Returns 0, 1 (out of memory) or 2 (msg, *erroff set). */
static int entry_fill(struct re_thread *T, struct re_entry *e, const char *pat, size_t plen,
		      uint32_t flags, uint32_t hash, char *msg, size_t msglen, size_t *erroff)
{
	int ec;
	PCRE2_SIZE eo;
	uint32_t all = 0;
	pcre2_general_context *g;
	e->code = pcre2_compile((PCRE2_SPTR)pat, plen, flags | PCRE2_NEVER_BACKSLASH_C, &ec, &eo,
				T->cctx);
	if (!e->code) {
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, msglen);
		*erroff = eo;
		return 2;
	}
	pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE); /* if it fails: interpreted */
	g = pcre2_general_context_create(blk_malloc, blk_free, e);
	e->md = g ? pcre2_match_data_create_from_pattern(e->code, g) : NULL;
	e->pattern = malloc(plen + 1);
	if (!e->md || !e->pattern) {
		entry_clear(e);
		return 1;
	}
	/* The context is a chained block: entry_clear frees it with the rest. */
	memcpy(e->pattern, pat, plen);
	e->plen = plen;
	e->flags = flags;
	e->hash = hash;
	pcre2_pattern_info(e->code, PCRE2_INFO_CAPTURECOUNT, &e->ncap);
	pcre2_pattern_info(e->code, PCRE2_INFO_ALLOPTIONS, &all);
	e->utf = (all & PCRE2_UTF) != 0; /* also set by (*UTF) in the pattern */
	e->gen = ++T->gen;
	return 0;
}

/* The compiled pattern, from the cache or compiled now. Raises on a bad pattern
 * (after leaving the non-interruptible region). */
static struct re_entry *re_get(lua_State *L, const char *sig, const char *pat, size_t plen,
			       uint32_t flags)
{
	char msg[160];
	size_t erroff = 0;
	int fail = 1;
	struct re_entry *e = NULL;
	if (plen > RE_PATTERN_MAX)
		prim_usage(L, sig, "pattern longer than %d bytes", RE_PATTERN_MAX);
	uint32_t hash = fnv1a(pat, plen, 2166136261u ^ flags);

	prim_noint_enter();
	struct re_thread *T = re_thread();
	if (T) {
		if (T->inflight) { /* a match was abandoned by the hard stop */
			entry_clear(T->inflight);
			T->inflight = NULL;
		}
		struct re_entry *lru = &T->e[0];
		for (int i = 0; i < RE_CACHE && !e; i++) {
			struct re_entry *c = &T->e[i];
			if (c->gen && c->hash == hash && c->flags == flags && c->plen == plen &&
			    memcmp(c->pattern, pat, plen) == 0)
				e = c;
			else if (!c->gen ? lru->gen != 0 : (lru->gen && c->used < lru->used))
				lru = c;
		}
		if (e) {
			fail = 0;
		} else {
			entry_clear(lru);
			fail = entry_fill(T, lru, pat, plen, flags, hash, msg, sizeof msg, &erroff);
			e = lru;
		}
		e->used = ++T->tick;
	}
	prim_noint_leave();
	if (fail == 1)
		luaL_error(L, "%.*s: out of memory", (int)strcspn(sig, "("), sig);
	if (fail == 2)
		prim_usage(L, sig, "invalid pattern at offset %zu: %s", erroff, msg);
	return e;
}

/* A handle that notices when a callback evicted or refilled the entry. */
struct re_ref {
	struct re_entry *e;
	unsigned long gen;
	const char *sig, *pat;
	size_t plen;
	uint32_t flags;
};

static struct re_entry *ref_get(lua_State *L, struct re_ref *r)
{
	if (!r->e || r->e->gen != r->gen) {
		r->e = re_get(L, r->sig, r->pat, r->plen, r->flags);
		r->gen = r->e->gen;
	}
	return r->e;
}

/* ---- matching ----------------------------------------------------------- */

static int re_exec(struct re_entry *e, const char *s, size_t len, size_t start, uint32_t opts)
{
	struct re_thread *T = t_re;
	T->inflight = e;
	int rc = pcre2_match(e->code, (PCRE2_SPTR)s, len, start, opts, e->md, T->mctx);
	T->inflight = NULL;
	return rc;
}

/* Pushes nil and the reason for a failed match; returns 2. */
static int re_fail(lua_State *L, struct re_entry *e, int rc)
{
	char msg[64];
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		snprintf(msg, sizeof msg, "match limit exceeded");
	else if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
		snprintf(msg, sizeof msg, "invalid UTF-8 at offset %zu",
			 (size_t)pcre2_get_startchar(e->md));
	else if (rc == PCRE2_ERROR_BADUTFOFFSET)
		snprintf(msg, sizeof msg, "init is inside a UTF-8 character");
	else if (rc == PCRE2_ERROR_NOMEMORY)
		snprintf(msg, sizeof msg, "out of memory");
	else
		snprintf(msg, sizeof msg, "match failed (PCRE2 error %d)", rc);
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

/* Copies the ovector of the last match: pushing strings can run the GC, and the
 * entry must not be trusted after anything that might run Lua. ov has room for
 * 2 * (ncap + 1). Returns 0, or a PCRE2 error code for a match that ends before
 * it starts (\K in a lookaround). */
static int ov_take(const struct re_entry *e, PCRE2_SIZE *ov)
{
	memcpy(ov, pcre2_get_ovector_pointer(e->md), 2 * (e->ncap + 1) * sizeof *ov);
	return ov[1] < ov[0] ? PCRE2_ERROR_BADOFFSET : 0;
}

/* Room for the ovector: on the C stack when small, else in a Lua userdata that
 * stays on the stack until the function returns. */
static PCRE2_SIZE *ov_room(lua_State *L, const struct re_entry *e, PCRE2_SIZE *local, size_t n)
{
	size_t need = 2 * ((size_t)e->ncap + 1);
	return need <= n ? local : lua_newuserdata(L, need * sizeof(PCRE2_SIZE));
}

/* Pushes groups 1..ncap (false for a group that took no part), or the whole match
 * when there are no groups; returns how many. */
static int push_caps(lua_State *L, const char *s, const PCRE2_SIZE *ov, uint32_t ncap)
{
	if (ncap == 0) {
		lua_pushlstring(L, s + ov[0], ov[1] - ov[0]);
		return 1;
	}
	if (ncap > 4000 || !lua_checkstack(L, (int)ncap))
		luaL_error(L, "re: too many captures (%d)", (int)ncap);
	for (uint32_t i = 1; i <= ncap; i++) {
		if (ov[2 * i] == PCRE2_UNSET)
			lua_pushboolean(L, 0);
		else
			lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
	}
	return (int)ncap;
}

/* Bytes of the character at s[pos] (a whole UTF-8 sequence in UTF mode). */
static size_t char_len(const struct re_entry *e, const char *s, size_t len, size_t pos)
{
	size_t n = 1;
	if (e->utf)
		while (pos + n < len && ((unsigned char)s[pos + n] & 0xC0) == 0x80)
			n++;
	return n;
}

/* The scan shared by gmatch, gsub and split (as in pcre2demo): after an empty
 * match, try a non-empty one at the same place before moving on one character,
 * so that "x*" over "axb" finds "", "x", "", "" like Perl. */
struct scan {
	size_t pos;
	uint32_t opts;  /* PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED after an empty match */
	int checked;    /* subject's UTF-8 validated once: skip the check after */
	int done;
};

/* 1 on a match (ov filled), 0 at the end, or a negative PCRE2 error. */
static int scan_next(lua_State *L, struct re_ref *r, struct scan *sc, const char *s, size_t len,
		     PCRE2_SIZE *ov)
{
	while (!sc->done) {
		struct re_entry *e = ref_get(L, r);
		int rc = re_exec(e, s, len, sc->pos, sc->opts | (sc->checked ? PCRE2_NO_UTF_CHECK : 0));
		if (rc == PCRE2_ERROR_NOMATCH) {
			sc->checked = 1;
			if (sc->opts == 0 || sc->pos >= len) {
				sc->done = 1;
				return 0;
			}
			sc->pos += char_len(e, s, len, sc->pos);
			sc->opts = 0;
			continue;
		}
		if (rc < 0)
			return rc;
		sc->checked = 1;
		if ((rc = ov_take(e, ov)) != 0)
			return rc;
		sc->opts = ov[0] == ov[1] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
		sc->pos = ov[1];
		return 1;
	}
	return 0;
}

static const char *check_str(lua_State *L, int idx, const char *sig, size_t *len)
{
	return prim_check_string(L, idx, sig, len);
}

static int l_match(lua_State *L)
{
	size_t len, plen;
	PCRE2_SIZE local[32];
	const char *s = check_str(L, 1, SIG_MATCH, &len);
	const char *p = check_str(L, 2, SIG_MATCH, &plen);
	uint32_t flags = re_flags(L, 3, SIG_MATCH);
	struct re_entry *e = re_get(L, SIG_MATCH, p, plen, flags);
	PCRE2_SIZE *ov = ov_room(L, e, local, 32);
	e = re_get(L, SIG_MATCH, p, plen, flags); /* ov_room may have run the GC */
	int rc = re_exec(e, s, len, 0, 0);
	if (rc == PCRE2_ERROR_NOMATCH) {
		lua_pushnil(L);
		return 1;
	}
	if (rc < 0 || (rc = ov_take(e, ov)) != 0)
		return re_fail(L, e, rc);
	return push_caps(L, s, ov, e->ncap);
}

static int l_find(lua_State *L)
{
	size_t len, plen;
	PCRE2_SIZE local[32];
	const char *s = check_str(L, 1, SIG_FIND, &len);
	const char *p = check_str(L, 2, SIG_FIND, &plen);
	uint32_t flags = re_flags(L, 3, SIG_FIND);
	double init = 1;
	if (!lua_isnoneornil(L, 4)) {
		init = prim_check_number(L, 4, SIG_FIND);
		if (init != floor(init))
			prim_usage(L, SIG_FIND, "init must be a whole number");
	}
	if (init < 0)
		init = (double)len + init + 1; /* like string.find: from the end */
	if (init < 1)
		init = 1;
	if (init > (double)len + 1) {
		lua_pushnil(L);
		return 1;
	}
	struct re_entry *e = re_get(L, SIG_FIND, p, plen, flags);
	PCRE2_SIZE *ov = ov_room(L, e, local, 32);
	e = re_get(L, SIG_FIND, p, plen, flags);
	int rc = re_exec(e, s, len, (size_t)init - 1, 0);
	if (rc == PCRE2_ERROR_NOMATCH) {
		lua_pushnil(L);
		return 1;
	}
	if (rc < 0 || (rc = ov_take(e, ov)) != 0)
		return re_fail(L, e, rc);
	lua_pushnumber(L, (lua_Number)ov[0] + 1);
	lua_pushnumber(L, (lua_Number)ov[1]);
	return 2 + (e->ncap ? push_caps(L, s, ov, e->ncap) : 0);
}

/* Upvalues: subject, pattern, flags (number), scan state (userdata). */
static int gmatch_iter(lua_State *L)
{
	size_t len, plen;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &len);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &plen);
	struct scan *sc = lua_touserdata(L, lua_upvalueindex(4));
	struct re_ref r = { NULL, 0, SIG_GMATCH, p, plen,
			    (uint32_t)lua_tonumber(L, lua_upvalueindex(3)) };
	PCRE2_SIZE local[32];
	PCRE2_SIZE *ov = ov_room(L, ref_get(L, &r), local, 32);
	int rc = scan_next(L, &r, sc, s, len, ov);
	if (rc == 0)
		return 0;
	if (rc < 0) { /* an iterator cannot return nil, err: the loop would just end */
		re_fail(L, r.e, rc);
		sc->done = 1;
		return luaL_error(L, "re.gmatch: %s", lua_tostring(L, -1));
	}
	return push_caps(L, s, ov, r.e->ncap);
}

static int l_gmatch(lua_State *L)
{
	size_t len, plen;
	check_str(L, 1, SIG_GMATCH, &len);
	const char *p = check_str(L, 2, SIG_GMATCH, &plen);
	uint32_t flags = re_flags(L, 3, SIG_GMATCH);
	re_get(L, SIG_GMATCH, p, plen, flags); /* a bad pattern raises here, not in the loop */
	lua_settop(L, 2);
	lua_pushnumber(L, flags);
	struct scan *sc = lua_newuserdata(L, sizeof *sc);
	memset(sc, 0, sizeof *sc);                       /* stack: s, p, flags, scan */
	lua_pushcclosure(L, gmatch_iter, 4);
	return 1;
}

/* Walks a replacement string: checks it (b == NULL; raises on a bad reference)
 * or appends its expansion for the match in ov. "$$" is a dollar, "$0".."$9" a
 * group, "${n}" or "${name}" any group; an unset group expands to nothing. */
static void repl_walk(lua_State *L, const struct re_entry *e, const char *r, size_t rlen,
		      luaL_Buffer *b, const char *s, const PCRE2_SIZE *ov)
{
	size_t i = 0, run = 0;
	while (i < rlen) {
		if (r[i] != '$') {
			i++;
			continue;
		}
		if (b)
			luaL_addlstring(b, r + run, i - run);
		size_t at = i++;
		long g = -1;
		if (i < rlen && r[i] == '$') {
			if (b)
				luaL_addchar(b, '$');
			run = ++i;
			continue;
		}
		if (i < rlen && r[i] >= '0' && r[i] <= '9') {
			g = r[i++] - '0';
		} else if (i < rlen && r[i] == '{') {
			size_t start = ++i;
			while (i < rlen && r[i] != '}')
				i++;
			size_t n = i - start;
			char name[64];
			if (i >= rlen || n == 0 || n >= sizeof name)
				prim_usage(L, SIG_GSUB, "unterminated or empty ${...} in repl at offset %zu", at);
			memcpy(name, r + start, n);
			name[n] = 0;
			i++;
			if (strspn(name, "0123456789") == n) {
				g = n < 6 ? atol(name) : 100000;
			} else {
				int k = pcre2_substring_number_from_name(e->code, (PCRE2_SPTR)name);
				if (k < 0)
					prim_usage(L, SIG_GSUB, "repl refers to group '%s', which the pattern "
						   "does not define (uniquely)", name);
				g = k;
			}
		} else {
			prim_usage(L, SIG_GSUB, "'$' in repl at offset %zu must be followed by a digit, "
				   "{name} or '$'", at);
		}
		if (g > (long)e->ncap)
			prim_usage(L, SIG_GSUB, "repl refers to group %ld but the pattern has %u",
				   g, (unsigned)e->ncap);
		if (b && ov[2 * g] != PCRE2_UNSET)
			luaL_addlstring(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
		run = i;
	}
	if (b)
		luaL_addlstring(b, r + run, rlen - run);
}

static int l_gsub(lua_State *L)
{
	size_t len, plen, rlen = 0;
	PCRE2_SIZE local[32];
	const char *s = check_str(L, 1, SIG_GSUB, &len);
	const char *p = check_str(L, 2, SIG_GSUB, &plen);
	int rt = lua_type(L, 3);
	if (rt != LUA_TSTRING && rt != LUA_TNUMBER && rt != LUA_TTABLE && rt != LUA_TFUNCTION)
		prim_usage(L, SIG_GSUB, "repl is %s, not a string, table or function",
			   lua_isnoneornil(L, 3) ? "missing" : luaL_typename(L, 3));
	const char *r = rt == LUA_TSTRING || rt == LUA_TNUMBER ? lua_tolstring(L, 3, &rlen) : NULL;
	uint32_t flags = re_flags(L, 4, SIG_GSUB);
	lua_settop(L, 4);
	struct re_ref ref = { NULL, 0, SIG_GSUB, p, plen, flags };
	struct re_entry *e = ref_get(L, &ref);
	if (r)
		repl_walk(L, e, r, rlen, NULL, NULL, NULL);      /* raises on a bad reference */
	PCRE2_SIZE *ov = ov_room(L, e, local, 32);           /* stack: s, p, repl, flags[, ov] */
	struct scan sc = { 0 };
	size_t copied = 0;
	double count = 0;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (;;) {
		int rc = scan_next(L, &ref, &sc, s, len, ov);
		if (rc == 0)
			break;
		if (rc < 0)
			return re_fail(L, ref.e, rc);
		count++;
		luaL_addlstring(&b, s + copied, ov[0] - copied);
		if (r) {
			repl_walk(L, ref.e, r, rlen, &b, s, ov);
		} else {
			uint32_t ncap = ref.e->ncap;
			if (rt == LUA_TTABLE) {
				push_caps(L, s, ov, ncap > 0 ? 1 : 0); /* the key */
				lua_gettable(L, 3);              /* may run __index */
			} else {
				lua_pushvalue(L, 3);
				int n = push_caps(L, s, ov, ncap);
				lua_call(L, n, 1);               /* may call re and evict entries */
			}
			int vt = lua_type(L, -1);
			if (vt == LUA_TSTRING || vt == LUA_TNUMBER) {
				luaL_addvalue(&b);
			} else if (vt == LUA_TNIL || (vt == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
				lua_pop(L, 1);
				luaL_addlstring(&b, s + ov[0], ov[1] - ov[0]); /* keep the match */
			} else {
				return luaL_error(L, "re.gsub: repl gave a %s; expected a string, number, "
						  "false or nil", lua_typename(L, vt));
			}
		}
		copied = ov[1];
	}
	luaL_addlstring(&b, s + copied, len - copied);
	luaL_pushresult(&b);
	lua_pushnumber(L, count);
	return 2;
}

/* Like JavaScript's split: an empty match at the start of a piece or at the end
 * of the subject does not split; captures are not included. */
static int l_split(lua_State *L)
{
	size_t len, plen;
	PCRE2_SIZE local[32];
	const char *s = check_str(L, 1, SIG_SPLIT, &len);
	const char *p = check_str(L, 2, SIG_SPLIT, &plen);
	uint32_t flags = re_flags(L, 3, SIG_SPLIT);
	lua_settop(L, 3);
	struct re_ref ref = { NULL, 0, SIG_SPLIT, p, plen, flags };
	PCRE2_SIZE *ov = ov_room(L, ref_get(L, &ref), local, 32);
	lua_newtable(L);
	int list = lua_gettop(L), n = 0;                 /* stack: s, p, flags[, ov], list */
	struct scan sc = { 0 };
	size_t piece = 0;
	for (;;) {
		int rc = scan_next(L, &ref, &sc, s, len, ov);
		if (rc == 0)
			break;
		if (rc < 0)
			return re_fail(L, ref.e, rc);
		if (ov[0] == ov[1] && (ov[0] == piece || ov[0] == len))
			continue;
		lua_pushlstring(L, s + piece, ov[0] - piece);
		lua_rawseti(L, list, ++n);
		piece = ov[1];
	}
	lua_pushlstring(L, s + piece, len - piece);
	lua_rawseti(L, list, ++n);
	return 1;
}

static const luaL_Reg re_fns[] = {
	{ "match", l_match },
	{ "find", l_find },
	{ "gmatch", l_gmatch },
	{ "gsub", l_gsub },
	{ "split", l_split },
	{ NULL, NULL },
};

int prim_open_re(lua_State *L)
{
	lua_createtable(L, 0, 5);
	luaL_register(L, NULL, re_fns);
	return 1;
}
