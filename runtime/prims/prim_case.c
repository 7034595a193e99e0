/* prim_case.c - the `case` and `indicator` Lua namespaces, over case.h and
 * indicator.h (plain C functions a later issue can journal as steps).
 *
 * Misuse (unknown field, bad severity, wrong argument type) raises; the outside
 * world saying no (not found, a refused transition, a full disk, an invalid
 * indicator value from an alert) returns nil, err.
 *
 * Memory: every C-heap object (field copies, records, pages) lives in a "box"
 * userdata with a __gc, allocated before the C call fills it, so a Lua error
 * (out of memory at the run's cap, the watchdog's stop) while building the
 * result table frees it instead of leaking. Store calls run in a
 * non-interruptible region: the watchdog must not longjmp out of LMDB.
 *
 * Times are Unix seconds (numbers, fractions allowed) in both directions.
 */
#include "prim.h"

#include "case_attachment.h"
#include "prim_sla.h"
#include "sla_watch.h"
#include "case.h"
#include "indicator.h"
#include "prim_json.h"
#include "runinfo.h"
#include "runstore.h"
#include "sandbox.h"

#include "mime.h"
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_CREATE "case.create{title=string, type=, severity=, status=, owner=, role=, " \
	"labels=, custom=, dedupe_key=, source=, parent=, sla_due=, sla_pause_pending=, on_breach=}"
#define SIG_GET "case.get(ref: number|string)"
#define SIG_UPDATE "case.update(ref, {field=value, ...})"
#define SIG_NOTE "case.note(ref, text: string [, {kind=string, data=table|string}])"
#define SIG_ATTACH "case.attach(ref, name: string, data: string)"
#define SIG_ATTACHMENT "case.attachment(ref, name: string)"
#define SIG_LINK "case.link(ref, other [, relation: \"related\"|\"parent\"|\"child\"])"
#define SIG_CLOSE "case.close(ref, reason: string)"
#define SIG_TIMELINE "case.timeline(ref [, {from=number, limit=number}])"
#define SIG_SEARCH "case.search{status=, severity=, type=, owner=, role=, label=, " \
	"dedupe_key=, parent=, created_after=, created_before=, updated_after=, " \
	"updated_before=, sort=\"created\"|\"updated\", ascending=, limit=, cursor=}"
#define SIG_IGET "indicator.get(type: string, value: string)"
#define SIG_ISET "indicator.set(type: string, value: string [, {verdict=, score=, " \
	"sources=, tags=, seen=, expires=, case=}])"
#define SIG_ISEARCH "indicator.search{type=, verdict=, tag=, min_score=, limit=, cursor=}"

/* Who writes, for the timeline: "playbook:NAME run:ID" inside a run, else
 * "playbook" (a state with no run: tests, the REPL before a run). */
#define ACTOR_MAX (16 + sizeof ((struct run_info *)0)->playbook + sizeof ((struct run_info *)0)->id)

static const char *actor(char buf[ACTOR_MAX])
{
	const struct run_info *ri = sandbox_current();
	if (ri && ri->actor)
		return ri->actor;
	if (!ri || !ri->playbook[0])
		return "playbook";
	if (ri->id[0])
		snprintf(buf, ACTOR_MAX, "playbook:%.*s run:%.*s", (int)sizeof ri->playbook,
			 ri->playbook, (int)sizeof ri->id, ri->id);
	else
		snprintf(buf, ACTOR_MAX, "playbook:%.*s", (int)sizeof ri->playbook, ri->playbook);
	return buf;
}
#define BOX_MT "soarctl.case.box"

enum { BOX_NONE, BOX_FIELDS, BOX_CASE, BOX_PAGE, BOX_IND, BOX_IPAGE, BOX_ENTRIES, BOX_BYTES };

struct box {
	int kind;
	union {
		struct case_fields f;
		struct case_rec c;
		struct case_page p;
		struct indicator i;
		struct indicator_page ip;
		struct { struct case_entry *e; size_t n; } en;
		struct { void *p; size_t n; } bytes;   /* an attachment read back */
	} u;
};

static int box_gc(lua_State *L)
{
	struct box *b = lua_touserdata(L, 1);
	if (!b)
		return 0;
	switch (b->kind) {
	case BOX_FIELDS: case_fields_free(&b->u.f); break;
	case BOX_CASE: case_rec_free(&b->u.c); break;
	case BOX_PAGE: case_page_free(&b->u.p); break;
	case BOX_IND: indicator_free(&b->u.i); break;
	case BOX_IPAGE: indicator_page_free(&b->u.ip); break;
	case BOX_ENTRIES: case_entries_free(b->u.en.e, b->u.en.n); free(b->u.en.e); break;
	case BOX_BYTES: free(b->u.bytes.p); break;
	default: break;
	}
	b->kind = BOX_NONE;
	return 0;
}

/* Pushes an empty box of `kind`. */
static struct box *box_new(lua_State *L, int kind)
{
	struct box *b = lua_newuserdata(L, sizeof *b);
	memset(b, 0, sizeof *b);
	if (luaL_newmetatable(L, BOX_MT)) {
		lua_pushcfunction(L, box_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_setmetatable(L, -2);
	b->kind = kind;
	return b;
}

static struct store *get_store(char *err, size_t errlen)
{
	prim_noint_enter();
	struct store *st = store_default(err, errlen);
	prim_noint_leave();
	return st;
}

static int fail(lua_State *L, const char *err)
{
	lua_pushnil(L);
	lua_pushstring(L, err);
	return 2;
}

/* A case ref argument: a number (the short number) or a string. */
static const char *check_ref(lua_State *L, int idx, const char *sig, char *buf, size_t len)
{
	if (lua_type(L, idx) == LUA_TNUMBER) {
		lua_Number n = lua_tonumber(L, idx);
		if (n < 1 || n != floor(n) || n > 9e15)
			prim_usage(L, sig, "case number must be a positive integer");
		snprintf(buf, len, "%.0f", n);
		return buf;
	}
	if (lua_type(L, idx) == LUA_TSTRING)
		return lua_tostring(L, idx);
	prim_usage(L, sig, "ref must be a case number or id, not %s", luaL_typename(L, idx));
}

static double to_seconds(int64_t ms)
{
	return (double)ms / 1000.0;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (!v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void set_time(lua_State *L, const char *k, int64_t ms)
{
	if (ms)
		set_num(L, k, to_seconds(ms));
}

/* Decodes stored JSON into a field. What the store holds passed json_check, the
 * same reader as json.decode, so this does not fail; a record written by an
 * older version under looser rules (a duplicate key, 1e999999) may. Then the
 * field is not silently missing: `<k>_error` says why and `<k>_text` holds the
 * stored text. */
static void set_json(lua_State *L, const char *k, const char *json)
{
	char err[200], name[32];
	if (!json)
		return;
	if (json_decode_push(L, json, strlen(json), NULL, err, sizeof err) == 0) {
		lua_setfield(L, -2, k);
		return;
	}
	snprintf(name, sizeof name, "%s_error", k);
	lua_pushfstring(L, "the stored %s is not JSON that json.decode reads (%s); "
			"its text is in %s_text", k, err, k);
	lua_setfield(L, -2, name);
	snprintf(name, sizeof name, "%s_text", k);
	lua_pushstring(L, json);
	lua_setfield(L, -2, name);
}

/* Pushes a case as a table. */
static void push_case(lua_State *L, const struct case_rec *c)
{
	int64_t now = store_now_ms();
	lua_createtable(L, 0, 24);
	set_num(L, "number", (double)c->seq);
	set_str(L, "id", c->id);
	set_str(L, "title", c->title);
	set_str(L, "type", c->type);
	set_str(L, "severity", case_severity_name(c->severity));
	set_str(L, "status", case_status_name(c->status));
	set_str(L, "owner", c->owner);
	set_str(L, "role", c->role);
	lua_createtable(L, (int)c->nlabels, 0);
	for (size_t i = 0; i < c->nlabels; i++) {
		lua_pushstring(L, c->labels[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "labels");
	set_json(L, "custom", c->custom_json ? c->custom_json : "{}");
	set_json(L, "source", c->source_json);
	set_time(L, "created", c->created);
	set_time(L, "updated", c->updated);
	set_time(L, "closed", c->closed);
	set_str(L, "close_reason", c->close_reason);
	set_str(L, "dedupe_key", c->dedupe_key);
	if (c->parent)
		set_num(L, "parent", (double)c->parent);
	if (c->sla_due) {
		lua_createtable(L, 0, 4);
		set_num(L, "due", to_seconds(case_sla_effective_due(c, now)));
		lua_pushboolean(L, case_sla_breached(c, now));
		lua_setfield(L, -2, "breached");
		lua_pushboolean(L, c->sla_paused_at != 0);
		lua_setfield(L, -2, "paused");
		lua_pushboolean(L, c->sla_pause_pending);
		lua_setfield(L, -2, "pause_while_pending");
		lua_setfield(L, -2, "sla");
	}
	set_num(L, "entries", c->entries);
}

/* Converts the value at stack top for field `name` to text; pops nothing.
 * Returns the text (owned by Lua, on the stack top after conversion). */
static const char *field_text(lua_State *L, const char *sig, const char *name)
{
	int t = lua_type(L, -1);
	if (strcmp(name, "custom") == 0 || strcmp(name, "source") == 0) {
		if (t == LUA_TSTRING)
			return lua_tostring(L, -1);
		if (t != LUA_TTABLE)
			prim_usage(L, sig, "%s must be a table or a JSON string", name);
		struct json_buf jb = { 0 };
		char err[300];
		/* Not inside a no-interrupt region: the encoder walks the run's table
		 * (as long as the run likes) and protects its own reallocs. */
		int rc = json_encode_lua(L, -1, NULL, &jb, err, sizeof err);
		if (rc != 0) {
			prim_noint_enter();
			json_buf_free(&jb);
			prim_noint_leave();
			prim_usage(L, sig, "%s: %s", name, err);
		}
		lua_pushlstring(L, jb.data ? jb.data : "", jb.len);
		prim_noint_enter();
		json_buf_free(&jb);
		prim_noint_leave();
		lua_replace(L, -2);
		return lua_tostring(L, -1);
	}
	if (strcmp(name, "labels") == 0 && t == LUA_TTABLE) {
		luaL_Buffer b;
		size_t n = lua_objlen(L, -1);
		int tbl = lua_gettop(L);
		luaL_buffinit(L, &b);
		for (size_t i = 1; i <= n; i++) {
			lua_rawgeti(L, tbl, (int)i);
			if (lua_type(L, -1) != LUA_TSTRING)
				prim_usage(L, sig, "labels must be strings");
			if (i > 1)
				luaL_addchar(&b, ',');
			luaL_addvalue(&b);
		}
		luaL_pushresult(&b);
		lua_replace(L, tbl);
		return lua_tostring(L, -1);
	}
	if (t == LUA_TBOOLEAN) {
		lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
		lua_replace(L, -2);
		return lua_tostring(L, -1);
	}
	if (t == LUA_TNUMBER) {
		lua_Number n = lua_tonumber(L, -1);
		char buf[64];
		if (strcmp(name, "sla_due") == 0) /* Unix seconds */
			snprintf(buf, sizeof buf, "@%.3f", n);
		else if (n == floor(n) && fabs(n) < 9e15)
			snprintf(buf, sizeof buf, "%.0f", n);
		else
			snprintf(buf, sizeof buf, "%.17g", n);
		lua_pushstring(L, buf);
		lua_replace(L, -2);
		return lua_tostring(L, -1);
	}
	if (t == LUA_TSTRING)
		return lua_tostring(L, -1);
	prim_usage(L, sig, "%s must be a string, not %s", name, luaL_typename(L, -1));
}

/* Reads the table at idx into a fields box (pushed). Raises on misuse. */
static struct case_fields *check_fields(lua_State *L, int idx, const char *sig)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		prim_usage(L, sig, "expected a table of fields");
	struct box *b = box_new(L, BOX_FIELDS);
	case_fields_init(&b->u.f);
	int boxi = lua_gettop(L);
	char err[600];
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		/* stack: box, key, value */
		if (lua_type(L, -2) != LUA_TSTRING)
			prim_usage(L, sig, "field names must be strings");
		const char *name = lua_tostring(L, -2);
		if (strcmp(name, "on_breach") == 0) {   /* not a field: prim_sla.h */
			lua_pop(L, 1);
			continue;
		}
		const char *text = field_text(L, sig, name);
		prim_noint_enter();
		int rc = case_fields_set(&b->u.f, name, text, err, sizeof err);
		prim_noint_leave();
		if (rc != 0)
			prim_usage(L, sig, "%s", err);
		lua_pop(L, 1);
	}
	lua_settop(L, boxi);
	return &b->u.f;
}

/* ---- case ---- */

/* The on_breach of a create/update's table at idx, as JSON pushed (or nil). */
static const char *push_on_breach(lua_State *L, int idx, const char *sig)
{
	lua_getfield(L, idx, "on_breach");
	if (lua_isnil(L, -1))
		return NULL;
	const char *j = prim_sla_on_breach(L, lua_gettop(L), sig);
	lua_remove(L, -2);
	return j;
}

/* Declares the case's escalation once its record is durable. */
static int watch_case(lua_State *L, struct store *st, uint64_t seq, const char *on_breach)
{
	char err[300];
	prim_noint_enter();
	int rc = sla_watch_case(st, seq, on_breach, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	return 0;
}

static int l_create(lua_State *L)
{
	struct case_fields *f = check_fields(L, 1, SIG_CREATE);
	const char *on_breach = push_on_breach(L, 1, SIG_CREATE);
	struct box *out = box_new(L, BOX_CASE);
	char err[600];
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	int deduped = 0;
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	int rc = case_create(st, f, who, &out->u.c, &deduped, err, sizeof err);
	prim_noint_leave();
	if (rc != 0) {
		memset(&out->u.c, 0, sizeof out->u.c);
		return fail(L, err);
	}
	if (on_breach && !deduped && watch_case(L, st, out->u.c.seq, on_breach))
		return 2;
	push_case(L, &out->u.c);
	lua_pushboolean(L, deduped);
	return 2;
}

static int l_get(lua_State *L)
{
	char rb[32], err[600];
	const char *ref = check_ref(L, 1, SIG_GET, rb, sizeof rb);
	struct box *out = box_new(L, BOX_CASE);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	prim_noint_enter();
	int rc = case_get(st, ref, &out->u.c, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	push_case(L, &out->u.c);
	return 1;
}

static int l_update(lua_State *L)
{
	char rb[32], err[600];
	const char *ref = check_ref(L, 1, SIG_UPDATE, rb, sizeof rb);
	struct case_fields *f = check_fields(L, 2, SIG_UPDATE);
	const char *on_breach = push_on_breach(L, 2, SIG_UPDATE);
	struct box *out = box_new(L, BOX_CASE);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	int rc = case_update(st, ref, f, who, &out->u.c, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	if (on_breach && watch_case(L, st, out->u.c.seq, on_breach))
		return 2;
	push_case(L, &out->u.c);
	return 1;
}

static int l_close(lua_State *L)
{
	char rb[32], err[600];
	const char *ref = check_ref(L, 1, SIG_CLOSE, rb, sizeof rb);
	const char *reason = prim_check_string(L, 2, SIG_CLOSE, NULL);
	if (!*reason)
		prim_usage(L, SIG_CLOSE, "reason must not be empty");
	struct box *out = box_new(L, BOX_CASE);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	int rc = case_close(st, ref, reason, who, &out->u.c, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	push_case(L, &out->u.c);
	return 1;
}

/* The arguments of case.note: ref, text, kind, data (checked; raises on misuse). */
static const char *note_args(lua_State *L, char rb[32], const char **text, int *kind,
			     const char **data)
{
	const char *ref = check_ref(L, 1, SIG_NOTE, rb, 32);
	*text = prim_check_string(L, 2, SIG_NOTE, NULL);
	*kind = CASE_ENTRY_NOTE;
	*data = NULL;
	if (prim_opt_table(L, 3, SIG_NOTE)) {
		lua_getfield(L, 3, "kind");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING ||
			    !(*kind = case_entry_kind_parse(lua_tostring(L, -1))) ||
			    (*kind != CASE_ENTRY_NOTE && *kind != CASE_ENTRY_COMMAND &&
			     *kind != CASE_ENTRY_RESULT && *kind != CASE_ENTRY_PROMPT &&
			     *kind != CASE_ENTRY_ANSWER))
				prim_usage(L, SIG_NOTE, "kind must be note, command, result, prompt or answer");
		}
		lua_getfield(L, 3, "data");
		if (!lua_isnil(L, -1))
			*data = field_text(L, SIG_NOTE, "custom"); /* table or JSON text */
		/* a JSON string given directly is checked by case_note */
	}
	return ref;
}

static int l_note(lua_State *L)
{
	char rb[32], err[600];
	const char *text, *data;
	int kind;
	const char *ref = note_args(L, rb, &text, &kind, &data);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	uint32_t no = 0;
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	int rc = case_note(st, ref, kind, who, text, data, &no, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_pushnumber(L, no);
	return 1;
}

/* case.note as a step's write (prims.c): the note goes into the transaction
 * of its journal entry instead of one of its own. */
struct note_write {
	struct journal_write w;        /* first: free_fn gets it */
	struct case_note_req *req;
};

static int note_result(void *ctx, int rc, const char *err, struct store_buf *out)
{
	if (rc == 0) {                 /* ctx: the request, as for apply */
		store_buf_printf(out, "[%u]", (unsigned)case_note_number(ctx));
	} else {                       /* as l_note: nil, err */
		store_buf_str(out, "[null,");
		store_buf_json(out, err);
		store_buf_str(out, "]");
	}
	return out->oom ? ENOMEM : 0;
}

static void note_write_free(struct journal_write *w)
{
	struct note_write *nw = (struct note_write *)w;
	case_note_free(nw->req);
	store_buf_free(&w->json);
	free(nw);
}

struct journal_write *prim_case_note_write(lua_State *L, struct store **stp, int *nret)
{
	char rb[32], err[600];
	const char *text, *data;
	int kind;
	const char *ref = note_args(L, rb, &text, &kind, &data);
	struct store *st = get_store(err, sizeof err);
	if (!st) {
		*nret = fail(L, err);
		return NULL;
	}
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	struct note_write *nw = calloc(1, sizeof *nw);
	if (nw)
		nw->req = case_note_prepare(ref, kind, who, text, data, err, sizeof err);
	else
		snprintf(err, sizeof err, "out of memory");
	if (nw && !nw->req) {
		free(nw);
		nw = NULL;
	}
	prim_noint_leave();
	if (!nw) {
		*nret = fail(L, err);
		return NULL;
	}
	nw->w.apply = case_note_apply;
	nw->w.ctx = nw->req;
	nw->w.result = note_result;
	nw->w.free_fn = note_write_free;
	*stp = st;
	return &nw->w;
}

static int l_attach(lua_State *L)
{
	char rb[32], err[600], sha[65];
	const char *ref = check_ref(L, 1, SIG_ATTACH, rb, sizeof rb);
	const char *name = prim_check_string(L, 2, SIG_ATTACH, NULL);
	size_t len;
	const char *data = prim_check_string(L, 3, SIG_ATTACH, &len);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	int rc = case_attach(st, ref, name, data, len, who, sha, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_pushstring(L, sha);
	return 1;
}

/* case.attachment(ref, name) -> data, content_type; nil, err when the case or
 * the attachment is not there. The bytes are held in a box while Lua copies
 * them, so an out-of-memory error in the copy leaks nothing. */
static int l_attachment(lua_State *L)
{
	char rb[32], err[600];
	const char *ref = check_ref(L, 1, SIG_ATTACHMENT, rb, sizeof rb);
	const char *name = prim_check_string(L, 2, SIG_ATTACHMENT, NULL);
	struct box *out = box_new(L, BOX_BYTES);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	prim_noint_enter();
	int rc = case_attachment_get(st, ref, name, &out->u.bytes.p, &out->u.bytes.n, NULL, err,
				     sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_pushlstring(L, out->u.bytes.p, out->u.bytes.n);
	lua_pushstring(L, mime_type_for_name(name));
	return 2;
}

static int l_link(lua_State *L)
{
	char rb[32], rb2[32], err[600];
	const char *ref = check_ref(L, 1, SIG_LINK, rb, sizeof rb);
	const char *other = check_ref(L, 2, SIG_LINK, rb2, sizeof rb2);
	const char *rel = luaL_optstring(L, 3, "related");
	if (strcmp(rel, "related") && strcmp(rel, "parent") && strcmp(rel, "child"))
		prim_usage(L, SIG_LINK, "relation must be related, parent or child");
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	char actor_buf[ACTOR_MAX];
	const char *who = actor(actor_buf);
	prim_noint_enter();
	int rc = case_link(st, ref, other, rel, who, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_pushboolean(L, 1);
	return 1;
}

static const char *opt_field_str(lua_State *L, int idx, const char *k, const char *sig)
{
	lua_getfield(L, idx, k);
	int t = lua_type(L, -1);
	lua_pop(L, 1); /* the table keeps the string alive */
	if (t == LUA_TNIL)
		return NULL;
	if (t != LUA_TSTRING)
		prim_usage(L, sig, "%s must be a string", k);
	lua_getfield(L, idx, k);
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1);
	return s;
}

static int64_t opt_field_time(lua_State *L, int idx, const char *k, const char *sig)
{
	lua_getfield(L, idx, k);
	int64_t ms = 0;
	if (lua_type(L, -1) == LUA_TNUMBER)
		ms = (int64_t)llround(lua_tonumber(L, -1) * 1000.0);
	else if (!lua_isnil(L, -1))
		prim_usage(L, sig, "%s must be a time in Unix seconds", k);
	lua_pop(L, 1);
	return ms;
}

/* case.timeline(ref [, {from=, limit=}]): the entries, oldest first, as
 * {no, kind, at, actor, text, data}. A read: not a step. */
static int l_timeline(lua_State *L)
{
	char rb[32], err[600];
	const char *ref = check_ref(L, 1, SIG_TIMELINE, rb, sizeof rb);
	lua_Number from = 1, limit = 0;
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 2)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
			if (strcmp(k, "from") && strcmp(k, "limit"))
				return luaL_error(L, "case.timeline: unknown option %s; expected %s", k, SIG_TIMELINE);
			if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < (*k == 'f' ? 1 : 0))
				return luaL_error(L, "case.timeline: %s must be a number (%s); expected %s", k,
						  *k == 'f' ? "1 or more" : "0 or more", SIG_TIMELINE);
			if (*k == 'f')
				from = lua_tonumber(L, -1);
			else
				limit = lua_tonumber(L, -1);
			lua_pop(L, 1);
		}
	}
	struct box *out = box_new(L, BOX_ENTRIES);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	prim_noint_enter();
	int rc = case_timeline(st, ref, from > 4e9 ? 4000000000u : (uint32_t)from,
			       limit > 1e6 ? 1000000 : (size_t)limit, &out->u.en.e, &out->u.en.n, err,
			       sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_createtable(L, (int)out->u.en.n, 0);
	for (size_t i = 0; i < out->u.en.n; i++) {
		const struct case_entry *e = &out->u.en.e[i];
		lua_createtable(L, 0, 6);
		lua_pushnumber(L, e->no);
		lua_setfield(L, -2, "no");
		lua_pushstring(L, case_entry_kind_name(e->kind));
		lua_setfield(L, -2, "kind");
		lua_pushnumber(L, (lua_Number)e->time);
		lua_setfield(L, -2, "at");
		lua_pushstring(L, e->actor ? e->actor : "");
		lua_setfield(L, -2, "actor");
		lua_pushstring(L, e->text ? e->text : "");
		lua_setfield(L, -2, "text");
		if (e->data) {
			char jerr[200];
			if (json_decode_push(L, e->data, strlen(e->data), NULL, jerr, sizeof jerr) != 0)
				lua_pushstring(L, e->data);
			lua_setfield(L, -2, "data");
		}
		lua_rawseti(L, -2, (int)i + 1);
	}
	return 1;
}

static int l_search(lua_State *L)
{
	struct case_query q = { 0 };
	char err[600];
	if (!prim_opt_table(L, 1, SIG_SEARCH)) {
		lua_newtable(L);
		lua_replace(L, 1);
	}
	static const char *const known[] = { "status", "severity", "type", "owner", "role", "label",
		"dedupe_key", "parent", "created_after", "created_before", "updated_after",
		"updated_before", "sort", "ascending", "limit", "cursor", NULL };
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		int ok = lua_type(L, -2) == LUA_TSTRING;
		for (int i = 0; ok && known[i]; i++)
			if (strcmp(lua_tostring(L, -2), known[i]) == 0)
				ok = 2;
		if (ok != 2)
			prim_usage(L, SIG_SEARCH, "unknown filter '%s'",
				   lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
		lua_pop(L, 1);
	}
	lua_getfield(L, 1, "status");
	if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TTABLE) {
		int n = lua_type(L, -1) == LUA_TTABLE ? (int)lua_objlen(L, -1) : 1;
		for (int i = 1; i <= n; i++) {
			if (lua_type(L, -1) == LUA_TTABLE)
				lua_rawgeti(L, -1, i);
			else
				lua_pushvalue(L, -1);
			const char *s = lua_tostring(L, -1);
			if (s && strcmp(s, "open") == 0)
				q.status_mask |= 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
			else if (s && case_status_parse(s))
				q.status_mask |= 1u << case_status_parse(s);
			else
				prim_usage(L, SIG_SEARCH, "status must be new, active, pending, closed or open");
			lua_pop(L, 1);
		}
	} else if (!lua_isnil(L, -1)) {
		prim_usage(L, SIG_SEARCH, "status must be a string or a list of strings");
	}
	lua_pop(L, 1);
	const char *sev = opt_field_str(L, 1, "severity", SIG_SEARCH);
	if (sev && !(q.severity = case_severity_parse(sev)))
		prim_usage(L, SIG_SEARCH, "severity must be low, medium, high or critical");
	q.type = opt_field_str(L, 1, "type", SIG_SEARCH);
	q.owner = opt_field_str(L, 1, "owner", SIG_SEARCH);
	q.role = opt_field_str(L, 1, "role", SIG_SEARCH);
	q.label = opt_field_str(L, 1, "label", SIG_SEARCH);
	q.dedupe_key = opt_field_str(L, 1, "dedupe_key", SIG_SEARCH);
	q.cursor = opt_field_str(L, 1, "cursor", SIG_SEARCH);
	const char *sort = opt_field_str(L, 1, "sort", SIG_SEARCH);
	if (sort && strcmp(sort, "created") && strcmp(sort, "updated"))
		prim_usage(L, SIG_SEARCH, "sort must be \"created\" or \"updated\"");
	q.sort = sort && strcmp(sort, "updated") == 0 ? CASE_SORT_UPDATED : CASE_SORT_CREATED;
	lua_getfield(L, 1, "ascending");
	q.ascending = lua_toboolean(L, -1);
	lua_getfield(L, 1, "limit");
	if (!lua_isnil(L, -1)) {
		lua_Number n = lua_tonumber(L, -1);
		if (lua_type(L, -1) != LUA_TNUMBER || n < 1 || n > 1000)
			prim_usage(L, SIG_SEARCH, "limit must be a number from 1 to 1000");
		q.limit = (size_t)n;
	}
	lua_pop(L, 2);
	q.created_from = opt_field_time(L, 1, "created_after", SIG_SEARCH);
	q.created_to = opt_field_time(L, 1, "created_before", SIG_SEARCH);
	q.updated_from = opt_field_time(L, 1, "updated_after", SIG_SEARCH);
	q.updated_to = opt_field_time(L, 1, "updated_before", SIG_SEARCH);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	lua_getfield(L, 1, "parent");
	if (!lua_isnil(L, -1)) {
		char rb[32];
		struct case_rec pc;
		const char *ref = check_ref(L, lua_gettop(L), SIG_SEARCH, rb, sizeof rb);
		prim_noint_enter();
		int rc = case_get(st, ref, &pc, err, sizeof err);
		q.parent = rc == 0 ? pc.seq : 0;
		case_rec_free(&pc);
		prim_noint_leave();
		if (rc != 0)
			return fail(L, err);
	}
	lua_pop(L, 1);
	struct box *out = box_new(L, BOX_PAGE);
	prim_noint_enter();
	int rc = case_search(st, &q, &out->u.p, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_createtable(L, (int)out->u.p.n, 0);
	for (size_t i = 0; i < out->u.p.n; i++) {
		push_case(L, &out->u.p.items[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	if (out->u.p.next[0])
		lua_pushstring(L, out->u.p.next);
	else
		lua_pushnil(L);
	return 2;
}

/* ---- indicator ---- */

static void push_list(lua_State *L, const char *k, char *const *v, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, k);
}

static void push_indicator(lua_State *L, const struct indicator *ind)
{
	lua_createtable(L, 0, 12);
	set_str(L, "type", indicator_type_name(ind->type));
	set_str(L, "value", ind->value);
	set_str(L, "verdict", indicator_verdict_name(ind->verdict));
	set_num(L, "score", ind->score);
	push_list(L, "sources", ind->sources, ind->nsources);
	push_list(L, "tags", ind->tags, ind->ntags);
	set_time(L, "first_seen", ind->first_seen);
	set_time(L, "last_seen", ind->last_seen);
	set_time(L, "expires", ind->expires);
	lua_pushboolean(L, ind->expires && ind->expires <= store_now_ms());
	lua_setfield(L, -2, "expired");
	lua_createtable(L, (int)ind->ncases, 0);
	for (size_t i = 0; i < ind->ncases; i++) {
		lua_pushnumber(L, (double)ind->cases[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "cases");
}

static int check_type(lua_State *L, int idx, const char *sig)
{
	const char *t = prim_check_string(L, idx, sig, NULL);
	int type = indicator_type_parse(t);
	if (!type)
		prim_usage(L, sig, "unknown type '%s' (ipv4, ipv6, cidr, domain, url, md5, sha1, "
			   "sha256, email)", t);
	return type;
}

static int l_iget(lua_State *L)
{
	int type = check_type(L, 1, SIG_IGET);
	const char *value = prim_check_string(L, 2, SIG_IGET, NULL);
	struct box *out = box_new(L, BOX_IND);
	char err[600];
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	prim_noint_enter();
	int rc = indicator_get(st, type, value, &out->u.i, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	push_indicator(L, &out->u.i);
	return 1;
}

static void opt_list(lua_State *L, int idx, const char *k, const char **out, size_t *n)
{
	lua_getfield(L, idx, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		out[(*n)++] = lua_tostring(L, -1);
		lua_pop(L, 1); /* still referenced by the options table */
		return;
	}
	if (lua_type(L, -1) != LUA_TTABLE)
		prim_usage(L, SIG_ISET, "%s must be a string or a list of strings", k);
	size_t len = lua_objlen(L, -1);
	if (len > IND_MAX_LIST)
		prim_usage(L, SIG_ISET, "at most %d %s", IND_MAX_LIST, k);
	for (size_t i = 1; i <= len; i++) {
		lua_rawgeti(L, -1, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, SIG_ISET, "%s must be strings", k);
		out[(*n)++] = lua_tostring(L, -1);
		lua_pop(L, 1); /* the list table keeps it */
	}
	lua_pop(L, 1);
}

static int l_iset(lua_State *L)
{
	int type = check_type(L, 1, SIG_ISET);
	const char *value = prim_check_string(L, 2, SIG_ISET, NULL);
	struct indicator_update u;
	indicator_update_init(&u);
	char rb[32], err[600];
	if (prim_opt_table(L, 3, SIG_ISET)) {
		static const char *const known[] = { "verdict", "score", "sources", "tags", "seen",
			"expires", "case", NULL };
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			int ok = lua_type(L, -2) == LUA_TSTRING;
			for (int i = 0; ok && known[i]; i++)
				if (strcmp(lua_tostring(L, -2), known[i]) == 0)
					ok = 2;
			if (ok != 2)
				prim_usage(L, SIG_ISET, "unknown option '%s'",
					   lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
			lua_pop(L, 1);
		}
		const char *v = opt_field_str(L, 3, "verdict", SIG_ISET);
		if (v && (u.verdict = indicator_verdict_parse(v)) < 0)
			prim_usage(L, SIG_ISET, "verdict must be unknown, benign, suspicious or malicious");
		lua_getfield(L, 3, "score");
		if (!lua_isnil(L, -1)) {
			lua_Number s = lua_tonumber(L, -1);
			if (lua_type(L, -1) != LUA_TNUMBER || s < 0 || s > 100 || s != floor(s))
				prim_usage(L, SIG_ISET, "score must be an integer from 0 to 100");
			u.score = (int)s;
		}
		lua_pop(L, 1);
		opt_list(L, 3, "sources", u.sources, &u.nsources);
		opt_list(L, 3, "tags", u.tags, &u.ntags);
		u.seen = opt_field_time(L, 3, "seen", SIG_ISET);
		lua_getfield(L, 3, "expires");
		if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1))
			u.expires = -1; /* expires=false clears it */
		lua_pop(L, 1);
		if (!u.expires)
			u.expires = opt_field_time(L, 3, "expires", SIG_ISET);
		lua_getfield(L, 3, "case");
		if (!lua_isnil(L, -1))
			u.case_ref = check_ref(L, lua_gettop(L), SIG_ISET, rb, sizeof rb);
		/* leave it on the stack: u.case_ref may point into it */
	}
	struct box *out = box_new(L, BOX_IND);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	prim_noint_enter();
	int rc = indicator_set(st, type, value, &u, &out->u.i, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	push_indicator(L, &out->u.i);
	return 1;
}

static int l_isearch(lua_State *L)
{
	struct indicator_query q = { .verdict = -1 };
	char err[600];
	if (prim_opt_table(L, 1, SIG_ISEARCH)) {
		const char *t = opt_field_str(L, 1, "type", SIG_ISEARCH);
		if (t && !(q.type = indicator_type_parse(t)))
			prim_usage(L, SIG_ISEARCH, "unknown type '%s'", t);
		const char *v = opt_field_str(L, 1, "verdict", SIG_ISEARCH);
		if (v && (q.verdict = indicator_verdict_parse(v)) < 0)
			prim_usage(L, SIG_ISEARCH, "unknown verdict '%s'", v);
		q.tag = opt_field_str(L, 1, "tag", SIG_ISEARCH);
		q.cursor = opt_field_str(L, 1, "cursor", SIG_ISEARCH);
		lua_getfield(L, 1, "min_score");
		q.min_score = (int)lua_tonumber(L, -1);
		lua_getfield(L, 1, "limit");
		lua_Number lim = lua_tonumber(L, -1);
		if (!lua_isnil(L, -1) && (lim < 1 || lim > 1000))
			prim_usage(L, SIG_ISEARCH, "limit must be a number from 1 to 1000");
		q.limit = (size_t)lim;
		lua_pop(L, 2);
	}
	struct box *out = box_new(L, BOX_IPAGE);
	struct store *st = get_store(err, sizeof err);
	if (!st)
		return fail(L, err);
	prim_noint_enter();
	int rc = indicator_search(st, &q, &out->u.ip, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return fail(L, err);
	lua_createtable(L, (int)out->u.ip.n, 0);
	for (size_t i = 0; i < out->u.ip.n; i++) {
		push_indicator(L, &out->u.ip.items[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	if (out->u.ip.next[0])
		lua_pushstring(L, out->u.ip.next);
	else
		lua_pushnil(L);
	return 2;
}

static const luaL_Reg case_fns[] = {
	{ "create", l_create },
	{ "get", l_get },
	{ "update", l_update },
	{ "note", l_note },
	{ "attach", l_attach },
	{ "attachment", l_attachment },
	{ "link", l_link },
	{ "close", l_close },
	{ "search", l_search },
	{ "timeline", l_timeline },
	{ NULL, NULL },
};

static const luaL_Reg indicator_fns[] = {
	{ "get", l_iget },
	{ "set", l_iset },
	{ "search", l_isearch },
	{ NULL, NULL },
};

int prim_open_case(lua_State *L)
{
	lua_newtable(L);
	luaL_register(L, NULL, case_fns);
	return 1;
}

int prim_open_indicator(lua_State *L)
{
	lua_newtable(L);
	luaL_register(L, NULL, indicator_fns);
	return 1;
}
