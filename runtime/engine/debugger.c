/* debugger.c - see debugger.h. */
#include "debugger.h"
#include "integration.h"
#include "prim_json.h"
#include "runscrub.h"
#include "sandbox_pause.h"
#include "step.h"
#include "store_buf.h"

#include <ctype.h>
#include <lauxlib.h>
#include <luajit.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BPS 64
#define MAX_WATCHES 16
#define MAX_OVERRIDES 32
#define LIST_AROUND 5
#define MAX_CHILDREN 1000     /* fields of one table shown to a front end */

/* The error a paused run is unwound with when the person travels, restarts
 * or quits: not a failure of the run. */
static const char abort_message[] = "\x02soarctl debug: execution abandoned";

struct bp {
	int id;
	char *file;          /* NULL: the playbook */
	int line;            /* 0: a step breakpoint */
	char *step;          /* step, primitive or task name */
	char *cond;          /* Lua expression, or NULL */
	char hit_op;         /* 0 none, '=', '>', 'g' (>=), '%' */
	int hit_n;
	int hits;
};

struct override {
	unsigned no;         /* 0: the next step taken */
	char *json;          /* a JSON array of the values */
};

enum action { ACT_NONE = 0, ACT_RERUN, ACT_QUIT };
enum mode { MODE_RUN = 0, MODE_STEP, MODE_NEXT, MODE_FINISH };

struct dbg {
	struct dbg_config cfg;
	struct step_watch sw;
	char chunkname[4200];          /* "@path" of the playbook */
	struct playbook_src own_src;   /* the recorded run's file */
	const struct playbook_src *src;
	struct run_rec orig;           /* the recorded run (replay) */
	/* The journal as this session knows it: replayed on every re-execution. */
	struct journal_entry *jr;
	size_t njr, capjr;
	struct override ov[MAX_OVERRIDES];
	int nov;
	struct bp bps[MAX_BPS];
	int nbp, next_bp;
	char *watch[MAX_WATCHES];
	char *watch_last[MAX_WATCHES];
	int nwatch;
	/* The current execution. */
	struct engine_run e;
	int have_run;                  /* e holds an execution (ended or running) */
	int running;                   /* executing now (paused inside it) */
	int recorded;                  /* the new run's record exists */
	char run_id[40];
	lua_State *mainL;
	unsigned gen;
	lua_State *co;                 /* paused coroutine */
	int frame;
	int at_line;                   /* line paused at, in the playbook (0: elsewhere) */
	const char *at_source;
	enum mode mode;
	int mode_depth;
	unsigned stop_before_step;     /* travel target (0 none) */
	int fail_line, fail_hits;      /* stop at this hit of this line (the failure) */
	int to_failure;                /* this execution goes to the failure */
	int *line_hits;
	int nlines;
	enum action action;
	int aborting;
	int evaluating;                /* print/watch/condition code runs: no stops */
	int started;                   /* the person asked to run */
	int quit;
	int last_status;
	/* Where an execution is: every line event and every step counts one, so a
	 * position is the same in every replay of the same history. */
	unsigned long tick;
	unsigned long first_pb_tick;   /* the playbook's first line */
	/* reverse continue: one replay finds the last stop before rev_target
	 * (collecting, stopping nowhere), the next stops at it (stop_at_tick). */
	int rev_collect;
	unsigned long rev_target, rev_best, stop_at_tick;
	char rev_why[256];
	int refs;                      /* registry ref: tables shown to a front end while paused */
};

/* ---- output, always scrubbed ---- */

static void say(struct dbg *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct dbg *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[1024];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	const char *text = small;
	char *big = NULL;
	if (n >= (int)sizeof small) {
		big = malloc((size_t)n + 1);
		if (!big)
			return;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		text = big;
	}
	size_t outlen;
	char *clean = run_scrub(d->have_run ? &d->e.pb.info : NULL, text, strlen(text), &outlen);
	fputs(clean ? clean : text, d->cfg.out);
	fflush(d->cfg.out);
	free(clean);
	free(big);
}

/* ---- the journal kept here ---- */

static char *dupn(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void jr_truncate(struct dbg *d, size_t n)
{
	if (n >= d->njr)
		return;
	for (size_t i = n; i < d->njr; i++) {
		free(d->jr[i].name);
		free(d->jr[i].args);
		free(d->jr[i].result_json);
		free(d->jr[i].task);
		free(d->jr[i].error);
	}
	d->njr = n;
}

/* Sets entry no (1-based) to a copy of je, dropping any after it: a step
 * taken anew makes the later ones history that no longer happens. */
static void jr_put(struct dbg *d, const struct journal_entry *je)
{
	size_t at = je->no - 1;
	if (at > d->njr)
		return;                    /* cannot happen: steps come in order */
	jr_truncate(d, at);
	if (d->njr == d->capjr) {
		size_t cap = d->capjr ? d->capjr * 2 : 64;
		struct journal_entry *g = realloc(d->jr, cap * sizeof *g);
		if (!g)
			return;
		d->jr = g;
		d->capjr = cap;
	}
	struct journal_entry *c = &d->jr[d->njr++];
	memset(c, 0, sizeof *c);
	c->no = je->no;
	c->name = dupn(je->name);
	c->args = dupn(je->args);
	c->result_json = dupn(je->result_json);
	c->task = dupn(je->task);
	c->error = dupn(je->error);
	c->started = je->started;
	/* The execution reads the journal through e.journal: keep it pointing here. */
	if (d->running)
		d->e.journal = d->jr;
}

static void on_after(void *ud, const struct journal_entry *je)
{
	jr_put(ud, je);
}

/* ---- frames ---- */

static int stack_depth(lua_State *L)
{
	lua_Debug ar;
	int n = 0;
	while (lua_getstack(L, n, &ar))
		n++;
	return n;
}

static const char *source_line(struct dbg *d, int line, size_t *len)
{
	const char *p = d->src->code, *end = p + d->src->len;
	for (int l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

static const char *short_src(const char *source)
{
	if (source[0] == '@' || source[0] == '=')
		source++;
	const char *slash = strrchr(source, '/');
	return slash ? slash + 1 : source;
}

static void show_where(struct dbg *d)
{
	lua_Debug ar;
	if (!d->co || !lua_getstack(d->co, d->frame, &ar)) {
		say(d, "(no frame)\n");
		return;
	}
	lua_getinfo(d->co, "Sln", &ar);
	if (strcmp(ar.source, d->chunkname) == 0 && ar.currentline > 0) {
		size_t len = 0;
		const char *s = source_line(d, ar.currentline, &len);
		say(d, "%s:%d  %.*s\n", short_src(ar.source), ar.currentline, (int)len, s ? s : "");
	} else {
		say(d, "%s:%d (%s)\n", short_src(ar.source), ar.currentline, ar.name ? ar.name : "?");
	}
}

/* ---- evaluation in the paused frame ---- */

/* Pushes the environment an expression sees in frame `level` of co: a table of
 * the frame's locals and its function's upvalues, over the function's globals
 * (the run's environment). */
static void push_scope(lua_State *co, int level)
{
	lua_Debug ar;
	lua_newtable(co);
	int scope = lua_gettop(co);
	if (!lua_getstack(co, level, &ar)) {
		lua_pushvalue(co, LUA_GLOBALSINDEX);
		goto meta;
	}
	lua_getinfo(co, "f", &ar);
	int fn = lua_gettop(co);
	const char *name;
	for (int i = 1; (name = lua_getupvalue(co, fn, i)) != NULL; i++)
		lua_setfield(co, scope, name);
	for (int i = 1; (name = lua_getlocal(co, &ar, i)) != NULL; i++) {
		if (name[0] == '(')
			lua_pop(co, 1);
		else
			lua_setfield(co, scope, name);
	}
	lua_getfenv(co, fn);
	lua_remove(co, fn);
meta:
	lua_createtable(co, 0, 1);
	lua_insert(co, -2);
	lua_setfield(co, -2, "__index");
	lua_setmetatable(co, scope);
}

/* Evaluates `expr` (an expression; with stmt, statements too) in frame level
 * of co. Returns the number of values pushed, or -1 with the message pushed. */
static int eval_in(struct dbg *d, lua_State *co, int level, const char *expr, int stmt)
{
	if (!lua_checkstack(co, 40)) {
		return -1;
	}
	int top = lua_gettop(co);
	struct store_buf b = { 0 };
	store_buf_str(&b, "return ");
	store_buf_str(&b, expr);
	char *code = store_buf_cstr(&b);
	if (!code) {
		store_buf_free(&b);
		lua_pushliteral(co, "out of memory");
		return -1;
	}
	int rc = luaL_loadbuffer(co, code, b.len, "=expression");
	store_buf_free(&b);
	if (rc != 0 && stmt && (unsigned char)expr[0] != LUA_SIGNATURE[0]) {
		lua_pop(co, 1);
		rc = luaL_loadbuffer(co, expr, strlen(expr), "=expression");
	}
	if (rc != 0)
		return -1;
	push_scope(co, level);
	lua_setfenv(co, -2);
	/* The run's own limits apply to what it evaluates; code it calls does not
	 * stop at breakpoints (no pause inside a pause). */
	sandbox_clock_resume();
	d->evaluating++;
	rc = lua_pcall(co, 0, LUA_MULTRET, 0);
	d->evaluating--;
	sandbox_clock_pause();
	if (rc != 0)
		return -1;
	return lua_gettop(co) - top;
}

/* The value at idx as text (the REPL's printer when it loads, else tostring):
 * pushes a string. */
static void push_shown(lua_State *co, int idx)
{
	idx = idx < 0 ? lua_gettop(co) + idx + 1 : idx;
	lua_getfield(co, LUA_GLOBALSINDEX, "require");
	int ok = 0;
	if (lua_isfunction(co, -1)) {
		lua_pushliteral(co, "_repl");
		if (lua_pcall(co, 1, 1, 0) == 0 && lua_istable(co, -1)) {
			lua_getfield(co, -1, "show");
			lua_remove(co, -2);
			lua_pushvalue(co, idx);
			ok = lua_pcall(co, 1, 1, 0) == 0 && lua_isstring(co, -1);
			if (!ok)
				lua_pop(co, 1);
		} else {
			lua_pop(co, 1);
		}
	} else {
		lua_pop(co, 1);
	}
	if (!ok) {
		lua_getfield(co, LUA_GLOBALSINDEX, "tostring");
		lua_pushvalue(co, idx);
		if (lua_pcall(co, 1, 1, 0) != 0 || !lua_isstring(co, -1)) {
			lua_pop(co, 1);
			lua_pushstring(co, luaL_typename(co, idx));
		}
	}
}

static void print_values(struct dbg *d, lua_State *co, int first, int n, const char *prefix)
{
	if (n == 0)
		say(d, "%snil\n", prefix);
	for (int i = 0; i < n; i++) {
		push_shown(co, first + i);
		say(d, "%s%s\n", prefix, lua_tostring(co, -1));
		lua_pop(co, 1);
	}
}

static void print_expr(struct dbg *d, const char *expr)
{
	if (!d->co) {
		say(d, "the run is not paused: nothing to evaluate in (break somewhere, then print)\n");
		return;
	}
	lua_State *co = d->co;
	int top = lua_gettop(co);
	int n = eval_in(d, co, d->frame, expr, 1);
	if (n < 0)
		say(d, "error: %s\n", lua_tostring(co, -1) ? lua_tostring(co, -1) : "?");
	else
		print_values(d, co, top + 1, n, "");
	lua_settop(co, top);
}

static void show_locals(struct dbg *d)
{
	lua_Debug ar;
	if (!d->co || !lua_getstack(d->co, d->frame, &ar)) {
		say(d, "the run is not paused\n");
		return;
	}
	lua_State *co = d->co;
	int top = lua_gettop(co);
	const char *name;
	int any = 0;
	for (int i = 1; (name = lua_getlocal(co, &ar, i)) != NULL; i++) {
		if (name[0] != '(') {
			push_shown(co, -1);
			say(d, "%s = %s\n", name, lua_tostring(co, -1));
			any = 1;
		}
		lua_settop(co, top);
	}
	lua_getinfo(co, "f", &ar);
	int fn = lua_gettop(co);
	for (int i = 1; (name = lua_getupvalue(co, fn, i)) != NULL; i++) {
		push_shown(co, -1);
		say(d, "%s = %s  (upvalue)\n", name, lua_tostring(co, -1));
		lua_settop(co, fn);
		any = 1;
	}
	lua_settop(co, top);
	if (!any)
		say(d, "(no locals)\n");
}

static void backtrace(struct dbg *d)
{
	lua_Debug ar;
	if (!d->co) {
		say(d, "the run is not paused\n");
		return;
	}
	for (int i = 0; lua_getstack(d->co, i, &ar); i++) {
		lua_getinfo(d->co, "Sln", &ar);
		say(d, "%c#%d  %s:%d  %s\n", i == d->frame ? '>' : ' ', i, short_src(ar.source),
		    ar.currentline, ar.name ? ar.name : (ar.what[0] == 'm' ? "(main chunk)" : "?"));
	}
}

static void list_source(struct dbg *d, int around)
{
	if (around <= 0) {
		lua_Debug ar;
		if (d->co && lua_getstack(d->co, d->frame, &ar)) {
			lua_getinfo(d->co, "Sl", &ar);
			if (strcmp(ar.source, d->chunkname) == 0)
				around = ar.currentline;
		}
	}
	if (around <= 0)
		around = 1;
	for (int l = around - LIST_AROUND; l <= around + LIST_AROUND; l++) {
		size_t len;
		const char *s = l > 0 ? source_line(d, l, &len) : NULL;
		if (s)
			say(d, "%c%4d  %.*s\n", l == around ? '>' : ' ', l, (int)len, s);
	}
}

/* ---- breakpoints ---- */

/* The frame a pause shows first: the innermost in the playbook's file, else
 * the innermost running Lua (a step pauses inside its primitive). */
static int first_lua_level(lua_State *co, const char *chunkname)
{
	lua_Debug ar;
	int lua = -1;
	for (int i = 0; lua_getstack(co, i, &ar); i++) {
		lua_getinfo(co, "S", &ar);
		if (chunkname && strcmp(ar.source, chunkname) == 0)
			return i;
		if (lua < 0 && strcmp(ar.what, "C") != 0)
			lua = i;
	}
	return lua < 0 ? 0 : lua;
}

static struct bp *bp_find_line(struct dbg *d, const char *source, int line)
{
	for (int i = 0; i < d->nbp; i++) {
		struct bp *b = &d->bps[i];
		if (b->line != line)
			continue;
		if (!b->file) {
			if (strcmp(source, d->chunkname) == 0)
				return b;
		} else {
			size_t sl = strlen(source), fl = strlen(b->file);
			if (sl >= fl && strcmp(source + sl - fl, b->file) == 0 &&
			    (sl == fl || source[sl - fl - 1] == '/' || source[sl - fl - 1] == '@'))
				return b;
		}
	}
	return NULL;
}

/* Counts a hit; 1 when its hit condition holds (or there is none). */
static int bp_hit_ok(struct bp *b)
{
	b->hits++;
	switch (b->hit_op) {
	case '=': return b->hits == b->hit_n;
	case '>': return b->hits > b->hit_n;
	case 'g': return b->hits >= b->hit_n;
	case '%': return b->hit_n > 0 && b->hits % b->hit_n == 0;
	default: return 1;
	}
}

/* 1 when the condition holds in frame 0 of co (an error stops too, said). */
static int bp_cond_ok(struct dbg *d, struct bp *b, lua_State *co)
{
	if (!b->cond)
		return 1;
	int top = lua_gettop(co);
	sandbox_clock_pause();
	int n = eval_in(d, co, first_lua_level(co, d->chunkname), b->cond, 0);
	sandbox_clock_resume();
	int ok;
	if (n < 0) {
		say(d, "breakpoint %d: condition error: %s\n", b->id,
		    lua_tostring(co, -1) ? lua_tostring(co, -1) : "?");
		ok = 1;
	} else {
		ok = n > 0 && lua_toboolean(co, top + 1);
	}
	lua_settop(co, top);
	return ok;
}

static void bp_free(struct bp *b)
{
	free(b->file);
	free(b->step);
	free(b->cond);
	memset(b, 0, sizeof *b);
}

/* "break LOC [hits [op]N] [if COND]" */
static void cmd_break(struct dbg *d, char *arg)
{
	if (!*arg) {
		if (!d->nbp)
			say(d, "no breakpoints\n");
		for (int i = 0; i < d->nbp; i++) {
			struct bp *b = &d->bps[i];
			char hit[32] = "";
			if (b->hit_op)
				snprintf(hit, sizeof hit, " hits %s%d", b->hit_op == '=' ? "" :
					 b->hit_op == 'g' ? ">=" : b->hit_op == '>' ? ">" : "%", b->hit_n);
			if (b->line)
				say(d, "%d  %s:%d%s%s%s  (hit %d)\n", b->id, b->file ? b->file : short_src(d->chunkname),
				    b->line, hit, b->cond ? " if " : "", b->cond ? b->cond : "", b->hits);
			else
				say(d, "%d  step %s%s%s%s  (hit %d)\n", b->id, b->step, hit, b->cond ? " if " : "",
				    b->cond ? b->cond : "", b->hits);
		}
		return;
	}
	if (d->nbp == MAX_BPS) {
		say(d, "too many breakpoints (%d): delete some first\n", MAX_BPS);
		return;
	}
	struct bp b;
	memset(&b, 0, sizeof b);
	char *cond = strstr(arg, " if ");
	if (cond) {
		*cond = 0;
		b.cond = strdup(cond + 4);
	}
	char *hits = strstr(arg, " hits ");
	if (hits) {
		*hits = 0;
		char *h = hits + 6;
		while (*h == ' ')
			h++;
		b.hit_op = '=';
		if (h[0] == '>' && h[1] == '=') {
			b.hit_op = 'g';
			h += 2;
		} else if (h[0] == '>' || h[0] == '%') {
			b.hit_op = h[0];
			h++;
		} else if (h[0] == '=' && h[1] == '=') {
			h += 2;
		}
		b.hit_n = atoi(h);
		if (b.hit_n <= 0) {
			say(d, "hits wants a count: hits 3, hits >=3, hits >3 or hits %%3\n");
			bp_free(&b);
			return;
		}
	}
	size_t l = strlen(arg);
	while (l && arg[l - 1] == ' ')
		arg[--l] = 0;
	char *colon = strrchr(arg, ':');
	char *end;
	long line = strtol(colon ? colon + 1 : arg, &end, 10);
	if (*arg && *end == 0 && line > 0 && end != (colon ? colon + 1 : arg)) {
		b.line = (int)line;
		if (colon) {
			*colon = 0;
			/* The playbook's own file, by its name or path, needs no file. */
			if (strcmp(short_src(d->chunkname), short_src(arg)) != 0)
				b.file = strdup(arg);
		} else if (line > d->nlines) {
			say(d, "%s has %d lines\n", short_src(d->chunkname), d->nlines);
			bp_free(&b);
			return;
		}
	} else {
		for (const char *p = arg; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-') {
				say(d, "break FILE:LINE, break LINE or break STEP (a step, primitive or "
				    "task name such as http.get, abuseipdb.check)\n");
				bp_free(&b);
				return;
			}
		b.step = strdup(arg);
	}
	b.id = ++d->next_bp;
	d->bps[d->nbp++] = b;
	if (b.line)
		say(d, "breakpoint %d at %s:%d\n", b.id, b.file ? b.file : short_src(d->chunkname), b.line);
	else
		say(d, "breakpoint %d at step %s\n", b.id, b.step);
}

static void cmd_delete(struct dbg *d, const char *arg)
{
	if (!*arg) {
		for (int i = 0; i < d->nbp; i++)
			bp_free(&d->bps[i]);
		d->nbp = 0;
		say(d, "all breakpoints deleted\n");
		return;
	}
	int id = atoi(arg);
	for (int i = 0; i < d->nbp; i++)
		if (d->bps[i].id == id) {
			bp_free(&d->bps[i]);
			memmove(&d->bps[i], &d->bps[i + 1], (size_t)(d->nbp - i - 1) * sizeof d->bps[0]);
			d->nbp--;
			say(d, "breakpoint %d deleted\n", id);
			return;
		}
	say(d, "no breakpoint %s (break with no argument lists them)\n", arg);
}

/* A step breakpoint's name matches the step's, the primitive's (http.get is
 * the step http.request) or the task's. */
static int step_matches(const char *want, const char *step, const char *task)
{
	if (!strcmp(want, step))
		return 1;
	if (!strncmp(want, "http.", 5) && !strcmp(step, "http.request"))
		return 1;
	if (task && !strcmp(step, "task") && !strcmp(want, task))
		return 1;
	return 0;
}

/* ---- pausing ---- */

static void show_watches(struct dbg *d, lua_State *co, int changed_only, int *changed)
{
	for (int i = 0; i < d->nwatch; i++) {
		int top = lua_gettop(co);
		int n = eval_in(d, co, first_lua_level(co, d->chunkname), d->watch[i], 0);
		const char *now = n < 0 ? "(error)" : NULL;
		if (n >= 0) {
			if (n == 0)
				lua_pushnil(co);
			push_shown(co, top + 1);
			now = lua_tostring(co, -1);
		}
		int differs = !d->watch_last[i] || strcmp(d->watch_last[i], now) != 0;
		if (!changed_only)
			say(d, "watch %d: %s = %s\n", i + 1, d->watch[i], now);
		else if (differs && d->watch_last[i])
			say(d, "watch %d: %s: %s -> %s\n", i + 1, d->watch[i], d->watch_last[i], now);
		if (differs) {
			if (d->watch_last[i] && changed)
				*changed = 1;
			free(d->watch_last[i]);
			d->watch_last[i] = strdup(now);
		}
		lua_settop(co, top);
	}
}

static char *default_read(void *ui, const char *prompt)
{
	(void)ui;
	(void)prompt;
	return NULL;
}

/* The command loop of a paused run. */
static void pause_here(struct dbg *d, lua_State *co, const char *why)
{
	sandbox_clock_pause();
	d->co = co;
	d->frame = first_lua_level(co, d->chunkname);
	if (d->cfg.stopped) {
		const char *reason = !why ? "step" : !strncmp(why, "breakpoint", 10) ? "breakpoint" :
				     !strncmp(why, "paused", 6) ? "pause" :
				     strstr(why, "failed") ? "exception" : "entry";
		size_t outlen;
		char *clean = why ? run_scrub(&d->e.pb.info, why, strlen(why), &outlen) : NULL;
		d->cfg.stopped(d->cfg.ui, reason, clean ? clean : why ? why : "step");
		free(clean);
	}
	if (why)
		say(d, "%s\n", why);
	show_where(d);
	if (d->nwatch)
		show_watches(d, co, 0, NULL);
	for (;;) {
		char *line = d->cfg.read_line(d->cfg.ui, "(debug) ");
		if (!line) {
			d->action = ACT_QUIT;
			d->quit = 1;
			d->aborting = 1;
			break;
		}
		int resumes = dbg_command(d, line);
		free(line);
		if (resumes)
			break;
	}
	d->co = NULL;
	if (d->refs != LUA_NOREF) {
		luaL_unref(co, LUA_REGISTRYINDEX, d->refs);
		d->refs = LUA_NOREF;
	}
	if (d->cfg.pause_req)   /* a pause asked while paused is answered by this one */
		__atomic_store_n(d->cfg.pause_req, 0, __ATOMIC_RELEASE);
	sandbox_clock_resume();
	if (d->aborting) {
		lua_sethook(d->mainL, NULL, 0, 0);
		lua_pushstring(co, abort_message);
		lua_error(co);
	}
}

static void line_hook(lua_State *L, lua_Debug *ar);

/* The collecting replay of a reverse continue reached where the person was:
 * the next replay stops at the last stop seen on the way (or the playbook's
 * first line). Abandons this execution. */
static void reverse_found(struct dbg *d, lua_State *L)
{
	d->rev_collect = 0;
	if (d->rev_best) {
		d->stop_at_tick = d->rev_best;
	} else {
		d->stop_at_tick = d->first_pb_tick ? d->first_pb_tick : 1;
		snprintf(d->rev_why, sizeof d->rev_why,
			 "no stop before: at the start of the run (travelled back: nothing sent)");
	}
	d->action = ACT_RERUN;
	d->aborting = 1;
	lua_pushstring(L, abort_message);
	lua_error(L);
}

static void abort_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	/* Fires at every instruction: a pcall in the playbook cannot keep it. */
	lua_pushstring(L, abort_message);
	lua_error(L);
}

static struct dbg *t_dbg;    /* the session whose run executes on this thread */

static void line_hook(lua_State *L, lua_Debug *ar)
{
	struct dbg *d = t_dbg;
	if (!d)
		return;
	if (d->aborting) {
		lua_sethook(L, abort_hook, LUA_MASKCOUNT, 1);
		lua_pushstring(L, abort_message);
		lua_error(L);
	}
	/* Code run while paused (print, the value printer) is not the run's. */
	if (ar->event != LUA_HOOKLINE || d->evaluating || d->co)
		return;
	lua_getinfo(L, "S", ar);
	int line = ar->currentline;
	int in_pb = strcmp(ar->source, d->chunkname) == 0;
	if (in_pb && line > 0 && line <= d->nlines)
		d->line_hits[line]++;
	d->tick++;
	if (in_pb && !d->first_pb_tick)
		d->first_pb_tick = d->tick;
	char why[256];
	why[0] = 0;
	int stop = 0;
	if (d->rev_collect) {
		if (d->tick >= d->rev_target)
			reverse_found(d, L);
		struct bp *b = d->nbp ? bp_find_line(d, ar->source, line) : NULL;
		if (b && bp_cond_ok(d, b, L) && bp_hit_ok(b)) {
			d->rev_best = d->tick;
			snprintf(d->rev_why, sizeof d->rev_why, "breakpoint %d, %s:%d (travelled back: nothing sent)",
				 b->id, short_src(ar->source), line);
		}
		return;
	}
	if (d->stop_at_tick) {
		if (d->tick == d->stop_at_tick) {
			d->stop_at_tick = 0;
			d->mode = MODE_RUN;
			pause_here(d, L, d->rev_why);
		}
		return;
	}
	if (d->to_failure || d->stop_before_step) {
		if (d->to_failure && in_pb && line == d->fail_line && d->line_hits[line] == d->fail_hits) {
			stop = 1;
			snprintf(why, sizeof why, "the run failed at this line (replayed: nothing sent)");
			d->to_failure = 0;
		}
	} else {
		switch (d->mode) {
		case MODE_STEP:
			stop = in_pb;
			break;
		case MODE_NEXT:
			stop = in_pb && stack_depth(L) <= d->mode_depth;
			break;
		case MODE_FINISH:
			stop = in_pb && stack_depth(L) < d->mode_depth;
			break;
		default:
			break;
		}
		if (!stop && d->nbp) {
			struct bp *b = bp_find_line(d, ar->source, line);
			if (b && bp_cond_ok(d, b, L) && bp_hit_ok(b)) {
				stop = 1;
				snprintf(why, sizeof why, "breakpoint %d, %s:%d", b->id, short_src(ar->source), line);
			}
		}
		if (!stop && in_pb && d->cfg.pause_req &&
		    __atomic_exchange_n(d->cfg.pause_req, 0, __ATOMIC_ACQ_REL)) {
			stop = 1;
			snprintf(why, sizeof why, "paused at %s:%d", short_src(ar->source), line);
		}
		if (!stop && d->nwatch && in_pb) {
			int changed = 0;
			sandbox_clock_pause();
			show_watches(d, L, 1, &changed);
			sandbox_clock_resume();
			stop = changed;
		}
	}
	if (stop) {
		d->mode = MODE_RUN;
		pause_here(d, L, why[0] ? why : NULL);
	}
}

/* Steps that touch nothing outside (the clock, randomness, task bookkeeping):
 * a dry run or a replay lets them act. */
static int pure_step(const char *name)
{
	static const char *const pure[] = { "random", "pick", "task", "task.end", "time.now",
		"uuid.v4", "uuid.v7", NULL };
	for (int i = 0; pure[i]; i++)
		if (!strcmp(pure[i], name))
			return 1;
	return 0;
}

/* An integration command's step, in mock mode: its mock data answers and
 * nothing is sent. */
static int mock_answers(const char *name)
{
	static const char *const builtin[] = { "http.", "email.", "case.", "edl.", "indicator.",
		"playbook.", "prompt.", "secret.", "sleep", NULL };
	if (!integration_mock_all() || !strchr(name, '.'))
		return 0;
	for (int i = 0; builtin[i]; i++)
		if (!strncmp(name, builtin[i], strlen(builtin[i])))
			return 0;
	return 1;
}

static int push_json_values(lua_State *L, const char *json)
{
	char err[200];
	if (json_decode_push(L, json, strlen(json), NULL, err, sizeof err) != 0 || !lua_istable(L, -1)) {
		lua_pop(L, 1);
		return luaL_error(L, "override: %s", err);
	}
	int arr = lua_gettop(L);
	int n = (int)lua_objlen(L, arr);
	luaL_checkstack(L, n + 1, "too many values");
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

static int take_override(struct dbg *d, unsigned no)
{
	for (int i = 0; i < d->nov; i++)
		if (d->ov[i].no == no || d->ov[i].no == 0)
			return i;
	return -1;
}

static int on_before(lua_State *L, void *ud, unsigned no, const char *name,
		     const struct journal_entry *je)
{
	struct dbg *d = ud;
	if (d->aborting) {
		lua_pushstring(L, abort_message);
		return lua_error(L);
	}
	if (d->evaluating)
		return luaL_error(L, "%s: print, watch and conditions take no steps (the run's "
				  "journal would change); step into the call instead", name);
	const char *task = !strcmp(name, "task") && lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
	char why[512];
	why[0] = 0;
	int stop = 0;
	d->tick++;
	if (d->rev_collect) {
		if (d->tick >= d->rev_target)
			reverse_found(d, L);
		for (int i = 0; i < d->nbp; i++) {
			struct bp *b = &d->bps[i];
			if (b->step && step_matches(b->step, name, task) && bp_cond_ok(d, b, L) && bp_hit_ok(b)) {
				d->rev_best = d->tick;
				snprintf(d->rev_why, sizeof d->rev_why, "breakpoint %d, step %u %s (travelled back: "
					 "nothing sent)", b->id, no, name);
				break;
			}
		}
	} else if (d->stop_at_tick) {
		if (d->tick == d->stop_at_tick) {
			d->stop_at_tick = 0;
			stop = 1;
			snprintf(why, sizeof why, "%s", d->rev_why);
		}
	} else if (d->stop_before_step) {
		if (no == d->stop_before_step) {
			d->stop_before_step = 0;
			stop = 1;
			snprintf(why, sizeof why, "at step %u %s (replayed to here: nothing sent)", no, name);
		}
	} else if (d->to_failure) {
		if (je && je->error && no == je->no && no == d->njr) {
			stop = 1;
			d->to_failure = 0;
			snprintf(why, sizeof why, "step %u %s failed here in the run: %s", no, name, je->error);
		}
	} else {
		for (int i = 0; i < d->nbp && !stop; i++) {
			struct bp *b = &d->bps[i];
			if (b->step && step_matches(b->step, name, task) && bp_cond_ok(d, b, L) && bp_hit_ok(b)) {
				stop = 1;
				snprintf(why, sizeof why, "breakpoint %d, step %u %s%s%s", b->id, no, name,
					 je ? " (replayed from the journal)" : "", je && je->error ? ": it failed" : "");
			}
		}
	}
	int world = !pure_step(name);
	int must_answer = !je && world && (d->cfg.dry || d->cfg.run_id) && take_override(d, no) < 0 &&
			  !mock_answers(name);
	if (must_answer && !stop) {
		stop = 1;
		snprintf(why, sizeof why, "step %u %s would touch the world, and this run %s: "
			 "`override VALUE` gives its result, `continue` returns nil, \"dry run\"",
			 no, name, d->cfg.dry ? "is dry" : "is a replay");
	}
	if (stop) {
		d->mode = MODE_RUN;
		pause_here(d, L, why);
	}
	int oi = take_override(d, no);
	if (oi >= 0) {
		char *json = d->ov[oi].json;
		memmove(&d->ov[oi], &d->ov[oi + 1], (size_t)(d->nov - oi - 1) * sizeof d->ov[0]);
		d->nov--;
		int n = push_json_values(L, json);
		if (je) {
			/* History changes here: what the journal says after it no longer
			 * happens; keep this value for later replays. */
			struct journal_entry ne;
			memset(&ne, 0, sizeof ne);
			ne.no = no;
			ne.name = (char *)name;
			ne.args = (char *)"(given by the debugger)";
			ne.result_json = json;
			jr_put(d, &ne);
			d->e.njournal = no - 1;
			if (!d->sw.no_store) {
				/* The store's journal of this run holds the old history past
				 * here: it stays as it was, and this session goes on in
				 * memory (steps still act: the run is not dry). */
				d->sw.no_store = 1;
				say(d, "history changed at step %u: run %s keeps its journal; from here "
				    "this session records nothing\n", no, d->run_id);
			}
		}
		free(json);
		say(d, "step %u %s: overridden\n", no, name);
		return n;
	}
	if (must_answer) {
		lua_pushnil(L);
		lua_pushliteral(L, "dry run: no result");
		return 2;
	}
	return -1;
}

/* ---- executing ---- */

static void on_prepare(lua_State *L, void *ud)
{
	struct dbg *d = ud;
	d->mainL = L;
	d->gen = sandbox_generation(d->cfg.sb);
	/* Hooks do not run inside compiled traces: interpret everything. */
	luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
	lua_sethook(L, line_hook, LUA_MASKLINE, 0);
}

static int count_lines(const struct playbook_src *src)
{
	int n = 1;
	for (size_t i = 0; i < src->len; i++)
		if (src->code[i] == '\n')
			n++;
	return n;
}

static void end_execution(struct dbg *d)
{
	d->e.journal = NULL;        /* ours (d->jr) */
	d->e.njournal = 0;
	engine_run_clear(&d->e);
	d->have_run = 0;
}

/* One execution from the top, replaying what the session's journal knows. */
static int execute(struct dbg *d)
{
	if (d->have_run)
		end_execution(d);
	struct engine_run *e = &d->e;
	char err[512];
	if (d->cfg.run_id) {
		memset(e, 0, sizeof *e);
		e->st = d->cfg.st;
		if (run_get(d->cfg.st, d->cfg.run_id, &e->rec, err, sizeof err) != 0) {
			say(d, "cannot read run %s: %s\n", d->cfg.run_id, err);
			return -1;
		}
		e->recorded = 1;
		e->pb.src = d->src;
		e->pb.input_json = e->rec.inputs_json;
		e->pb.limits = d->cfg.opt.limits;
		snprintf(e->pb.info.playbook, sizeof e->pb.info.playbook, "%s",
			 e->rec.playbook ? e->rec.playbook : "");
	} else {
		engine_setup(d->cfg.st, d->src, d->cfg.inputs, d->cfg.ninputs, d->cfg.input_json,
			     &d->cfg.opt, e);
		if (d->run_id[0])
			memcpy(e->rec.id, d->run_id, sizeof e->rec.id);
		else
			memcpy(d->run_id, e->rec.id, sizeof d->run_id);
		e->recorded = d->recorded;
	}
	e->journal = d->jr;
	e->njournal = d->njr;
	e->watch = &d->sw;
	e->pb.on_prepare = on_prepare;
	e->pb.on_prepare_ud = d;
	memset(d->line_hits, 0, ((size_t)d->nlines + 1) * sizeof *d->line_hits);
	for (int i = 0; i < d->nbp; i++)
		d->bps[i].hits = 0;
	d->tick = 0;
	d->first_pb_tick = 0;
	d->have_run = 1;
	d->running = 1;
	d->aborting = 0;
	d->evaluating = 0;
	d->action = ACT_NONE;
	t_dbg = d;
	engine_prologue(e);
	playbook_run(d->cfg.sb, &e->pb);
	t_dbg = NULL;
	d->running = 0;
	if (d->mainL && sandbox_generation(d->cfg.sb) == d->gen)
		lua_sethook(d->mainL, NULL, 0, 0);
	d->mainL = NULL;
	if (d->aborting)
		return -1;
	int status;
	if (d->sw.no_store) {
		status = e->pb.status == PLAYBOOK_SUCCEEDED ? RUN_SUCCEEDED :
			 e->pb.status == PLAYBOOK_PARKED ? RUN_WAITING : RUN_FAILED;
	} else {
		status = engine_epilogue(e);
		if (status > 0)
			d->recorded = 1;
	}
	return status;
}

static void report(struct dbg *d, int status)
{
	struct engine_run *e = &d->e;
	const struct sandbox_outcome *o = &e->pb.outcome;
	const char *how = !d->sw.no_store ? "" : d->cfg.dry ? " (dry: nothing recorded)" :
			  d->cfg.run_id ? " (replay: nothing recorded)" :
			  " (not recorded: its history was changed)";
	if (e->pb.status == PLAYBOOK_SUCCEEDED)
		say(d, "run %s succeeded%s: %s\n", d->cfg.run_id ? d->cfg.run_id : d->run_id, how,
		    e->pb.result_json ? e->pb.result_json : "null");
	else if (e->pb.status == PLAYBOOK_PARKED)
		say(d, "run %s waits (%s)%s\n", d->run_id, e->rec.wait_kind ? e->rec.wait_kind : "a step", how);
	else
		say(d, "run %s failed%s: %s\n", d->cfg.run_id ? d->cfg.run_id : d->run_id, how,
		    o->message ? o->message : "?");
	(void)status;
}

/* ---- commands ---- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = 0;
	return s;
}

static void abandon(struct dbg *d)
{
	d->action = ACT_RERUN;
	if (d->running)
		d->aborting = 1;
}

static unsigned next_step_no(struct dbg *d)
{
	return d->have_run ? d->e.next_step : 1;
}

static void cmd_goto(struct dbg *d, long no)
{
	if (no < 1)
		no = 1;
	if ((size_t)no > d->njr + 1) {
		say(d, "step %ld has not happened yet (%zu steps known): `steps` lists them\n", no, d->njr);
		return;
	}
	d->stop_before_step = (unsigned)no;
	d->to_failure = 0;
	d->started = 1;
	say(d, "travelling to step %ld: replaying from the start (nothing sent)\n", no);
	abandon(d);
}

static void cmd_steps(struct dbg *d)
{
	if (!d->njr)
		say(d, "no steps yet\n");
	unsigned next = next_step_no(d);
	for (size_t i = 0; i < d->njr; i++) {
		const struct journal_entry *j = &d->jr[i];
		const char *res = j->error ? j->error : j->result_json ? j->result_json : "";
		int cut = strlen(res) > 160;
		say(d, "%c%4u  %-20s %s%.*s%s\n", j->no == next && d->running ? '>' : ' ', j->no, j->name,
		    j->error ? "error: " : "-> ", cut ? 160 : (int)strlen(res), res, cut ? " ..." : "");
	}
}

/* VALUE as JSON (it parses), else a Lua expression in the paused frame (or the
 * run's globals); returns the JSON array "[value]" malloc'd, or NULL (said). */
static char *value_json(struct dbg *d, const char *value)
{
	lua_State *L = d->co ? d->co : d->mainL;
	if (!L) {
		/* Between executions: JSON only. */
		lua_State *tmp = luaL_newstate();
		if (!tmp)
			return NULL;
		char err[200];
		char *out = NULL;
		if (json_decode_push(tmp, value, strlen(value), NULL, err, sizeof err) == 0) {
			struct store_buf b = { 0 };
			store_buf_str(&b, "[");
			store_buf_str(&b, value);
			store_buf_str(&b, "]");
			out = store_buf_cstr(&b);
		} else {
			say(d, "override: not JSON (%s); a Lua value needs the run paused\n", err);
		}
		lua_close(tmp);
		return out;
	}
	int top = lua_gettop(L);
	char err[200];
	if (json_decode_push(L, value, strlen(value), NULL, err, sizeof err) != 0) {
		lua_settop(L, top);
		int n = d->co ? eval_in(d, L, d->frame, value, 0) : -1;
		if (n < 1) {
			say(d, "override: %s is neither JSON nor a Lua value%s%s\n", value, n < 0 ? ": " : "",
			    n < 0 && lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
			lua_settop(L, top);
			return NULL;
		}
		lua_settop(L, top + 1);
	}
	struct json_buf jb = { 0 };
	char *out = NULL;
	if (json_encode_lua(L, top + 1, NULL, &jb, err, sizeof err) == 0) {
		out = malloc(jb.len + 3);
		if (out) {
			out[0] = '[';
			memcpy(out + 1, jb.data, jb.len);
			out[jb.len + 1] = ']';
			out[jb.len + 2] = 0;
		}
	} else {
		say(d, "override: the value cannot be a step's result: %s\n", err);
	}
	json_buf_free(&jb);
	lua_settop(L, top);
	return out;
}

static void cmd_override(struct dbg *d, char *arg)
{
	unsigned no = 0;
	char *end;
	long v = strtol(arg, &end, 10);
	if (end != arg && v > 0 && isspace((unsigned char)*end)) {
		no = (unsigned)v;
		arg = trim(end);
	}
	if (!*arg) {
		say(d, "override [STEP_NO] VALUE: VALUE as JSON or a Lua value\n");
		return;
	}
	if (d->nov == MAX_OVERRIDES) {
		say(d, "too many overrides waiting\n");
		return;
	}
	char *json = value_json(d, arg);
	if (!json)
		return;
	for (int i = 0; i < d->nov; i++)
		if (d->ov[i].no == no) {
			free(d->ov[i].json);
			d->ov[i].json = json;
			goto said;
		}
	d->ov[d->nov].no = no;
	d->ov[d->nov++].json = json;
said:
	if (no && d->running && no < next_step_no(d))
		say(d, "step %u will return %s when the run reaches it again (`goto %u`)\n", no, json, no);
	else if (no)
		say(d, "step %u will return %s\n", no, json);
	else
		say(d, "the next step will return %s\n", json);
}

static const char help_text[] =
	"break FILE:LINE | LINE | STEP [hits [>=|>|%]N] [if COND]   (b)  list with `break`\n"
	"delete [N]               a breakpoint, or all\n"
	"run | continue (c)       run to the next stop\n"
	"step (s)  next (n)  finish   a line, over calls, out of the function\n"
	"backtrace (bt)  frame N  locals  list (l) [LINE]\n"
	"print EXPR (p, = EXPR)   in the paused frame: locals, upvalues, the run's globals\n"
	"watch EXPR               shown at each stop; stops when it changes\n"
	"steps                    journaled steps so far, with results\n"
	"override [STEP_NO] VALUE the next (or that) step returns VALUE (JSON or Lua)\n"
	"back [N]  goto STEP_NO   travel back: replay from the start, nothing sent\n"
	"rcontinue (rc)           travel back to the previous stop (breakpoint)\n"
	"restart  quit (q)\n";

static int is_cmd(const char *c, const char *word, const char *shortform)
{
	return !strcmp(c, word) || (shortform && !strcmp(c, shortform));
}

int dbg_command(struct dbg *d, const char *input)
{
	char *buf = strdup(input);
	if (!buf)
		return 0;
	char *line = trim(buf);
	char *arg = line;
	if (line[0] == '=') {
		arg = trim(line + 1);
		print_expr(d, arg);
		free(buf);
		return 0;
	}
	while (*arg && !isspace((unsigned char)*arg))
		arg++;
	if (*arg)
		*arg++ = 0;
	arg = trim(arg);
	const char *c = line;
	int resumes = 0;
#define IS(a, b) is_cmd(c, a, b)
	if (!*c) {
		/* nothing */
	} else if (IS("help", "h")) {
		say(d, "%s", help_text);
	} else if (IS("break", "b")) {
		cmd_break(d, arg);
	} else if (IS("delete", "d")) {
		cmd_delete(d, arg);
	} else if (IS("list", "l")) {
		list_source(d, atoi(arg));
	} else if (IS("continue", "c") || IS("run", "r")) {
		d->mode = MODE_RUN;
		d->started = 1;
		resumes = d->running || !d->have_run;
		if (!resumes)
			say(d, "the run has ended: restart, back [N] or goto STEP_NO\n");
	} else if (IS("step", "s") || IS("next", "n") || IS("finish", NULL)) {
		if (!d->running && d->have_run) {
			say(d, "the run has ended: restart, back [N] or goto STEP_NO\n");
		} else {
			d->mode = c[0] == 's' ? MODE_STEP : c[0] == 'n' ? MODE_NEXT : MODE_FINISH;
			d->mode_depth = d->co ? stack_depth(d->co) - d->frame : 0;
			d->started = 1;
			resumes = 1;
		}
	} else if (IS("backtrace", "bt")) {
		backtrace(d);
	} else if (IS("frame", "f")) {
		lua_Debug ar;
		int n = atoi(arg);
		if (d->co && n >= 0 && lua_getstack(d->co, n, &ar)) {
			d->frame = n;
			show_where(d);
		} else {
			say(d, "no frame %s (backtrace lists them)\n", arg);
		}
	} else if (IS("locals", NULL)) {
		show_locals(d);
	} else if (IS("print", "p")) {
		print_expr(d, arg);
	} else if (IS("watch", NULL)) {
		if (!*arg) {
			for (int i = 0; i < d->nwatch; i++)
				say(d, "watch %d: %s\n", i + 1, d->watch[i]);
		} else if (d->nwatch < MAX_WATCHES) {
			d->watch[d->nwatch++] = strdup(arg);
			say(d, "watch %d: %s\n", d->nwatch, arg);
			if (d->co)
				show_watches(d, d->co, 0, NULL);
		}
	} else if (IS("steps", NULL)) {
		cmd_steps(d);
	} else if (IS("override", "o")) {
		cmd_override(d, arg);
	} else if (IS("back", NULL)) {
		int n = *arg ? atoi(arg) : 1;
		if (n < 1)
			say(d, "back N: N steps back (1 or more)\n");
		else if (!d->have_run)
			say(d, "nothing has run yet\n");
		else {
			resumes = 1;
			cmd_goto(d, (long)next_step_no(d) - n);
		}
	} else if (IS("goto", NULL)) {
		char *end;
		long n = strtol(arg, &end, 10);
		if (end == arg || n < 1) {
			say(d, "goto STEP_NO (steps lists them)\n");
		} else {
			cmd_goto(d, n);
			resumes = d->action == ACT_RERUN;
		}
	} else if (IS("rcontinue", "rc")) {
		if (!d->running) {
			say(d, "rcontinue travels back from a paused run: nothing is paused\n");
		} else {
			d->rev_collect = 1;
			d->rev_target = d->tick;
			d->rev_best = 0;
			d->stop_at_tick = 0;
			d->stop_before_step = 0;
			d->to_failure = 0;
			d->mode = MODE_RUN;
			d->started = 1;
			say(d, "travelling back to the stop before this one: replaying from the start "
			    "(nothing sent)\n");
			abandon(d);
			resumes = 1;
		}
	} else if (IS("restart", NULL)) {
		d->stop_before_step = 0;
		d->to_failure = 0;
		d->started = 1;
		d->mode = MODE_RUN;
		say(d, "restarting from the top (journaled steps replay: nothing sent again)\n");
		abandon(d);
		resumes = 1;
	} else if (IS("quit", "q")) {
		d->action = ACT_QUIT;
		d->quit = 1;
		if (d->running)
			d->aborting = 1;
		resumes = 1;
	} else {
		say(d, "unknown command '%s' (help lists them)\n", c);
	}
#undef IS
	free(buf);
	return resumes;
}

/* ---- the session ---- */

static char *read_cmd(struct dbg *d, const char *prompt)
{
	return d->cfg.read_line(d->cfg.ui, prompt);
}

/* Reads commands while no run executes; returns when one should start. */
static void idle_prompt(struct dbg *d)
{
	d->action = ACT_NONE;
	for (;;) {
		char *line = read_cmd(d, "(debug) ");
		if (!line) {
			d->quit = 1;
			return;
		}
		int r = dbg_command(d, line);
		free(line);
		if (d->quit)
			return;
		if (r && (d->action == ACT_RERUN || !d->have_run))
			return;
	}
}

int dbg_session(struct dbg *d)
{
	if (d->cfg.run_id)
		say(d, "debugging run %s (%s, %zu journaled steps): it replays from its journal, "
		    "nothing is sent or recorded. `continue` runs it; help lists commands\n",
		    d->cfg.run_id, short_src(d->chunkname), d->njr);
	else
		say(d, "debugging %s%s: break, then run (or continue, step); help lists commands\n",
		    short_src(d->chunkname), d->cfg.dry ? " (dry: nothing world-touching acts)" : "");
	idle_prompt(d);
	int auto_failure = 1;
	while (!d->quit) {
		int status = execute(d);
		if (d->quit)
			break;
		if (status < 0 && d->action == ACT_RERUN) {
			if (d->stop_before_step == 0 && !d->to_failure)
				auto_failure = 1;
			continue;
		}
		if (status < 0) {
			idle_prompt(d);
			continue;
		}
		d->last_status = status;
		const struct sandbox_outcome *o = &d->e.pb.outcome;
		if (d->stop_before_step) {
			say(d, "step %u was not reached in this execution\n", d->stop_before_step);
			d->stop_before_step = 0;
		}
		if (d->rev_collect || d->stop_at_tick) {
			say(d, "the replay took another path: it did not come back to where you were\n");
			d->rev_collect = 0;
			d->stop_at_tick = 0;
		}
		report(d, status);
		if (d->cfg.ended)
			d->cfg.ended(d->cfg.ui, status);
		/* Stop where it failed: replay to the failing step or line (the
		 * journal answers every step, so nothing is sent again). */
		if (status == RUN_FAILED && auto_failure && o->status == SANDBOX_ERROR) {
			int by_step = d->njr && d->jr[d->njr - 1].error;
			int line = o->file && o->line > 0 && o->line <= d->nlines &&
				   (!strcmp(o->file, d->chunkname + 1) || !strcmp(o->file, d->chunkname))
				   ? o->line : 0;
			if (by_step || line) {
				d->to_failure = 1;
				d->fail_line = line;
				d->fail_hits = line ? d->line_hits[line] : 0;
				auto_failure = 0;
				say(d, "replaying to where it failed (nothing sent)\n");
				continue;
			}
		}
		d->to_failure = 0;
		auto_failure = 1;
		if (o->status == SANDBOX_CPU_LIMIT || o->status == SANDBOX_WALL_LIMIT)
			say(d, "the run was stopped by its limit; the session goes on (restart, back, goto)\n");
		idle_prompt(d);
	}
	if (d->have_run)
		end_execution(d);
	return d->last_status;
}

/* ---- structured access (front ends) ---- */

int dbg_frames(struct dbg *d, void (*fn)(void *ud, int level, const char *name,
					 const char *source, int line), void *ud)
{
	lua_Debug ar;
	int n = 0;
	if (!d->co)
		return 0;
	for (int i = 0; lua_getstack(d->co, i, &ar); i++) {
		lua_getinfo(d->co, "Sln", &ar);
		if (!strcmp(ar.what, "C"))
			continue;
		const char *src = ar.source[0] == '@' ? ar.source + 1 : ar.source;
		fn(ud, i, ar.name ? ar.name : ar.what[0] == 'm' ? "(main chunk)" : "(function)", src,
		   ar.currentline > 0 ? ar.currentline : 0);
		n++;
	}
	return n;
}

/* A table shown to a front end gets a handle (1, 2, ...) valid until the run
 * resumes; 0 for anything else. Pushes nothing. */
static int table_handle(struct dbg *d, lua_State *co, int idx)
{
	if (lua_type(co, idx) != LUA_TTABLE)
		return 0;
	idx = idx < 0 ? lua_gettop(co) + idx + 1 : idx;
	if (d->refs == LUA_NOREF) {
		lua_newtable(co);
		d->refs = luaL_ref(co, LUA_REGISTRYINDEX);
	}
	lua_rawgeti(co, LUA_REGISTRYINDEX, d->refs);
	int n = (int)lua_objlen(co, -1) + 1;
	lua_pushvalue(co, idx);
	lua_rawseti(co, -2, n);
	lua_pop(co, 1);
	return n;
}

/* Shows the value at the top of co through fn (scrubbed), popping it. */
static void show_var(struct dbg *d, lua_State *co, const char *name, const char *kind,
		     void (*fn)(void *ud, const char *name, const char *value, const char *kind, int ref),
		     void *ud)
{
	int v = lua_gettop(co);
	int ref = table_handle(d, co, v);
	push_shown(co, v);
	size_t outlen;
	const char *text = lua_tostring(co, -1);
	char *clean = run_scrub(&d->e.pb.info, text, strlen(text), &outlen);
	char *cname = run_scrub(&d->e.pb.info, name, strlen(name), &outlen);
	fn(ud, cname ? cname : name, clean ? clean : text, kind, ref);
	free(clean);
	free(cname);
	lua_settop(co, v - 1);
}

void dbg_variables(struct dbg *d, int level, void (*fn)(void *ud, const char *name,
							 const char *value, const char *kind, int ref),
		   void *ud)
{
	lua_Debug ar;
	if (!d->co || !lua_getstack(d->co, level, &ar))
		return;
	lua_State *co = d->co;
	int top = lua_gettop(co);
	const char *name;
	for (int i = 1; (name = lua_getlocal(co, &ar, i)) != NULL; i++) {
		if (name[0] != '(')
			show_var(d, co, name, "local", fn, ud);
		lua_settop(co, top);
	}
	lua_getinfo(co, "f", &ar);
	int f = lua_gettop(co);
	for (int i = 1; (name = lua_getupvalue(co, f, i)) != NULL; i++) {
		show_var(d, co, name, "upvalue", fn, ud);
		lua_settop(co, f);
	}
	lua_settop(co, top);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void dbg_children(struct dbg *d, int ref, void (*fn)(void *ud, const char *name,
						      const char *value, const char *kind, int ref),
		  void *ud)
{
	if (!d->co || d->refs == LUA_NOREF || ref < 1)
		return;
	lua_State *co = d->co;
	int top = lua_gettop(co);
	lua_rawgeti(co, LUA_REGISTRYINDEX, d->refs);
	lua_rawgeti(co, -1, ref);
	int t = lua_gettop(co);
	if (!lua_istable(co, t)) {
		lua_settop(co, top);
		return;
	}
	/* Read raw (no metamethod runs): the array part in order, then the other
	 * string keys sorted, so the same table always lists the same way. */
	int n = (int)lua_objlen(co, t);
	for (int i = 1; i <= n && i <= MAX_CHILDREN; i++) {
		char key[32];
		snprintf(key, sizeof key, "[%d]", i);
		lua_rawgeti(co, t, i);
		show_var(d, co, key, "field", fn, ud);
	}
	/* Other keys: strings sorted; others (numbers, booleans ...) after, in
	 * the order the table gives. */
	char *keys[MAX_CHILDREN];
	int nk = 0, others = 0;
	lua_pushnil(co);
	while (lua_next(co, t)) {
		lua_pop(co, 1);
		if (lua_type(co, -1) == LUA_TSTRING) {
			if (nk < MAX_CHILDREN && (keys[nk] = strdup(lua_tostring(co, -1))) != NULL)
				nk++;
		} else {
			others++;
		}
	}
	qsort(keys, (size_t)nk, sizeof keys[0], key_cmp);
	for (int i = 0; i < nk; i++) {
		lua_pushstring(co, keys[i]);
		lua_rawget(co, t);
		show_var(d, co, keys[i], "field", fn, ud);
		free(keys[i]);
	}
	if (others) {
		int shown = 0;
		lua_pushnil(co);
		while (lua_next(co, t) && shown < MAX_CHILDREN) {
			int kt = lua_type(co, -2);
			if (kt == LUA_TSTRING || (kt == LUA_TNUMBER && lua_tonumber(co, -2) >= 1 &&
						  lua_tonumber(co, -2) <= n &&
						  lua_tonumber(co, -2) == (lua_Number)(int)lua_tonumber(co, -2))) {
				lua_pop(co, 1);
				continue;
			}
			char key[64];
			if (kt == LUA_TNUMBER)
				snprintf(key, sizeof key, "[%.14g]", lua_tonumber(co, -2));
			else
				snprintf(key, sizeof key, "[%s]", luaL_typename(co, -2));
			lua_pushvalue(co, -1);    /* keep the key and its value for lua_next */
			show_var(d, co, key, "field", fn, ud);
			lua_pop(co, 1);
			shown++;
		}
	}
	lua_settop(co, top);
}

char *dbg_evaluate(struct dbg *d, int level, const char *expr, int *ok)
{
	*ok = 0;
	if (!d->co)
		return strdup("the run is not paused");
	lua_State *co = d->co;
	int top = lua_gettop(co);
	int n = eval_in(d, co, level, expr, 1);
	struct store_buf b = { 0 };
	if (n < 0) {
		store_buf_str(&b, lua_tostring(co, -1) ? lua_tostring(co, -1) : "error");
	} else {
		*ok = 1;
		if (n == 0)
			store_buf_str(&b, "nil");
		for (int i = 0; i < n; i++) {
			push_shown(co, top + 1 + i);
			store_buf_str(&b, i ? ", " : "");
			store_buf_str(&b, lua_tostring(co, -1));
			lua_pop(co, 1);
		}
	}
	lua_settop(co, top);
	char *t = store_buf_cstr(&b);
	char *out = NULL;
	if (t) {
		size_t outlen;
		out = run_scrub(&d->e.pb.info, t, b.len, &outlen);
		if (!out)
			out = strdup(t);
	}
	store_buf_free(&b);
	return out;
}

/* ---- completion ---- */

static const char *const commands[] = {
	"break", "delete", "list", "run", "continue", "step", "next", "finish", "backtrace", "frame",
	"locals", "print", "watch", "steps", "override", "back", "goto", "rcontinue", "restart", "quit",
	"help",
	NULL,
};

static void add_keys(lua_State *L, int idx, const char *before, const char *prefix,
		     void (*add)(const char *, void *), void *ud)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	for (int depth = 0; depth < 4 && lua_istable(L, idx); depth++) {
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) == LUA_TSTRING) {
				const char *k = lua_tostring(L, -1);
				if (!strncmp(k, prefix, strlen(prefix)) && k[0] != '_') {
					char buf[512];
					snprintf(buf, sizeof buf, "%s%s", before, k);
					add(buf, ud);
				}
			}
		}
		if (!lua_getmetatable(L, idx))
			break;
		lua_pushliteral(L, "__index");
		lua_rawget(L, -2);
		lua_remove(L, -2);
		if (!lua_istable(L, -1)) {
			lua_pop(L, 1);
			break;
		}
		lua_replace(L, idx);
	}
}

void dbg_complete(struct dbg *d, const char *line, int start, const char *word,
		  void (*add)(const char *cand, void *ud), void *ud)
{
	while (*line == ' ')
		line++;
	size_t wl = strlen(word);
	if (start == 0 || !strchr(line, ' ')) {
		for (int i = 0; commands[i]; i++)
			if (!strncmp(commands[i], word, wl))
				add(commands[i], ud);
		return;
	}
	if (!strncmp(line, "break ", 6) || !strncmp(line, "b ", 2)) {
		for (size_t i = 0; i < d->njr; i++)
			if (!strncmp(d->jr[i].name, word, wl))
				add(d->jr[i].name, ud);
		static const char *const prims[] = { "http.get", "http.post", "http.request", "email.send",
			"case.create", "case.note", "task", "prompt.ask", "playbook.start", NULL };
		for (int i = 0; prims[i]; i++)
			if (!strncmp(prims[i], word, wl))
				add(prims[i], ud);
		return;
	}
	/* Lua: names of the paused frame, or fields of a table path (raw reads). */
	lua_State *L = d->co;
	if (!L)
		return;
	int top = lua_gettop(L);
	push_scope(L, d->frame);
	const char *sep = NULL;
	for (const char *q = word; *q; q++)
		if (*q == '.' || *q == ':')
			sep = q;
	if (!sep) {
		add_keys(L, -1, "", word, add, ud);
	} else {
		const char *p = word;
		while (p < sep) {
			const char *dot = p;
			while (dot < sep && *dot != '.' && *dot != ':')
				dot++;
			lua_pushlstring(L, p, (size_t)(dot - p));
			/* raw, along __index tables */
			int t = lua_gettop(L) - 1, found = 0;
			lua_pushvalue(L, t);
			for (int depth = 0; depth < 4 && lua_istable(L, -1); depth++) {
				lua_pushvalue(L, -2);
				lua_rawget(L, -2);
				if (!lua_isnil(L, -1)) {
					found = 1;
					break;
				}
				lua_pop(L, 1);
				if (!lua_getmetatable(L, -1))
					break;
				lua_pushliteral(L, "__index");
				lua_rawget(L, -2);
				lua_remove(L, -2);
				lua_remove(L, -2);
			}
			if (!found || !lua_istable(L, -1)) {
				lua_settop(L, top);
				return;
			}
			lua_replace(L, t);
			lua_settop(L, t);
			p = dot + 1;
		}
		char before[512];
		snprintf(before, sizeof before, "%.*s", (int)(sep - word + 1), word);
		add_keys(L, -1, before, sep + 1, add, ud);
	}
	lua_settop(L, top);
}

/* ---- lifetime ---- */

struct dbg *dbg_new(const struct dbg_config *cfg, char *err, size_t errlen)
{
	struct dbg *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	if (!d->cfg.read_line)
		d->cfg.read_line = default_read;
	if (!d->cfg.out)
		d->cfg.out = stdout;
	d->sw.before = on_before;
	d->sw.after = on_after;
	d->sw.ud = d;
	d->sw.no_store = cfg->dry || cfg->run_id;
	d->refs = LUA_NOREF;
	if (cfg->run_id) {
		if (run_get(cfg->st, cfg->run_id, &d->orig, err, errlen) != 0)
			goto fail;
		if (!d->orig.path || playbook_load_file(d->orig.path, &d->own_src, err, errlen) != 0) {
			if (!d->orig.path)
				snprintf(err, errlen, "run %s has no playbook file recorded", cfg->run_id);
			goto fail;
		}
		d->src = &d->own_src;
		if (journal_load(cfg->st, cfg->run_id, &d->jr, &d->njr, err, errlen) != 0)
			goto fail;
		d->capjr = d->njr;
	} else {
		d->src = cfg->src;
	}
	snprintf(d->chunkname, sizeof d->chunkname, "@%s", d->src->path);
	d->nlines = count_lines(d->src);
	d->line_hits = calloc((size_t)d->nlines + 2, sizeof *d->line_hits);
	if (!d->line_hits) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return d;
fail:
	dbg_free(d);
	return NULL;
}

void dbg_free(struct dbg *d)
{
	if (!d)
		return;
	if (d->have_run)
		end_execution(d);
	jr_truncate(d, 0);
	free(d->jr);
	for (int i = 0; i < d->nbp; i++)
		bp_free(&d->bps[i]);
	for (int i = 0; i < d->nwatch; i++) {
		free(d->watch[i]);
		free(d->watch_last[i]);
	}
	for (int i = 0; i < d->nov; i++)
		free(d->ov[i].json);
	run_rec_free(&d->orig);
	playbook_src_free(&d->own_src);
	free(d->line_hits);
	free(d);
}
