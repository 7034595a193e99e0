/* step.c - see step.h. */
#include "step.h"
#include "engine.h"
#include "prim_json.h"
#include "prim.h"
#include "sandbox.h"
#include "runloop.h"
#include "runscrub.h"
#include "store_buf.h"
#include "runstore.h"

#include <float.h>
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct engine_run *current(void)
{
	struct run_info *ri = sandbox_current();
	return ri ? ri->engine : NULL;
}

unsigned step_position(lua_State *L)
{
	(void)L;
	struct engine_run *e = current();
	return e ? e->next_step : 0;
}

const char *step_task(lua_State *L)
{
	(void)L;
	struct engine_run *e = current();
	return e ? e->task : "";
}

/* Where in the playbook this step is being taken, for the mismatch message. */
static void push_where(lua_State *L)
{
	luaL_where(L, 1);
}

const struct journal_entry *step_lookup(lua_State *L, const char *name)
{
	struct engine_run *e = current();
	if (!e || e->next_step > e->njournal)
		return NULL;
	const struct journal_entry *je = &e->journal[e->next_step - 1];
	if (strcmp(je->name, name) != 0) {
		push_where(L);
		lua_pushfstring(L, "playbook changed under a waiting run: step %d was '%s' when it was "
			        "recorded, and is now '%s'; the run cannot resume (start a new run)",
			        (int)je->no, je->name, name);
		lua_concat(L, 2);
		lua_error(L);
	}
	return je;
}

void step_advance(lua_State *L)
{
	(void)L;
	struct engine_run *e = current();
	if (e)
		e->next_step++;
}

/* Pushes the values of a recorded JSON array; JSON null at top level is nil. */
static int push_recorded(lua_State *L, const char *result_json)
{
	char err[256];
	if (!result_json)
		return 0;
	if (json_decode_push(L, result_json, strlen(result_json), NULL, err, sizeof err) != 0)
		return luaL_error(L, "journal entry is damaged: %s", err);
	int arr = lua_gettop(L);
	int n = (int)lua_objlen(L, arr);
	luaL_checkstack(L, n + 1, "too many step results");
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, arr, i);
		if (json_is_null(L, -1)) {
			lua_pop(L, 1);
			lua_pushnil(L);
		}
	}
	lua_remove(L, arr);
	return n;
}

static int record(lua_State *L, const char *name, const char *args, int n, int may_suspend);

/* A debugger's watch (step.h): the values it gives instead of the step's. */
static int watched(lua_State *L, struct engine_run *e, const char *name,
		   const struct journal_entry *je)
{
	int top = lua_gettop(L);
	int n = e->watch->before(L, e->watch->ud, e->next_step, name, je);
	if (n < 0) {
		lua_settop(L, top);
		return -1;
	}
	if (je)
		e->next_step++;          /* a replayed step given other values */
	else
		record(L, name, "(given by the debugger)", n, 0);
	return n;
}

int step_replay(lua_State *L, const char *name)
{
	const struct journal_entry *je = step_lookup(L, name);
	struct engine_run *e = current();
	if (e && e->watch) {
		int n = watched(L, e, name, je);
		if (n >= 0)
			return n;
	}
	if (!je)
		return -1;
	step_advance(L);
	if (je->error) {
		lua_pushstring(L, je->error);
		return lua_error(L);
	}
	return push_recorded(L, je->result_json);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the entry durably. Returns 0, or -1 with a message in err. */
static int save(struct engine_run *e, struct journal_entry *je, char *err, size_t errlen)
{
	prim_noint_enter();                        /* waits on the committer: a lock */
	int rc;
	if (e->recorded) {
		struct run_rec only_journal;       /* status 0: the record is left as it is */
		memset(&only_journal, 0, sizeof only_journal);
		memcpy(only_journal.id, e->rec.id, sizeof only_journal.id);
		rc = run_save(e->st, &only_journal, je, NULL, err, errlen);
	} else {
		engine_fill_record(e);
		e->rec.status = RUN_RUNNING;
		rc = run_save(e->st, &e->rec, je, NULL, err, errlen);
	}
	prim_noint_leave();
	if (rc != 0)
		return -1;
	e->recorded = 1;
	e->rec.steps = je->no;
	e->next_step++;
	return 0;
}

static int record(lua_State *L, const char *name, const char *args, int n, int may_suspend);

/* An integral double below 2^53 in decimal, as "%.0f" writes it: printf's
 * floating point path was a tenth of a journaled step's CPU time. */
static size_t put_integer(double v, char *out)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = (uint64_t)fabs(v);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	size_t len = (size_t)(buf + sizeof buf - p);
	memcpy(out, p, len);
	return len;
}

/* A double as 17 significant digits ("12345678901234567e-20"), which read
 * back (strtod) as the same double, like "%.17g" but without glibc's
 * multi-precision printf (a tenth of a step's instructions for random()).
 * The value scaled to 17 digits is computed in long double (64-bit
 * mantissa, powers of ten up to 1e27 exact): its error stays below 0.01 of
 * the last digit, well inside the half spacing of doubles that 17 digits
 * leave. Returns the length written to out (>= 32 bytes), or 0 for values
 * it leaves to printf (outside 1e-11..1e43, or no such long double). */
static size_t put_double17(double v, char *out)
{
#if LDBL_MANT_DIG >= 64
	static const long double p10[] = { 1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L,
		1e8L, 1e9L, 1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
		1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L };
	double a = fabs(v);
	if (!(a >= 1e-11 && a < 1e43))
		return 0;
	int k = 16 - (int)floor(log10(a));   /* a * 10^k in [1e16, 1e17) */
	long double s = 0;
	for (int tries = 0; tries < 3; tries++) {
		if (k < -27 || k > 27)
			return 0;
		s = k >= 0 ? (long double)a * p10[k] : (long double)a / p10[-k];
		if (s >= 1e17L)
			k--;
		else if (s < 1e16L)
			k++;
		else
			break;
	}
	if (!(s >= 1e16L && s < 1e17L))
		return 0;
	uint64_t n = (uint64_t)(s + 0.5L);
	if (n >= 100000000000000000ull) {
		n /= 10;
		k--;
	}
	while (n % 10 == 0) {
		n /= 10;
		k--;
	}
	char buf[24], *p = buf + sizeof buf;
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	size_t len = 0;
	if (v < 0)
		out[len++] = '-';
	memcpy(out + len, p, (size_t)(buf + sizeof buf - p));
	len += (size_t)(buf + sizeof buf - p);
	if (k != 0) {
		/* "e%d" by hand: snprintf was a tenth of this function */
		int x = -k;
		out[len++] = 'e';
		if (x < 0) {
			out[len++] = '-';
			x = -x;
		}
		if (x >= 10)
			out[len++] = (char)('0' + x / 10);
		out[len++] = (char)('0' + x % 10);
	}
	return len;
#else
	(void)v;
	(void)out;
	return 0;
#endif
}

/* A finite number as the journal writes it, into out (>= 48 bytes). The
 * journal needs an exact number, not the shortest one: 17 digits always read
 * back the same (soarctl never calls setlocale, so the point is a point). */
static size_t format_number(double v, char *out)
{
	size_t dl;
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return put_integer(v, out);
	if ((dl = put_double17(v, out)) > 0)
		return dl;
	return (size_t)snprintf(out, 48, "%.17g", v);
}

/* The values as a JSON array into fast (cap bytes) when they are all numbers
 * or nil (time, random: the commonest steps), without allocating. Returns its
 * length, or 0 when the general path must do it. */
static size_t fast_values(lua_State *L, int first, int n, char *fast, size_t cap)
{
	size_t len = 0;
	fast[len++] = '[';
	for (int i = 0; i < n; i++) {
		char d[48];
		size_t dl;
		if (lua_isnil(L, first + i)) {
			memcpy(d, "null", 4);
			dl = 4;
		} else if (lua_type(L, first + i) == LUA_TNUMBER && isfinite(lua_tonumber(L, first + i))) {
			dl = format_number(lua_tonumber(L, first + i), d);
		} else {
			return 0;
		}
		if (len + dl + 3 > cap)
			return 0;
		if (i)
			fast[len++] = ',';
		memcpy(fast + len, d, dl);
		len += dl;
	}
	fast[len++] = ']';
	fast[len] = '\0';
	return len;
}

void step_record(lua_State *L, const char *name, const char *args, int n)
{
	record(L, name, args, n, 0);
}

int step_commit(lua_State *L, const char *name, const char *args, int n)
{
	return record(L, name, args, n, 1);
}

/* Returns n, or (having suspended the run) what the primitive must return. */
static int record(lua_State *L, const char *name, const char *args, int n, int may_suspend)
{
	struct engine_run *e = current();
	if (!e)
		return n;
	struct store_buf b = { 0 };
	char fast[256];
	int first = lua_gettop(L) - n + 1;
	size_t rlen = fast_values(L, first, n, fast, sizeof fast);
	const char *result = fast;
	if (rlen == 0) {
		struct json_buf jb = { 0 };
		char err[256];
		store_buf_add(&b, "[", 1);
		for (int i = 0; i < n; i++) {
			if (i)
				store_buf_add(&b, ",", 1);
			if (lua_isnil(L, first + i)) {
				store_buf_str(&b, "null");
				continue;
			}
			if (lua_type(L, first + i) == LUA_TNUMBER && isfinite(lua_tonumber(L, first + i))) {
				char d[48];
				store_buf_add(&b, d, format_number(lua_tonumber(L, first + i), d));
				continue;
			}
			jb.len = 0;
			if (json_encode_lua(L, first + i, NULL, &jb, err, sizeof err) != 0) {
				json_buf_free(&jb);
				store_buf_free(&b);
				luaL_error(L, "%s: its result cannot be journaled: %s", name, err);
			}
			store_buf_add(&b, jb.data, jb.len);
		}
		json_buf_free(&jb);
		store_buf_add(&b, "]", 1);
		result = store_buf_cstr(&b);
		rlen = b.len;
		if (!result) {
			store_buf_free(&b);
			luaL_error(L, "%s: out of memory", name);
		}
	}
	struct journal_entry je;
	memset(&je, 0, sizeof je);
	je.no = e->next_step;
	je.name = (char *)name;
	je.args = (char *)args;
	je.result_json = (char *)result;
	je.task = e->task[0] ? e->task : NULL;
	je.started = now_ms();
	/* The journal is written out: no secret the run opened goes in. */
	prim_noint_enter();
	char *scrubbed = run_scrub(&e->pb.info, je.result_json, rlen, NULL);
	char *sargs = args ? run_scrub(&e->pb.info, args, strlen(args), NULL) : NULL;
	prim_noint_leave();
	if (scrubbed)
		je.result_json = scrubbed;
	if (sargs)
		je.args = sargs;
	if (e->watch && e->watch->no_store) {
		/* A dry run or a replay: the debugger keeps it, the store never sees it. */
		e->watch->after(e->watch->ud, &je);
		e->rec.steps = je.no;
		e->next_step++;
		store_buf_free(&b);
		free(scrubbed);
		free(sargs);
		return n;
	}
	if (may_suspend && e->async && sandbox_can_suspend(L)) {
		/* Event-driven: let other runs go on while this entry is made durable
		 * together with theirs. */
		const struct run_rec *rec = NULL;
		if (!e->recorded) {
			engine_fill_record(e);
			e->rec.status = RUN_RUNNING;
			rec = &e->rec;
		}
		e->rec.steps = je.no;
		e->next_step++;
		/* The values are kept by runloop_step_wait; the entry is copied. */
		int r = runloop_step_wait(L, e, rec, &je, n);
		store_buf_free(&b);
		free(scrubbed);
		free(sargs);
		return r;
	}
	char serr[512];
	int rc = save(e, &je, serr, sizeof serr);
	if (rc == 0 && e->watch)
		e->watch->after(e->watch->ud, &je);
	store_buf_free(&b);
	free(scrubbed);
	free(sargs);
	if (rc)
		luaL_error(L, "%s: cannot journal step %d: %s", name, (int)je.no, serr);
	return n;
}

/* A write step's values, from its JSON array (journal_write.json), pushed
 * onto co without raising: a damaged array gives nil and a message. */
struct write_step {
	struct journal_write *w;
};

static int push_written(lua_State *co, void *arg)
{
	struct write_step *ws = arg;
	const char *j = ws->w->json.p;
	char err[256];
	int top = lua_gettop(co);
	if (!j || !lua_checkstack(co, 8) ||
	    json_decode_push(co, j, ws->w->json.len, NULL, err, sizeof err) != 0 ||
	    !lua_istable(co, -1)) {
		lua_settop(co, top);
		lua_pushnil(co);
		lua_pushstring(co, "journal entry is damaged");
		return 2;
	}
	int arr = lua_gettop(co);
	int n = (int)lua_objlen(co, arr);
	if (!lua_checkstack(co, n + 1)) {
		lua_pop(co, 1);
		lua_pushnil(co);
		lua_pushstring(co, "too many step results");
		return 2;
	}
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(co, arr, i);
		if (json_is_null(co, -1)) {
			lua_pop(co, 1);
			lua_pushnil(co);
		}
	}
	lua_remove(co, arr);
	return n;
}

static void release_written(void *arg)
{
	struct write_step *ws = arg;
	ws->w->free_fn(ws->w);
	free(ws);
}

/* Outside a durable run: the write alone, its values kept as a run's would be. */
static int plain_apply(struct store *st, struct store_txn *txn, void *arg, char *err, size_t errlen)
{
	struct journal_write *w = arg;
	char werr[256] = "";
	int rc = w->apply(st, txn, w->ctx, werr, sizeof werr);
	if (rc != 0 && rc != STORE_REFUSED)
		return rc;
	w->json.len = 0;
	w->json.oom = 0;
	if (w->result(w->ctx, rc, werr[0] ? werr : "write refused", &w->json) != 0 ||
	    !store_buf_cstr(&w->json)) {
		snprintf(err, errlen, "out of memory");
		return STORE_REFUSED;
	}
	return 0;
}

int step_write(lua_State *L, struct store *st, const char *name, const char *args,
	       struct journal_write *w)
{
	struct engine_run *e = current();
	struct write_step *ws = malloc(sizeof *ws);
	if (!ws) {
		w->free_fn(w);
		return luaL_error(L, "%s: out of memory", name);
	}
	ws->w = w;
	char serr[512];
	int rc;
	if (!e) {
		prim_noint_enter();                /* waits on the committer: a lock */
		rc = store_write(st, plain_apply, w, serr, sizeof serr);
		prim_noint_leave();
	} else {
		struct journal_entry je;
		memset(&je, 0, sizeof je);
		je.no = e->next_step;
		je.name = (char *)name;
		je.task = e->task[0] ? e->task : NULL;
		je.started = now_ms();
		/* The written values hold nothing the run opened (a number, an id):
		 * only the arguments are scrubbed here, the text was by the caller. */
		prim_noint_enter();
		char *sargs = args ? run_scrub(&e->pb.info, args, strlen(args), NULL) : NULL;
		prim_noint_leave();
		if (sargs)
			je.args = sargs;
		else
			je.args = (char *)args;
		if (e->watch && e->watch->no_store) {
			/* The debugger answers every write of a dry run (step.h). */
			free(sargs);
			release_written(ws);
			return luaL_error(L, "%s: a dry run writes nothing", name);
		}
		if (e->async && sandbox_can_suspend(L)) {
			const struct run_rec *rec = NULL;
			if (!e->recorded) {
				engine_fill_record(e);
				e->rec.status = RUN_RUNNING;
				rec = &e->rec;
			}
			e->rec.steps = je.no;
			e->next_step++;
			/* The entry is copied; ws goes to the loop, which releases it. */
			int r = runloop_write_wait(L, e, rec, &je, w, push_written, ws, release_written);
			free(sargs);
			return r;
		}
		prim_noint_enter();
		if (e->recorded) {
			struct run_rec only_journal;
			memset(&only_journal, 0, sizeof only_journal);
			memcpy(only_journal.id, e->rec.id, sizeof only_journal.id);
			rc = run_save_write(e->st, &only_journal, &je, w, serr, sizeof serr);
		} else {
			engine_fill_record(e);
			e->rec.status = RUN_RUNNING;
			rc = run_save_write(e->st, &e->rec, &je, w, serr, sizeof serr);
		}
		prim_noint_leave();
		free(sargs);
		if (rc == 0) {
			e->recorded = 1;
			e->rec.steps = je.no;
			e->next_step++;
			if (e->watch) {
				je.result_json = w->json.p;
				e->watch->after(e->watch->ud, &je);
			}
		}
	}
	if (rc != 0) {
		char msg[600];
		if (e)
			snprintf(msg, sizeof msg, "%s: cannot journal step %d: %s", name,
				 (int)e->next_step, serr);
		else
			snprintf(msg, sizeof msg, "%s: %s", name, serr);
		release_written(ws);
		return luaL_error(L, "%s", msg);
	}
	int n = push_written(L, ws);
	release_written(ws);
	return n;
}

void step_fail(lua_State *L, const char *name, const char *args, const char *message)
{
	struct engine_run *e = current();
	if (e) {
		struct journal_entry je;
		memset(&je, 0, sizeof je);
		je.no = e->next_step;
		je.name = (char *)name;
		je.args = (char *)args;
		je.error = (char *)message;
		je.task = e->task[0] ? e->task : NULL;
		je.started = now_ms();
		char *scrubbed = run_scrub(&e->pb.info, message, strlen(message), NULL);
		if (scrubbed)
			je.error = scrubbed;
		char serr[512];
		int rc = 0;
		if (e->watch && e->watch->no_store) {
			e->watch->after(e->watch->ud, &je);
			e->next_step++;
		} else {
			rc = save(e, &je, serr, sizeof serr);
			if (rc == 0 && e->watch)
				e->watch->after(e->watch->ud, &je);
		}
		free(scrubbed);
		if (rc)
			luaL_error(L, "%s: cannot journal step %d: %s", name, (int)je.no, serr);
	}
	lua_pushstring(L, message);
	lua_error(L);
	abort();
}

int step_park(lua_State *L)
{
	struct engine_run *e = current();
	if (e)
		e->parked = 1;
	return sandbox_park(L);
}
