/* prim_http.c - the `http` namespace: http.request and its sugar.
 *
 * Each request is a journaled step ("http.request"): a resumed run gets the
 * recorded response and nothing is sent again. Arguments are all checked (and
 * misuse raised) before anything is allocated in C, so a usage error leaks
 * nothing. libcurl runs inside a no-interrupt region: it allocates and holds
 * locks, and the sandbox's hard stop must not land there; the request's own
 * timeouts bound that region.
 *
 * Under a run loop (runloop.h), when the run may suspend, the request does not
 * block: its transfer joins the loop's libcurl multi handle, the run is
 * suspended, and when the transfer is done the run continues in finish() below,
 * which builds the same values as the blocking path and journals them with
 * step_commit (batched with other runs' entries). The Lua-facing functions are
 * small Lua wrappers that call
 * finish() when the C half comes back with the `pending` sentinel: Lua 5.1 C
 * functions cannot go on after a yield. Errors still name the playbook's line. Elsewhere (soarctl run, tests, code in
 * a coroutine the run made, fixture record/replay) the request blocks.
 *
 * Egress: the playbook's `http` checks the hosts the playbook declares; an
 * integration's `http` (http_scope.h) checks its manifest's hosts. A refusal is
 * `nil, "denied"` and a warning in the log.
 *
 * Credentials (bearer, basic, headers) never reach the step's argument summary
 * or an error string: the summary is the method and the URL without userinfo,
 * query or fragment.
 */
#include "http.h"
#include "http_scope.h"
#include "prim_json.h"
#include "log.h"
#include "prim.h"
#include "runinfo.h"
#include "runloop.h"
#include "sandbox.h"
#include "step.h"
#include "store_buf.h"
#include "uuid.h"

#include <ctype.h>
#include <lauxlib.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIG_REQUEST "http.request{method=string, url=string, headers=table, query=table, " \
	"json=value | form=table | body=string, timeout=seconds, connect_timeout=seconds, " \
	"retries=integer, bearer=string, basic={user, password}, max_bytes=integer, " \
	"follow=integer, ca_file=string}"

#define MAX_BYTES_LIMIT ((size_t)256 << 20)
#define MAX_HEADERS 64

static const char *const fields[] = {
	"method", "url", "headers", "query", "json", "form", "body", "timeout",
	"connect_timeout", "retries", "bearer", "basic", "max_bytes", "follow", "ca_file",
	NULL,
};

/* ---- scopes ---- */

static const char scope_tname[] = "soarctl.http_scope";

struct http_scope *http_scope_push(lua_State *L)
{
	struct http_scope *s = lua_newuserdata(L, sizeof *s);
	memset(s, 0, sizeof *s);
	luaL_getmetatable(L, scope_tname);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		luaL_newmetatable(L, scope_tname);
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");   /* getmetatable() hides it */
	}
	lua_setmetatable(L, -2);
	lua_newtable(L);
	lua_setfenv(L, -2);
	return s;
}

struct http_scope *http_scope_get(lua_State *L, int idx)
{
	void *p = lua_touserdata(L, idx);
	if (!p || !lua_getmetatable(L, idx))
		return NULL;
	luaL_getmetatable(L, scope_tname);
	int same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return same ? p : NULL;
}

/* The scope of a playbook's raw http calls: the hosts it declares.
 * hook: the playbook's declared `hosts` are not yet exposed to primitives (a
 * field on struct run_info, asked of the lead); until then a playbook may reach
 * no host, and says so in the log. */
static void playbook_scope(struct egress_scope *s, const struct run_info *ri)
{
	memset(s, 0, sizeof *s);
	if (ri && ri->egress)
		egress_copy(s, ri->egress);
	s->kind = EGRESS_PLAYBOOK;
	snprintf(s->who, sizeof s->who, "playbook %.80s", ri ? ri->playbook : "?");
}

/* ---- reading the request table ---- */

struct req_args {
	const char *method, *url, *body, *bearer, *ca_file;
	size_t body_len;
	int headers, query, json, form, basic;    /* stack indices or 0 */
	double timeout, connect_timeout;
	int retries, follow;
	size_t max_bytes;
	char method_buf[16];
};

static double opt_seconds(lua_State *L, int t, const char *name)
{
	lua_getfield(L, t, name);
	double v = 0;
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0) || lua_tonumber(L, -1) > 3600)
			prim_usage(L, SIG_REQUEST, "%s must be a number of seconds above 0 (at most 3600)", name);
		v = lua_tonumber(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static long opt_int(lua_State *L, int t, const char *name, long lo, long hi, long def)
{
	lua_getfield(L, t, name);
	long v = def;
	if (!lua_isnil(L, -1)) {
		lua_Number n = lua_tonumber(L, -1);
		if (lua_type(L, -1) != LUA_TNUMBER || n != floor(n) || n < lo || n > hi)
			prim_usage(L, SIG_REQUEST, "%s must be an integer from %ld to %ld", name, lo, hi);
		v = (long)n;
	}
	lua_pop(L, 1);
	return v;
}

static const char *opt_str(lua_State *L, int t, const char *name, size_t *len)
{
	lua_getfield(L, t, name);
	const char *s = NULL;
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, SIG_REQUEST, "%s is a %s, not a string", name, luaL_typename(L, -1));
		s = lua_tolstring(L, -1, len);
	}
	lua_pop(L, 1);             /* the string stays alive: the table holds it */
	return s;
}

static int opt_table_field(lua_State *L, int t, const char *name)
{
	lua_getfield(L, t, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1))
		prim_usage(L, SIG_REQUEST, "%s is a %s, not a table", name, luaL_typename(L, -1));
	return lua_gettop(L);      /* left on the stack */
}

static int has_crlf(const char *s, size_t n)
{
	return memchr(s, '\r', n) || memchr(s, '\n', n) || memchr(s, 0, n);
}

static void check_headers(lua_State *L, int h)
{
	int count = 0;
	lua_pushnil(L);
	while (lua_next(L, h)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			prim_usage(L, SIG_REQUEST, "headers must map names to strings");
		size_t nl, vl;
		const char *name = lua_tolstring(L, -2, &nl);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			prim_usage(L, SIG_REQUEST, "header %s is a %s, not a string", name, luaL_typename(L, -1));
		lua_pushvalue(L, -1);
		const char *v = lua_tolstring(L, -1, &vl);
		if (nl == 0 || has_crlf(name, nl) || strchr(name, ':') || strchr(name, ' ') || has_crlf(v, vl))
			prim_usage(L, SIG_REQUEST, "header %s: names and values may not hold line breaks, "
				   "NUL, or (in names) ':' and spaces", name);
		lua_pop(L, 2);
		if (++count > MAX_HEADERS)
			prim_usage(L, SIG_REQUEST, "more than %d headers", MAX_HEADERS);
	}
}

static void check_flat(lua_State *L, int t, const char *what)
{
	int count = 0;
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (++count > 256)
			prim_usage(L, SIG_REQUEST, "%s has more than 256 entries", what);
		if (lua_type(L, -2) != LUA_TSTRING)
			prim_usage(L, SIG_REQUEST, "%s keys must be strings", what);
		int vt = lua_type(L, -1);
		if (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)
			prim_usage(L, SIG_REQUEST, "%s.%s is a %s; give a string, number or boolean", what,
				   lua_tostring(L, -2), luaL_typename(L, -1));
		lua_pop(L, 1);
	}
}

static void read_args(lua_State *L, int t, struct req_args *a)
{
	memset(a, 0, sizeof a[0]);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		int known = 0;
		if (lua_type(L, -1) == LUA_TSTRING)
			for (const char *const *f = fields; *f && !known; f++)
				known = strcmp(*f, lua_tostring(L, -1)) == 0;
		if (!known)
			prim_usage(L, SIG_REQUEST, "unknown field %s", lua_type(L, -1) == LUA_TSTRING
				   ? lua_tostring(L, -1) : luaL_typename(L, -1));
	}
	size_t len;
	a->method = opt_str(L, t, "method", &len);
	if (a->method) {
		if (len == 0 || len >= sizeof a->method_buf)
			prim_usage(L, SIG_REQUEST, "method must be a word like \"GET\"");
		for (size_t i = 0; i < len; i++) {
			if (!isalpha((unsigned char)a->method[i]))
				prim_usage(L, SIG_REQUEST, "method must be a word like \"GET\"");
			a->method_buf[i] = (char)toupper((unsigned char)a->method[i]);
		}
		a->method_buf[len] = 0;
	} else {
		strcpy(a->method_buf, "GET");
	}
	a->method = a->method_buf;
	a->url = opt_str(L, t, "url", &len);
	if (!a->url)
		prim_usage(L, SIG_REQUEST, "url is missing");
	if (strncasecmp(a->url, "http://", 7) != 0 && strncasecmp(a->url, "https://", 8) != 0)
		prim_usage(L, SIG_REQUEST, "url must start with http:// or https://");
	if (has_crlf(a->url, len) || strchr(a->url, ' '))
		prim_usage(L, SIG_REQUEST, "url may not hold spaces or line breaks (encode them)");
	a->body = opt_str(L, t, "body", &a->body_len);
	a->bearer = opt_str(L, t, "bearer", &len);
	if (a->bearer && has_crlf(a->bearer, len))
		prim_usage(L, SIG_REQUEST, "bearer may not hold line breaks");
	a->ca_file = opt_str(L, t, "ca_file", &len);
	a->timeout = opt_seconds(L, t, "timeout");
	a->connect_timeout = opt_seconds(L, t, "connect_timeout");
	a->retries = (int)opt_int(L, t, "retries", 0, 10, -1);
	lua_getfield(L, t, "follow");
	if (lua_isboolean(L, -1)) {
		a->follow = lua_toboolean(L, -1) ? 5 : 0;
		lua_pop(L, 1);
	} else {
		lua_pop(L, 1);
		a->follow = (int)opt_int(L, t, "follow", 0, 20, 0);
	}
	a->max_bytes = (size_t)opt_int(L, t, "max_bytes", 1, (long)MAX_BYTES_LIMIT, 0);
	a->headers = opt_table_field(L, t, "headers");
	if (a->headers)
		check_headers(L, a->headers);
	a->query = opt_table_field(L, t, "query");
	if (a->query)
		check_flat(L, a->query, "query");
	a->form = opt_table_field(L, t, "form");
	if (a->form)
		check_flat(L, a->form, "form");
	lua_getfield(L, t, "json");
	if (!lua_isnil(L, -1))
		a->json = lua_gettop(L);
	else
		lua_pop(L, 1);
	lua_getfield(L, t, "basic");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
	} else if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "user");
		lua_getfield(L, -2, "password");
		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, SIG_REQUEST, "basic must be {user=string, password=string}");
		lua_pushfstring(L, "%s:%s", lua_tostring(L, -2), lua_tostring(L, -1));
		lua_replace(L, -3);
		lua_pop(L, 1);
		a->basic = lua_gettop(L);     /* stack: ..., "user:password" */
	} else if (lua_type(L, -1) == LUA_TSTRING && strchr(lua_tostring(L, -1), ':')) {
		a->basic = lua_gettop(L);
	} else {
		prim_usage(L, SIG_REQUEST, "basic must be {user=string, password=string} or \"user:password\"");
	}
	if ((a->json != 0) + (a->form != 0) + (a->body != NULL) > 1)
		prim_usage(L, SIG_REQUEST, "give at most one of json, form and body");
	if (a->bearer && a->basic)
		prim_usage(L, SIG_REQUEST, "give bearer or basic, not both");
}

/* ---- building the request (C memory from here on: no Lua errors) ---- */

static void base64(struct store_buf *b, const unsigned char *s, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		char o[4] = { tbl[v >> 18 & 63], tbl[v >> 12 & 63],
			      i + 1 < n ? tbl[v >> 6 & 63] : '=', i + 2 < n ? tbl[v & 63] : '=' };
		store_buf_add(b, o, 4);
	}
}

/* Appends k=v pairs of table t, keys sorted so that a URL or a form body is the
 * same every time (fixtures match on it). Uses the Lua stack, never raises: t's
 * contents were checked. */
static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_pairs(lua_State *L, int t, struct store_buf *b, int form)
{
	const char *keys[256];
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, t) && n < 256) {
		keys[n++] = lua_tostring(L, -2);     /* held by the table */
		lua_pop(L, 1);
	}
	if (n == 256)
		lua_pop(L, 2);
	qsort(keys, n, sizeof keys[0], cmp_cstr);
	for (size_t i = 0; i < n; i++) {
		lua_getfield(L, t, keys[i]);
		size_t vl;
		const char *v;
		if (lua_isboolean(L, -1))
			v = lua_toboolean(L, -1) ? "true" : "false", vl = strlen(v);
		else
			v = lua_tolstring(L, -1, &vl);
		if (i)
			store_buf_add(b, "&", 1);
		http_urlencode(b, keys[i], strlen(keys[i]), form);
		store_buf_add(b, "=", 1);
		http_urlencode(b, v, vl, form);
		lua_pop(L, 1);
	}
}

static int has_header(lua_State *L, int h, const char *name)
{
	if (!h)
		return 0;
	int found = 0;
	lua_pushnil(L);
	while (lua_next(L, h)) {
		lua_pop(L, 1);
		if (!found && strcasecmp(lua_tostring(L, -1), name) == 0)
			found = 1;
	}
	return found;
}

/* "GET https://host/path": no userinfo, query or fragment (they may hold keys). */
static void summary(char *out, size_t len, const char *method, const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *auth_end = p + strcspn(p, "/?#");
	const char *at = p;
	for (const char *c = p; c < auth_end; c++)
		if (*c == '@')
			at = c + 1;
	size_t scheme = (size_t)(p - url);
	size_t path = strcspn(auth_end, "?#");
	snprintf(out, len, "%s %.*s%.*s%.*s", method, (int)scheme, url, (int)(auth_end - at), at,
		 (int)path, auth_end);
}

/* ---- the response ---- */

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	size_t n = strcspn(ct, ";");
	while (n && ct[n - 1] == ' ')
		n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* Pushes {status, headers, body, json, url, attempts}. */
static void push_response(lua_State *L, long status, const struct http_header *h, size_t nh,
			  const char *body, size_t body_len, const char *url, int attempts)
{
	lua_createtable(L, 0, 7);
	lua_pushinteger(L, status);
	lua_setfield(L, -2, "status");
	lua_createtable(L, 0, (int)nh);
	for (size_t i = 0; i < nh; i++) {
		lua_getfield(L, -1, h[i].name);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_pushstring(L, h[i].value);
		} else {                        /* repeated: joined as RFC 9110 allows */
			lua_pushliteral(L, ", ");
			lua_pushstring(L, h[i].value);
			lua_concat(L, 3);
		}
		lua_setfield(L, -2, h[i].name);
	}
	lua_setfield(L, -2, "headers");
	lua_pushlstring(L, body ? body : "", body_len);
	lua_setfield(L, -2, "body");
	const char *ct = NULL;
	for (size_t i = 0; i < nh; i++)
		if (strcmp(h[i].name, "content-type") == 0)
			ct = h[i].value;
	if (is_json_type(ct) && body_len > 0) {
		char err[200];
		if (json_decode_push(L, body, body_len, NULL, err, sizeof err) == 0) {
			lua_setfield(L, -2, "json");
		} else {
			lua_pushstring(L, err);
			lua_setfield(L, -2, "json_error");
		}
	}
	if (url) {
		lua_pushstring(L, url);
		lua_setfield(L, -2, "url");
	}
	lua_pushinteger(L, attempts);
	lua_setfield(L, -2, "attempts");
}

static int push_failure(lua_State *L, const char *err, const char *detail)
{
	lua_pushnil(L);
	lua_pushstring(L, err);
	lua_pushstring(L, detail);
	return 3;
}

/* What a finished request gives the playbook, blocking or not: the response
 * table (1 value), or nil, kind, detail; out of memory raises. */
static int push_result(lua_State *L, enum http_err e, struct http_response *resp,
		       const char *detail)
{
	if (e == HTTP_ENOMEM)
		return luaL_error(L, "http.request: out of memory");
	if (e != HTTP_OK)
		return push_failure(L, http_err_name(e), detail);
	push_response(L, resp->status, resp->headers, resp->nheaders, resp->body, resp->body_len,
		      resp->final_url, resp->attempts);
	prim_noint_enter();
	http_response_clear(resp);
	prim_noint_leave();
	return 1;
}

/* ---- fixtures (integration scopes) ---- */

/* The path and query of a URL: what a fixture matches on, whatever the host. */
static const char *url_path(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	return *p ? p : "/";
}

/* Replays the next unused exchange of the fixture (env.fixture) whose method and
 * path (without the query) match; pushes the response (1 value) or raises naming what was missing:
 * a fixture that lacks a request is a broken test, not a failure of the world. */
static int replay_fixture(lua_State *L, int scope_idx, struct http_scope *s, const char *method,
			  const char *url)
{
	const char *path = url_path(url);
	int base = lua_gettop(L);
	lua_getfenv(L, scope_idx);
	lua_getfield(L, -1, "fixture");
	int fx = lua_gettop(L);
	if (!lua_istable(L, fx))
		return luaL_error(L, "http.request: %s replays fixture %s, which holds no exchanges",
				  s->egress.who, s->fixture_name);
	int n = (int)lua_objlen(L, fx);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, fx, i);                      /* stack: env, fx, ex */
		lua_getfield(L, -1, "used");
		int used = lua_toboolean(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, -1, "request");
		lua_getfield(L, -1, "method");
		lua_getfield(L, -2, "path");
		const char *m = lua_tostring(L, -2), *p = lua_tostring(L, -1);
		/* The query is not compared: it may hold a key, scrubbed when recorded. */
		size_t pl = strcspn(path, "?"), ql = p ? strcspn(p, "?") : 0;
		int match = !used && m && p && strcasecmp(m, method) == 0 && pl == ql &&
			    memcmp(p, path, pl) == 0;
		lua_pop(L, 3);
		if (!match) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "used");
		lua_getfield(L, -1, "response");            /* stack: env, fx, ex, resp */
		if (!lua_istable(L, -1))
			return luaL_error(L, "fixture %s: exchange %d has no response", s->fixture_name, i);
		lua_getfield(L, -1, "status");
		long status = (long)lua_tointeger(L, -1);
		lua_pop(L, 1);
		struct http_header hs[32];
		size_t nh = 0;
		lua_getfield(L, -1, "headers");
		if (lua_istable(L, -1)) {
			lua_pushnil(L);
			while (lua_next(L, -2) && nh < 32) {
				if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
					hs[nh].name = (char *)lua_tostring(L, -2);
					hs[nh].value = (char *)lua_tostring(L, -1);
					nh++;
				}
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
		/* The body: "body" as text, or "json" (readable fixtures) re-encoded. */
		size_t blen = 0;
		const char *body = NULL;
		struct json_buf jb = { 0 };
		lua_getfield(L, -1, "body");
		if (lua_isstring(L, -1)) {
			body = lua_tolstring(L, -1, &blen);
		} else {
			lua_getfield(L, -2, "json");
			if (!lua_isnil(L, -1)) {
				char err[200];
				if (json_encode_lua(L, lua_gettop(L), NULL, &jb, err, sizeof err) != 0) {
					json_buf_free(&jb);
					return luaL_error(L, "fixture %s: exchange %d: %s", s->fixture_name, i, err);
				}
				body = jb.data;
				blen = jb.len;
				int has_ct = 0;
				for (size_t k = 0; k < nh; k++)
					has_ct |= strcasecmp(hs[k].name, "content-type") == 0;
				if (!has_ct && nh < 32) {
					hs[nh].name = "content-type";
					hs[nh].value = "application/json";
					nh++;
				}
			}
		}
		/* Header names in fixtures may be in any case; responses use lowercase. */
		char lownames[32][64];
		for (size_t k = 0; k < nh; k++) {
			snprintf(lownames[k], sizeof lownames[k], "%s", hs[k].name);
			for (char *c = lownames[k]; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			hs[k].name = lownames[k];
		}
		push_response(L, status ? status : 200, hs, nh, body, blen, url, 1);
		json_buf_free(&jb);
		lua_replace(L, base + 1);
		lua_settop(L, base + 1);                    /* stack: response */
		return 1;
	}
	return luaL_error(L, "http.request: fixture %s has no (unused) recorded exchange for %s %s; "
			  "record it again or add it", s->fixture_name, method, path);
}

/* Appends {request={method, path}, response={status, headers, body}} to
 * env.recorded; the response table is at the top. Secrets are scrubbed when the
 * fixture is written (integration code knows which ones were read). */
static void record_exchange(lua_State *L, int scope_idx, const char *method, const char *url)
{
	int resp = lua_gettop(L);
	lua_getfenv(L, scope_idx);
	lua_getfield(L, -1, "recorded");
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "recorded");
	}
	lua_createtable(L, 0, 2);                           /* stack: env, rec, ex */
	lua_createtable(L, 0, 2);
	lua_pushstring(L, method);
	lua_setfield(L, -2, "method");
	lua_pushstring(L, url_path(url));
	lua_setfield(L, -2, "path");
	lua_setfield(L, -2, "request");
	lua_createtable(L, 0, 3);
	lua_getfield(L, resp, "status");
	lua_setfield(L, -2, "status");
	lua_createtable(L, 0, 1);
	lua_getfield(L, resp, "headers");
	lua_getfield(L, -1, "content-type");
	lua_setfield(L, -3, "content-type");
	lua_pop(L, 1);
	lua_setfield(L, -2, "headers");
	lua_getfield(L, resp, "json");
	if (!lua_isnil(L, -1)) {
		lua_setfield(L, -2, "json");
	} else {
		lua_pop(L, 1);
		lua_getfield(L, resp, "body");
		lua_setfield(L, -2, "body");
	}
	lua_setfield(L, -2, "response");
	lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
	lua_settop(L, resp);
}

/* ---- the request ---- */

struct check_ctx {
	const struct egress_scope *scope;
	const char *run_id;
};

static int check_host(const char *host, void *ud)
{
	struct check_ctx *c = ud;
	if (egress_allows(c->scope, host))
		return 1;
	egress_log_denied(c->scope, c->run_id, host);
	return 0;
}

/* A request in flight under a run loop. Its egress scope is copied up to the
 * hosts it uses, for redirect checks, and its summary follows: one allocation
 * sized to fit, since thousands wait at once. */
struct async_req {
	struct http_xfer *x;
	struct check_ctx cc;
	char run_id[40];
	char *sum;                    /* after the scope's last host */
	struct egress_scope scope;    /* must stay last */
};

static const char pending_key = 0;    /* its address: the `pending` sentinel */

static int push_pending(lua_State *co, void *arg)
{
	(void)arg;
	lua_pushlightuserdata(co, (void *)&pending_key);
	return 1;
}

static void async_release(void *arg)
{
	struct async_req *ar = arg;
	http_xfer_free(ar->x);
	free(ar);
}

/* Does the request described by the table at `t`. `scope_idx` is the scope's
 * stack index, or 0 for the playbook's own scope. Returns the values pushed. */
static int do_request(lua_State *L, int t, int scope_idx)
{
	struct req_args a;
	read_args(L, t, &a);
	struct http_scope *hs = scope_idx ? http_scope_get(L, scope_idx) : NULL;
	struct run_info *ri = sandbox_current();
	char sum[512];
	summary(sum, sizeof sum, a.method, a.url);

	int n = step_replay(L, "http.request");
	if (n >= 0)
		return n;
	int top = lua_gettop(L);

	struct egress_scope own;
	const struct egress_scope *scope = hs ? &hs->egress : &own;
	if (!hs)
		playbook_scope(&own, ri);
	char host[EGRESS_HOST_LEN];
	if (http_url_host(a.url, host, sizeof host) != 0)
		prim_usage(L, SIG_REQUEST, "url is not a valid http(s) URL");
	/* Replaying a fixture never touches the network, so no host is checked. */
	if (hs && hs->mode == HTTP_REPLAY) {
		replay_fixture(L, scope_idx, hs, a.method, a.url);
		return step_commit(L, "http.request", sum, 1);
	}
	struct check_ctx cc = { scope, ri ? ri->id : NULL };
	if (!check_host(host, &cc)) {
		push_failure(L, "denied", "");
		lua_pop(L, 1);
		lua_pushfstring(L, "%s may not reach host %s (declare it in hosts)", scope->who, host);
		return step_commit(L, "http.request", sum, 3);
	}

	/* Everything Lua-side is known; now build the C strings. */
	struct store_buf url = { 0 }, hdr = { 0 }, body = { 0 };
	store_buf_str(&url, a.url);
	if (a.query) {
		store_buf_add(&url, strchr(a.url, '?') ? "&" : "?", 1);
		add_pairs(L, a.query, &url, 0);
	}
	const char *body_p = a.body;
	size_t body_len = a.body_len;
	const char *ctype = NULL;
	char err[256];
	if (a.json) {
		struct json_buf jb = { 0 };
		if (json_encode_lua(L, a.json, NULL, &jb, err, sizeof err) != 0) {
			json_buf_free(&jb);
			store_buf_free(&url);
			prim_usage(L, SIG_REQUEST, "json cannot be encoded: %s", err);
		}
		store_buf_add(&body, jb.data, jb.len);
		json_buf_free(&jb);
		ctype = "application/json";
	} else if (a.form) {
		add_pairs(L, a.form, &body, 1);
		ctype = "application/x-www-form-urlencoded";
	}
	if (a.json || a.form) {
		body_p = body.p ? body.p : "";
		body_len = body.len;
	}
	/* Header lines, NUL-separated in one buffer; pointers made afterwards. */
	size_t nlines = 0;
	if (a.headers) {
		lua_pushnil(L);
		while (lua_next(L, a.headers)) {
			size_t vl;
			lua_pushvalue(L, -1);
			const char *v = lua_tolstring(L, -1, &vl);
			store_buf_printf(&hdr, "%s: %s", lua_tostring(L, -3), v);
			store_buf_add(&hdr, "", 1);
			nlines++;
			lua_pop(L, 2);
		}
	}
	if (ctype && !has_header(L, a.headers, "content-type")) {
		store_buf_printf(&hdr, "Content-Type: %s", ctype);
		store_buf_add(&hdr, "", 1);
		nlines++;
	}
	if (a.json && !has_header(L, a.headers, "accept")) {
		store_buf_str(&hdr, "Accept: application/json");
		store_buf_add(&hdr, "", 1);
		nlines++;
	}
	if (a.bearer) {
		store_buf_printf(&hdr, "Authorization: Bearer %s", a.bearer);
		store_buf_add(&hdr, "", 1);
		nlines++;
	} else if (a.basic) {
		size_t bl;
		const char *up = lua_tolstring(L, a.basic, &bl);
		store_buf_str(&hdr, "Authorization: Basic ");
		base64(&hdr, (const unsigned char *)up, bl);
		store_buf_add(&hdr, "", 1);
		nlines++;
	}
	/* A request that changes something carries a key made of the run and the
	 * step, so a vendor that honours it does the change once even when a crash
	 * makes the run send it again. */
	if (strcmp(a.method, "GET") != 0 && strcmp(a.method, "HEAD") != 0 &&
	    !has_header(L, a.headers, "idempotency-key")) {
		unsigned pos = step_position(L);
		if (hs && hs->step)
			store_buf_printf(&hdr, "Idempotency-Key: %s-%u.%u", hs->run_id, hs->step, ++hs->sub);
		else if (pos && ri)
			store_buf_printf(&hdr, "Idempotency-Key: %s-%u", ri->id, pos);
		else {
			char u[40];
			uuid_v4(u);
			store_buf_printf(&hdr, "Idempotency-Key: %s", u);
		}
		store_buf_add(&hdr, "", 1);
		nlines++;
	}
	const char *lines[MAX_HEADERS + 8];
	const char *p = hdr.p;
	for (size_t i = 0; i < nlines; i++) {
		lines[i] = p;
		p += strlen(p) + 1;
	}
	const char *url_c = store_buf_cstr(&url);
	if (url.oom || hdr.oom || body.oom || !url_c) {
		store_buf_free(&url);
		store_buf_free(&hdr);
		store_buf_free(&body);
		return luaL_error(L, "http.request: out of memory");
	}
	struct http_request req = {
		.method = a.method, .url = url_c, .headers = lines, .nheaders = nlines,
		.body = body_p, .body_len = body_len, .timeout = a.timeout,
		.connect_timeout = a.connect_timeout, .max_bytes = a.max_bytes,
		.retries = a.retries, .backoff = -1, .follow = a.follow, .ca_file = a.ca_file,
		.check = check_host, .check_ud = &cc,
	};
	if (runloop_current() && sandbox_can_suspend(L) && (!hs || hs->mode == HTTP_LIVE)) {
		/* The transfer outlives this C frame: it gets its own copies. */
		size_t scope_bytes = offsetof(struct egress_scope, hosts) +
				     scope->nhosts * sizeof scope->hosts[0];
		size_t sum_len = strlen(sum);
		prim_noint_enter();
		struct async_req *ar = malloc(offsetof(struct async_req, scope) + scope_bytes + sum_len + 1);
		if (ar) {
			memcpy(&ar->scope, scope, scope_bytes);
			snprintf(ar->run_id, sizeof ar->run_id, "%s", ri ? ri->id : "");
			ar->sum = (char *)&ar->scope + scope_bytes;
			memcpy(ar->sum, sum, sum_len + 1);
			ar->cc.scope = &ar->scope;
			ar->cc.run_id = ri ? ar->run_id : NULL;
			req.check_ud = &ar->cc;
			ar->x = http_xfer_new(&req);
			if (!ar->x) {
				free(ar);
				ar = NULL;
			}
		}
		store_buf_free(&url);
		store_buf_free(&hdr);
		store_buf_free(&body);
		prim_noint_leave();
		if (!ar)
			return luaL_error(L, "http.request: out of memory");
		lua_settop(L, top);
		return runloop_http_wait(L, ar->x, push_pending, ar, async_release);
	}
	struct http_response resp;
	char detail[256];
	/* What a fixture records: the path with its query (scrubbed when written). */
	if (hs && hs->mode == HTTP_RECORD)
		lua_pushstring(L, url_c);
	const char *recorded_url = hs && hs->mode == HTTP_RECORD ? lua_tostring(L, -1) : NULL;
	prim_noint_enter();
	enum http_err e = http_perform(&req, &resp, detail, sizeof detail);
	store_buf_free(&url);
	store_buf_free(&hdr);
	store_buf_free(&body);
	prim_noint_leave();
	if (recorded_url)
		lua_replace(L, top + 1);
	lua_settop(L, recorded_url ? top + 1 : top);
	int nres = push_result(L, e, &resp, detail);
	if (e == HTTP_OK && hs && hs->mode == HTTP_RECORD)
		record_exchange(L, scope_idx, a.method, recorded_url);
	return step_commit(L, "http.request", sum, nres);
}

/* The continuation of an asynchronous request (see the top of this file):
 * the same values as the blocking path, journaled the same way. */
static int l_finish(lua_State *L)
{
	struct async_req *ar = runloop_http_take();
	if (!ar)
		return luaL_error(L, "http.request: no finished request to continue");
	struct http_response resp;
	char detail[256], sum[512];
	snprintf(sum, sizeof sum, "%s", ar->sum);
	prim_noint_enter();
	enum http_err e = http_xfer_result(ar->x, &resp, detail, sizeof detail);
	http_xfer_free(ar->x);
	free(ar);
	prim_noint_leave();
	lua_settop(L, 0);
	return step_commit(L, "http.request", sum, push_result(L, e, &resp, detail));
}

/* ---- bindings ---- */

/* upvalue 1: the scope, or nil for a playbook's own http */
static int scope_upvalue(lua_State *L)
{
	return lua_isuserdata(L, lua_upvalueindex(1)) ? lua_upvalueindex(1) : 0;
}

static int l_request(lua_State *L)
{
	if (!lua_istable(L, 1))
		prim_usage(L, SIG_REQUEST, "argument 1 is %s, not a table",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	lua_settop(L, 1);
	int sc = scope_upvalue(L);
	if (sc) {
		lua_pushvalue(L, sc);
		sc = lua_gettop(L);
	}
	return do_request(L, 1, sc);
}

/* http.get(url [, opts]) and friends: the request table is opts + method + url. */
static int sugar(lua_State *L, const char *method, const char *sig)
{
	prim_check_string(L, 1, sig, NULL);
	int has_opts = prim_opt_table(L, 2, sig);
	lua_settop(L, 2);
	lua_newtable(L);                                    /* stack: url, opts, req */
	if (has_opts) {
		lua_pushnil(L);
		while (lua_next(L, 2)) {
			if (lua_type(L, -2) == LUA_TSTRING && (strcmp(lua_tostring(L, -2), "url") == 0 ||
							      strcmp(lua_tostring(L, -2), "method") == 0))
				prim_usage(L, sig, "url and method are given by the call, not in opts");
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_settable(L, 3);
		}
	}
	lua_pushstring(L, method);
	lua_setfield(L, 3, "method");
	lua_pushvalue(L, 1);
	lua_setfield(L, 3, "url");
	lua_replace(L, 1);
	lua_settop(L, 1);
	int sc = scope_upvalue(L);
	if (sc) {
		lua_pushvalue(L, sc);
		sc = lua_gettop(L);
	}
	return do_request(L, 1, sc);
}

static int l_get(lua_State *L) { return sugar(L, "GET", "http.get(url: string [, opts: table])"); }
static int l_post(lua_State *L) { return sugar(L, "POST", "http.post(url: string [, opts: table])"); }
static int l_put(lua_State *L) { return sugar(L, "PUT", "http.put(url: string [, opts: table])"); }
static int l_delete(lua_State *L) { return sugar(L, "DELETE", "http.delete(url: string [, opts: table])"); }

/* Re-raises an error of the C half where the playbook called: the wrapper's
 * frames are gone by then (tail calls), so level 1 is the playbook's line, as
 * when the C function was called directly. */
static int l_rethrow(lua_State *L)
{
	lua_settop(L, 1);
	if (lua_type(L, 1) == LUA_TSTRING) {
		luaL_where(L, 1);
		lua_insert(L, 1);
		lua_concat(L, 2);                        /* stack: "file:line: " .. msg */
	}
	return lua_error(L);
}

/* Makes the Lua-facing function from a C one. The C half runs under pcall
 * (yields pass through LuaJIT's pcall); its errors are raised again from a
 * tail call (l_rethrow), and the pending sentinel leads to finish(), so that
 * errors, tracebacks' innermost lines and messages name the playbook's line. */
static const char wrap_src[] =
	"local finish, pending, rethrow, pcall = ...\n"
	"return function(f)\n"
	"  local function settle(ok, first, ...)\n"
	"    if not ok then return rethrow(first) end\n"
	"    if first == pending then return finish() end\n"
	"    return first, ...\n"
	"  end\n"
	"  return function(...) return settle(pcall(f, ...)) end\n"
	"end\n";

static const char wrap_key[] = "soarctl.http_wrap";

/* Pushes the wrapper factory (made once per state, kept in the registry). */
static void push_wrap(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, wrap_key);
	if (!lua_isnil(L, -1))
		return;
	lua_pop(L, 1);
	if (luaL_loadbuffer(L, wrap_src, sizeof wrap_src - 1, "=http") != 0)
		lua_error(L);
	lua_pushcfunction(L, l_finish);
	lua_pushlightuserdata(L, (void *)&pending_key);
	lua_pushcfunction(L, l_rethrow);
	lua_getfield(L, LUA_GLOBALSINDEX, "pcall");
	if (!lua_isfunction(L, -1))
		luaL_error(L, "http: the state has no pcall");
	lua_call(L, 4, 1);                             /* stack: factory */
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, wrap_key);
}

/* Pushes fn (a C function with upvalue `scope`, or nil) wrapped. */
static void push_wrapped(lua_State *L, lua_CFunction fn, int scope_idx)
{
	push_wrap(L);
	if (scope_idx)
		lua_pushvalue(L, scope_idx);
	else
		lua_pushnil(L);
	lua_pushcclosure(L, fn, 1);
	lua_call(L, 1, 1);
}

static const luaL_Reg http_fns[] = {
	{ "request", l_request },
	{ "get", l_get },
	{ "post", l_post },
	{ "put", l_put },
	{ "delete", l_delete },
	{ NULL, NULL },
};

void http_push_namespace(lua_State *L, int scope_idx)
{
	if (scope_idx < 0 && scope_idx > LUA_REGISTRYINDEX)
		scope_idx = lua_gettop(L) + scope_idx + 1;
	lua_createtable(L, 0, 5);
	for (const luaL_Reg *r = http_fns; r->name; r++) {
		push_wrapped(L, r->func, scope_idx);
		lua_setfield(L, -2, r->name);
	}
}

int prim_open_http(lua_State *L)
{
	lua_createtable(L, 0, 5);
	for (const luaL_Reg *r = http_fns; r->name; r++) {
		push_wrapped(L, r->func, 0);               /* no scope: the playbook's */
		lua_setfield(L, -2, r->name);
	}
	return 1;
}
