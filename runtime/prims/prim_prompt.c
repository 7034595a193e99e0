/* prim_prompt.c - `prompt.ask`, `prompt.create`, `prompt.wait`: a question to a
 * person; the run waits for the answer without holding an interpreter, and
 * resumes by replay once answered. The form check is prompt_form.c's (the one
 * every answer path uses); delivery (Slack, email, reminders, escalation) is
 * the daemon's, from what the prompt record declares (daemon/prompt_courier.c). */
#include "engine.h"
#include "prim_json.h"
#include "prim.h"
#include "prompt_form.h"
#include "prompt_link.h"
#include "step.h"
#include "store_buf.h"
#include "timefmt.h"
#include "uuid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ASK_SIG "prompt.ask{question=string, options={string...} | fields={...}, to=string, " \
		"timeout=seconds, default=any, notify={slack={channel=}, email={to=}}, " \
		"remind=duration, escalate={after=duration, to=string}}"
#define CREATE_SIG "prompt.create{question=string, options={string...} | fields={...}, ...}" \
		" -> {id=, url=, expires=}"
#define WAIT_SIG "prompt.wait(id) -> {value=, by=, at=, timed_out=}"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* JSON of the field `key` of table t, or NULL when absent. malloc'd. */
static char *field_json(lua_State *L, int t, const char *key, const char *sig)
{
	lua_getfield(L, t, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	struct json_buf b = { 0 };
	char err[160];
	struct json_opts o = { 0 };
	o.sort_keys = 1;
	if (json_encode_lua(L, -1, &o, &b, err, sizeof err) != 0) {
		json_buf_free(&b);
		prim_usage(L, sig, "%s is not JSON: %s", key, err);
	}
	lua_pop(L, 1);
	return b.data;
}

static const char *const ask_keys[] = {
	"question", "options", "fields", "to", "timeout", "default", "notify", "remind", "escalate", NULL,
};

/* Raises unless every key of table t is in keys. */
static void known_keys(lua_State *L, int t, const char *const *keys, const char *where,
		       const char *sig)
{
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		int known = 0;
		for (const char *const *k = keys; *k && !known; k++)
			known = lua_type(L, -1) == LUA_TSTRING && strcmp(*k, lua_tostring(L, -1)) == 0;
		if (!known)
			prim_usage(L, sig, "unknown %s '%s'", where, lua_type(L, -1) == LUA_TSTRING
				   ? lua_tostring(L, -1) : luaL_typename(L, -1));
	}
}

/* A duration: seconds (> 0), or "90s", "30m", "2h", "1d". Raises otherwise. */
static double duration_at(lua_State *L, int idx, const char *what, const char *sig)
{
	if (lua_type(L, idx) == LUA_TNUMBER && lua_tonumber(L, idx) > 0)
		return lua_tonumber(L, idx);
	if (lua_type(L, idx) == LUA_TSTRING) {
		const char *s = lua_tostring(L, idx);
		char *end;
		double v = strtod(s, &end);
		double unit = !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600
			      : !strcmp(end, "d") ? 86400 : 0;
		if (end != s && v > 0 && unit > 0 && s[0] >= '0' && s[0] <= '9')
			return v * unit;
	}
	prim_usage(L, sig, "%s must be a duration: seconds, or \"90s\", \"30m\", \"2h\", \"1d\"", what);
	return 0;
}

/* notify = {slack = {channel=}, email = {to = string | {string...}}}, remind,
 * escalate: checked, then written as the record's notify_json into b. */
static void notify_spec(lua_State *L, const char *sig, struct store_buf *b, int *any)
{
	static const char *const nkeys[] = { "slack", "email", NULL };
	static const char *const skeys[] = { "channel", NULL };
	static const char *const ekeys[] = { "to", NULL };
	static const char *const xkeys[] = { "after", "to", NULL };
	int top = lua_gettop(L);
	double remind = 0, after = 0;
	const char *channel = NULL, *xto = NULL;
	int ne = 0, t;
	lua_getfield(L, 1, "notify");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			prim_usage(L, sig, "notify must be a table {slack = {channel=}, email = {to=}}");
		t = lua_gettop(L);
		known_keys(L, t, nkeys, "notify channel", sig);
		lua_getfield(L, t, "slack");
		if (!lua_isnil(L, -1)) {
			if (!lua_istable(L, -1))
				prim_usage(L, sig, "notify.slack must be a table {channel=}");
			known_keys(L, lua_gettop(L), skeys, "notify.slack key", sig);
			lua_getfield(L, -1, "channel");
			if (lua_type(L, -1) != LUA_TSTRING || lua_objlen(L, -1) == 0)
				prim_usage(L, sig, "notify.slack.channel must be a channel (#name or id)");
			channel = lua_tostring(L, -1);
		}
		lua_getfield(L, t, "email");
		if (!lua_isnil(L, -1)) {
			if (!lua_istable(L, -1))
				prim_usage(L, sig, "notify.email must be a table {to = address or user, or a list}");
			int et = lua_gettop(L);
			known_keys(L, et, ekeys, "notify.email key", sig);
			lua_getfield(L, et, "to");
			if (lua_type(L, -1) == LUA_TSTRING) {
				ne = 1;
			} else if (lua_istable(L, -1)) {
				ne = (int)lua_objlen(L, -1);
				for (int i = 1; i <= ne; i++) {
					lua_rawgeti(L, -1, i);
					if (lua_type(L, -1) != LUA_TSTRING)
						ne = 0;
					lua_pop(L, 1);
				}
			}
			if (ne < 1 || ne > 20)
				prim_usage(L, sig, "notify.email.to must be an address or user name, or a list "
					   "of 1 to 20");
		}
	}
	lua_getfield(L, 1, "remind");
	if (!lua_isnil(L, -1))
		remind = duration_at(L, -1, "remind", sig);
	lua_getfield(L, 1, "escalate");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			prim_usage(L, sig, "escalate must be a table {after = duration, to = role or user}");
		int xt = lua_gettop(L);
		known_keys(L, xt, xkeys, "escalate key", sig);
		lua_getfield(L, xt, "after");
		after = duration_at(L, -1, "escalate.after", sig);
		lua_getfield(L, xt, "to");
		if (lua_type(L, -1) != LUA_TSTRING || lua_objlen(L, -1) == 0)
			prim_usage(L, sig, "escalate.to must be a role or user name");
		xto = lua_tostring(L, -1);
	}
	if (remind && !channel && !ne)
		prim_usage(L, sig, "remind needs notify (a Slack channel or email addressees to remind)");
	*any = channel || ne || after;
	if (!*any) {
		lua_settop(L, top);
		return;
	}
	/* Everything is checked: now build (no raise below). */
	store_buf_str(b, "{");
	int first = 1;
	if (channel) {
		store_buf_str(b, "\"slack\":{\"channel\":");
		store_buf_json(b, channel);
		store_buf_str(b, "}");
		first = 0;
	}
	if (ne) {
		store_buf_str(b, first ? "\"email\":{\"to\":[" : ",\"email\":{\"to\":[");
		lua_getfield(L, 1, "notify");
		lua_getfield(L, -1, "email");
		lua_getfield(L, -1, "to");
		if (lua_type(L, -1) == LUA_TSTRING)
			store_buf_json(b, lua_tostring(L, -1));
		for (int i = 1; lua_istable(L, -1) && i <= ne; i++) {
			lua_rawgeti(L, -1, i);
			store_buf_add(b, ",", i > 1);
			store_buf_json(b, lua_tostring(L, -1));
			lua_pop(L, 1);
		}
		store_buf_str(b, "]}");
		first = 0;
	}
	if (remind) {
		store_buf_printf(b, "%s\"remind\":%.0f", first ? "" : ",", remind);
		first = 0;
	}
	if (after) {
		store_buf_printf(b, "%s\"escalate\":{\"after\":%.0f,\"to\":", first ? "" : ",", after);
		store_buf_json(b, xto);
		store_buf_str(b, "}");
	}
	store_buf_str(b, "}");
	lua_settop(L, top);
}

/* Checks prompt.ask/create's table and fills p (strings owned by bufs and
 * the Lua stack: keep index 1 alive). Raises on misuse, before allocating
 * anything that a raise would leak. */
struct built {
	struct prompt_rec p;
	char *spec, *def;
	struct store_buf notify;
};

static void built_free(struct built *b)
{
	free(b->spec);
	free(b->def);
	store_buf_free(&b->notify);
}

static void build_prompt(lua_State *L, const char *sig, struct engine_run *e, struct built *out)
{
	if (!lua_istable(L, 1))
		prim_usage(L, sig, "argument 1 is %s, not a table", luaL_typename(L, 1));
	lua_settop(L, 1);
	known_keys(L, 1, ask_keys, "option", sig);
	lua_getfield(L, 1, "question");
	if (lua_type(L, -1) != LUA_TSTRING || lua_objlen(L, -1) == 0)
		prim_usage(L, sig, "question must be a non-empty string");
	lua_getfield(L, 1, "to");
	if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TSTRING || lua_objlen(L, -1) == 0))
		prim_usage(L, sig, "to must be a user or role name");
	lua_getfield(L, 1, "timeout");
	double timeout = 0;
	if (!lua_isnil(L, -1))
		timeout = duration_at(L, -1, "timeout", sig);
	lua_settop(L, 1);
	struct store_buf notify = { 0 };
	int any = 0;
	notify_spec(L, sig, &notify, &any);   /* raises before building */
	char *opts = NULL, *fields = NULL, err[512];
	/* field_json may raise: free what is built first */
	lua_getfield(L, 1, "options");
	lua_getfield(L, 1, "fields");
	int has_o = !lua_isnil(L, -2), has_f = !lua_isnil(L, -1);
	lua_pop(L, 2);
	if (has_o == has_f) {
		store_buf_free(&notify);
		prim_usage(L, sig, "give either options (a list of choices) or fields (a form)");
	}
	lua_getfield(L, 1, "default");
	lua_getfield(L, 1, "options");
	lua_getfield(L, 1, "fields");
	int encodable = 1;
	for (int i = -3; i <= -1; i++)   /* functions, userdata: a usage error below */
		encodable &= lua_type(L, i) != LUA_TFUNCTION && lua_type(L, i) != LUA_TUSERDATA;
	lua_pop(L, 3);
	if (!encodable) {
		store_buf_free(&notify);
		prim_usage(L, sig, "options, fields and default must be plain values");
	}
	opts = field_json(L, 1, "options", sig);
	fields = field_json(L, 1, "fields", sig);
	char *spec = pform_normalize(opts, fields, err, sizeof err);
	free(opts);
	free(fields);
	if (!spec) {
		store_buf_free(&notify);
		prim_usage(L, sig, "%s", err);
	}
	memset(out, 0, sizeof *out);
	out->spec = spec;
	out->def = field_json(L, 1, "default", sig);
	out->notify = notify;
	struct prompt_rec *p = &out->p;
	uuid_v7(p->id);
	memcpy(p->run_id, e->rec.id, sizeof p->run_id);
	p->step = step_position(L);
	lua_getfield(L, 1, "question");
	p->question = (char *)lua_tostring(L, -1);
	lua_getfield(L, 1, "to");
	p->to = (char *)lua_tostring(L, -1);
	/* Inside a task assigned to a role, only that role answers by default. */
	if (!p->to && e->task_depth > 0 && e->task_roles[e->task_depth - 1][0])
		p->to = e->task_roles[e->task_depth - 1];
	p->task = e->task[0] ? e->task : NULL;
	p->created = now_ms();
	if (timeout > 0)
		p->timeout_at = p->created + (int64_t)(timeout * 1000);
	p->open = 1;
	p->spec_json = spec;
	p->default_json = out->def;
	if (any) {
		p->notify_json = store_buf_cstr(&out->notify);
		/* The daemon's courier: the first message now, else the escalation. */
		p->due_at = p->created;
	}
}

static struct engine_run *durable(lua_State *L, const char *what)
{
	struct run_info *ri = sandbox_current();
	struct engine_run *e = ri ? ri->engine : NULL;
	if (!e)
		luaL_error(L, "%s needs a durable run (soarctl run), not a test sandbox", what);
	return e;
}

/* Pushes the answer table {value=, by=, at=, timed_out=} from a prompt record. */
static void push_answer(lua_State *L, const struct prompt_rec *p, int timed_out)
{
	char err[160], at[TIMEFMT_MAX];
	const char *value = timed_out ? p->default_json : p->answer_json;
	lua_createtable(L, 0, 4);
	if (value && json_decode_push(L, value, strlen(value), NULL, err, sizeof err) == 0)
		lua_setfield(L, -2, "value");
	lua_pushstring(L, timed_out ? "timeout" : (p->answered_by ? p->answered_by : "?"));
	lua_setfield(L, -2, "by");
	if (timefmt_iso((double)(timed_out ? now_ms() : p->answered_at) / 1000.0, 0, NULL, at,
			sizeof at, err, sizeof err) >= 0) {
		lua_pushstring(L, at);
		lua_setfield(L, -2, "at");
	}
	if (timed_out) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "timed_out");
	}
}

/* A journaled prompt step seen again: answered, timed out or still open. Used
 * by prompt.ask (name "prompt.ask") and prompt.wait ("prompt.wait"). */
static int take_or_park(lua_State *L, struct engine_run *e, const struct journal_entry *je,
			const char *id, const char *what)
{
	char err[512];
	struct prompt_rec p;
	prim_noint_enter();
	int rc = prompt_get(e->st, id, &p, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "%s: %s", what, err);
	if (strcmp(p.run_id, e->rec.id) != 0) {
		prompt_rec_free(&p);
		return luaL_error(L, "%s: prompt %s belongs to another run (wait on this run's own "
				  "prompt.create ids)", what, id);
	}
	int timed_out = p.open && p.timeout_at && now_ms() >= p.timeout_at;
	if (p.open && !timed_out) {
		memcpy(e->prompt_id, p.id, sizeof e->prompt_id);
		struct journal_entry fresh;
		char marker[64];
		if (!je) {   /* prompt.wait's first time: the entry says what it waits on */
			snprintf(marker, sizeof marker, "{\"prompt\":\"%s\"}", p.id);
			memset(&fresh, 0, sizeof fresh);
			fresh.no = step_position(L);
			fresh.name = (char *)what;
			fresh.args = p.question;
			fresh.result_json = marker;
			fresh.task = e->task[0] ? e->task : NULL;
			fresh.started = now_ms();
		}
		rc = engine_wait(e, je ? NULL : &fresh, "prompt", p.timeout_at, &p, err, sizeof err);
		prompt_rec_free(&p);
		if (rc != 0)
			return luaL_error(L, "%s: %s", what, err);
		return step_park(L);
	}
	struct journal_entry taken;
	char marker2[64], question[256];   /* p is freed before the entry is written */
	snprintf(question, sizeof question, "%s", p.question ? p.question : "");
	if (je) {
		taken = *je;
	} else {     /* answered before prompt.wait was reached: recorded now */
		memset(&taken, 0, sizeof taken);
		snprintf(marker2, sizeof marker2, "{\"prompt\":\"%s\"}", p.id);
		taken.no = step_position(L);
		taken.name = (char *)what;
		taken.args = question;
		taken.task = e->task[0] ? e->task : NULL;
		taken.started = now_ms();
	}
	if (timed_out && !p.default_json) {
		char msg[256];
		snprintf(msg, sizeof msg, "prompt %s timed out without an answer (no default)", p.id);
		taken.error = msg;
		taken.result_json = NULL;
		prim_noint_enter();
		rc = je ? journal_replace(e->st, e->rec.id, &taken, err, sizeof err) : 0;
		if (p.open)
			prompt_answer(e->st, p.id, "null", "timeout", err, sizeof err);
		prim_noint_leave();
		prompt_rec_free(&p);
		if (!je)
			step_fail(L, what, taken.args, msg);
		step_advance(L);
		lua_pushstring(L, msg);
		return lua_error(L);
	}
	push_answer(L, &p, timed_out);
	struct json_buf b = { 0 };
	lua_createtable(L, 1, 0);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, 1);
	struct json_opts o = { 0 };
	o.sort_keys = 1;
	rc = json_encode_lua(L, -1, &o, &b, err, sizeof err);
	lua_pop(L, 1);
	if (rc == 0) {
		prim_noint_enter();
		if (timed_out && p.open)
			rc = prompt_answer(e->st, p.id, p.default_json, "timeout", err, sizeof err);
		prim_noint_leave();
	}
	prompt_rec_free(&p);
	if (rc == 0 && !je) {
		json_buf_free(&b);
		return step_commit(L, what, taken.args, 1);
	}
	if (rc == 0) {
		taken.result_json = b.data;
		prim_noint_enter();
		rc = journal_replace(e->st, e->rec.id, &taken, err, sizeof err);
		prim_noint_leave();
	}
	json_buf_free(&b);
	if (rc != 0)
		return luaL_error(L, "%s: cannot record the answer: %s", what, err);
	step_advance(L);
	return 1;
}

/* The prompt id of a journaled marker {"prompt":"ID"}. */
static void marker_id(const struct journal_entry *je, char id[37])
{
	const char *q = je->result_json ? strstr(je->result_json, "\"prompt\":\"") : NULL;
	id[0] = 0;
	if (q)
		snprintf(id, 37, "%.36s", q + 10);
}

/* A journaled, answered step: its value. 1 pushed; 0 when not answered yet. */
static int replay_taken(lua_State *L, const struct journal_entry *je, const char *what)
{
	if (je->error) {
		step_advance(L);
		lua_pushstring(L, je->error);
		return lua_error(L);
	}
	if (!je->result_json || je->result_json[0] != '[')
		return 0;
	char err[160];
	step_advance(L);
	if (json_decode_push(L, je->result_json, strlen(je->result_json), NULL, err, sizeof err))
		return luaL_error(L, "%s: journal entry is damaged: %s", what, err);
	lua_rawgeti(L, -1, 1);
	return 1;
}

static int ask_first(lua_State *L, struct engine_run *e)
{
	char err[512];
	struct built bp;
	build_prompt(L, ASK_SIG, e, &bp);
	struct prompt_rec *p = &bp.p;
	char marker[64];
	snprintf(marker, sizeof marker, "{\"prompt\":\"%s\"}", p->id);
	struct journal_entry je;
	memset(&je, 0, sizeof je);
	je.no = p->step;
	je.name = "prompt.ask";
	je.args = p->question;
	je.result_json = marker;
	je.task = p->task;
	je.started = p->created;
	int rc = engine_wait(e, &je, "prompt", p->timeout_at, p, err, sizeof err);
	if (rc == 0)
		memcpy(e->prompt_id, p->id, sizeof e->prompt_id);
	built_free(&bp);
	if (rc != 0)
		return luaL_error(L, "prompt.ask: %s", err);
	return step_park(L);
}

static int l_ask(lua_State *L)
{
	struct engine_run *e = NULL;
	struct run_info *ri = sandbox_current();
	if (ri)
		e = ri->engine;
	const struct journal_entry *je = e ? step_lookup(L, "prompt.ask") : NULL;
	if (!je) {
		/* Check the arguments first: misuse raises the same in a test sandbox. */
		if (!e) {
			struct built bp;
			struct engine_run fake;
			memset(&fake, 0, sizeof fake);
			build_prompt(L, ASK_SIG, &fake, &bp);
			built_free(&bp);
		}
		e = durable(L, "prompt.ask");
		return ask_first(L, e);
	}
	int n = replay_taken(L, je, "prompt.ask");
	if (n)
		return n;
	char id[37];
	marker_id(je, id);
	return take_or_park(L, e, je, id, "prompt.ask");
}

/* The link a prompt's page opens with, for `addressee`: PUBLIC_URL/prompts/ID?t=TOKEN.
 * Rebuilt on replay (never journaled: it is a credential). */
static void push_url(lua_State *L, const char *id, const char *addressee, int64_t expires)
{
	char tok[PROMPT_LINK_MAX], err[256];
	prim_noint_enter();
	int rc = prompt_link_make(id, addressee, expires, tok, err, sizeof err);
	prim_noint_leave();
	if (rc != PROMPT_LINK_OK) {
		lua_pushnil(L);
		return;
	}
	const char *base = getenv("SOARCTL_PUBLIC_URL");
	size_t bl = base ? strlen(base) : 0;
	while (bl && base[bl - 1] == '/')
		bl--;
	lua_pushfstring(L, "%s/prompts/%s?t=%s", "", id, tok);
	if (bl) {
		lua_pushlstring(L, base, bl);
		lua_insert(L, -2);
		lua_concat(L, 2);
	}
	explicit_bzero(tok, sizeof tok);
}

/* prompt.create's journal write: the prompt record in the entry's transaction. */
struct create_write {
	struct journal_write w;      /* first: free_fn gets it */
	struct built bp;
	char link_for[300];
};

static int create_apply(struct store *st, struct store_txn *txn, void *ctx, char *err, size_t errlen)
{
	struct create_write *cw = ctx;
	return prompt_put_txn(st, txn, &cw->bp.p, err, errlen);
}

/* The journaled value: the id, when links expire, and whom prompt.create's
 * url is for; never the url (a credential: it is rebuilt on replay). */
static int create_result(void *ctx, int rc, const char *err, struct store_buf *out)
{
	struct create_write *cw = ctx;
	(void)err;
	if (rc != 0)
		return rc;
	int64_t exp = prompt_link_expiry(cw->bp.p.created, cw->bp.p.timeout_at);
	store_buf_printf(out, "[{\"id\":\"%s\",\"expires\":%lld,\"link_for\":", cw->bp.p.id,
			 (long long)exp);
	store_buf_json(out, cw->link_for);
	store_buf_str(out, "}]");
	return out->oom ? ENOMEM : 0;
}

static void create_free(struct journal_write *w)
{
	struct create_write *cw = (struct create_write *)w;
	built_free(&cw->bp);
	store_buf_free(&w->json);
	free(cw);
}

/* prompt._create: the step. prompt.create (a Lua wrapper, prim_open_prompt)
 * adds the url with prompt._link, after the step: a step may suspend the run. */
static int l_create_step(lua_State *L)
{
	struct run_info *ri = sandbox_current();
	struct engine_run *e = ri ? ri->engine : NULL;
	if (!e) {
		struct built bp;
		struct engine_run fake;
		memset(&fake, 0, sizeof fake);
		build_prompt(L, CREATE_SIG, &fake, &bp);
		built_free(&bp);
		e = durable(L, "prompt.create");
	}
	int n = step_replay(L, "prompt.create");
	if (n >= 0)
		return n;
	struct built bp;
	build_prompt(L, CREATE_SIG, e, &bp);
	prim_noint_enter();
	struct create_write *cw = calloc(1, sizeof *cw);
	prim_noint_leave();
	if (!cw) {
		built_free(&bp);
		return luaL_error(L, "prompt.create: out of memory");
	}
	cw->bp = bp;
	snprintf(cw->link_for, sizeof cw->link_for, "link%s%s", bp.p.to ? ":" : "",
		 bp.p.to ? bp.p.to : "");
	cw->w.apply = create_apply;
	cw->w.ctx = cw;
	cw->w.result = create_result;
	cw->w.free_fn = create_free;
	return step_write(L, e->st, "prompt.create", bp.p.question, &cw->w);
}

/* prompt._link(t): t.url from t.id, t.expires, t.link_for (not a step: the
 * same link every time, from the master key). */
static int l_link(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "id");
	lua_getfield(L, 1, "expires");
	lua_getfield(L, 1, "link_for");
	const char *id = lua_tostring(L, -3), *who = lua_tostring(L, -1);
	if (!id || strlen(id) != 36 || !who || !lua_isnumber(L, -2)) {
		lua_pushnil(L);
		return 1;
	}
	push_url(L, id, who, (int64_t)lua_tonumber(L, -2));
	return 1;
}

static int l_wait(lua_State *L)
{
	const char *id = prim_check_string(L, 1, WAIT_SIG, NULL);
	if (strlen(id) != 36)
		prim_usage(L, WAIT_SIG, "argument 1 must be a prompt id (prompt.create's id)");
	struct engine_run *e = durable(L, "prompt.wait");
	const struct journal_entry *je = step_lookup(L, "prompt.wait");
	if (je) {
		int n = replay_taken(L, je, "prompt.wait");
		if (n)
			return n;
	}
	char pid[37];
	snprintf(pid, sizeof pid, "%s", id);
	return take_or_park(L, e, je, pid, "prompt.wait");
}

/* prompt.create = the step, then its url. Compiled once per state; the
 * wrapper reads no global. */
static const char create_lua[] =
	"local step, link = ...\n"
	"return function(spec)\n"
	"  local r = step(spec)\n"
	"  r.url = link(r)\n"
	"  r.link_for = nil\n"
	"  return r\n"
	"end\n";

int prim_open_prompt(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "ask", l_ask },
		{ "wait", l_wait },
		{ NULL, NULL },
	};
	lua_newtable(L);
	luaL_register(L, NULL, fns);
	if (luaL_loadbuffer(L, create_lua, sizeof create_lua - 1, "=prompt.create") != 0)
		return lua_error(L);
	lua_pushcfunction(L, l_create_step);
	lua_pushcfunction(L, l_link);
	lua_call(L, 2, 1);
	lua_setfield(L, -2, "create");
	return 1;
}
