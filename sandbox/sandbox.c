/* sandbox.c - states, runs and their limits. See sandbox.h for the model. */
#include "sandbox.h"
#include "env.h"
#include "heap.h"
#include "watchdog.h"
#include "noint.h"
#include "sharedir.h"

#include <lauxlib.h>
#include <luajit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A state is rebuilt when, after a full collection, it still holds this much:
 * something (JIT traces, module caches) grew that runs should not inherit. */
#define RECYCLE_BYTES  ((size_t)32 << 20)
/* Heap headroom above the per-run limit for the state's own bookkeeping. */
#define STATE_HEAP_CAP ((size_t)1 << 40)

struct sandbox {
	lua_State *L;
	struct heap *heap;
	char *lua_dir;
	unsigned generation;
	unsigned long runs;
	int suspended;        /* tasks whose coroutines wait on this state */
};

/* The run executing on this thread: its job's ud, and a place for
 * sandbox_fail()'s status. */
static __thread void *t_current;
static __thread enum sandbox_status t_fail_status;
static __thread int t_parking;
static __thread int t_suspending;
static __thread int t_allow_suspend;
static __thread lua_State *t_co;       /* the run's own coroutine, this slice */
static __thread struct heap *t_heap;   /* the heap of the slice executing here */

int sandbox_charge(size_t n)
{
	return t_heap ? heap_charge(t_heap, n) : 0;
}

void sandbox_uncharge(size_t n)
{
	if (t_heap)
		heap_uncharge(t_heap, n);
}

int sandbox_park(lua_State *L)
{
	t_parking = 1;
	return lua_yield(L, 0);
}

int sandbox_parking(void) { return t_parking; }

void sandbox_limits_default(struct sandbox_limits *lim)
{
	lim->memory = SANDBOX_DEFAULT_MEMORY;
	lim->cpu_seconds = SANDBOX_DEFAULT_CPU;
	lim->wall_seconds = SANDBOX_DEFAULT_WALL;
	lim->result_bytes = SANDBOX_DEFAULT_RESULT;
}

void sandbox_outcome_clear(struct sandbox_outcome *o)
{
	free(o->message);
	free(o->file);
	free(o->traceback);
	memset(o, 0, sizeof *o);
}

void *sandbox_current(void) { return t_current; }
void sandbox_noint_enter(void) { watch_noint_enter(); }
void sandbox_noint_leave(void) { watch_noint_leave(); }
void sandbox_noint_reset(void) { watch_noint_reset(); }
int sandbox_malloc_guarded(void) { return noint_malloc_guarded(); }
size_t sandbox_heap_used(const struct sandbox *sb) { return sb->heap ? heap_used(sb->heap) : 0; }
unsigned sandbox_generation(const struct sandbox *sb) { return sb->generation; }

void sandbox_fail(lua_State *L, enum sandbox_status status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	t_fail_status = status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);   /* full printf, unlike lua_pushvfstring */
	va_end(ap);
	lua_pushstring(L, msg);
	lua_error(L);
	abort(); /* not reached */
}

static int build_base(lua_State *L)
{
	return env_build_base(L);
}

static int state_open(struct sandbox *sb, char *err, size_t errlen)
{
	sb->heap = heap_new(STATE_HEAP_CAP);
	if (!sb->heap) {
		snprintf(err, errlen, "cannot map memory for an interpreter");
		return -1;
	}
	sb->L = lua_newstate(heap_lua_alloc, sb->heap);
	if (!sb->L) {
		heap_destroy(sb->heap);
		sb->heap = NULL;
		snprintf(err, errlen, "cannot create a LuaJIT state (is LuaJIT built with GC64?)");
		return -1;
	}
	lua_pushcfunction(sb->L, build_base);
	lua_pushstring(sb->L, sb->lua_dir);
	if (lua_pcall(sb->L, 1, 0, 0) != 0) {
		snprintf(err, errlen, "cannot build the sandbox: %s", lua_tostring(sb->L, -1));
		lua_close(sb->L);
		heap_destroy(sb->heap);
		sb->L = NULL;
		sb->heap = NULL;
		return -1;
	}
	sb->generation++;
	sb->runs = 0;
	return 0;
}

static void state_close(struct sandbox *sb)
{
	if (sb->L)
		lua_close(sb->L);
	heap_destroy(sb->heap);
	sb->L = NULL;
	sb->heap = NULL;
}

/* After a hard stop the state may be inconsistent anywhere: drop its heap whole
 * without running any of its code. (LuaJIT's machine-code area is mapped outside
 * the heap and is leaked: a few tens of KiB per hard stop.) */
static void state_abandon(struct sandbox *sb)
{
	heap_destroy(sb->heap);
	sb->L = NULL;
	sb->heap = NULL;
}

struct sandbox *sandbox_new(const char *lua_dir, char *err, size_t errlen)
{
	/* Code below the sandbox (base/, store/) marks its regions through noint.h. */
	noint_set_hooks(sandbox_noint_enter, sandbox_noint_leave);
	struct sandbox *sb = calloc(1, sizeof *sb);
	if (!sb) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sb->lua_dir = strdup(lua_dir && *lua_dir ? lua_dir : sharedir_lua());
	if (!sb->lua_dir || state_open(sb, err, errlen) != 0) {
		free(sb->lua_dir);
		free(sb);
		return NULL;
	}
	return sb;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	state_close(sb);
	free(sb->lua_dir);
	free(sb);
}

/* libc's heap, from the run's thread while the watchdog may jump: the hard
 * stop must not land inside malloc (its lock would stay held). */
static char *dup_or_null(const char *s)
{
	if (!s)
		return NULL;
	sandbox_noint_enter();
	char *d = strdup(s);
	sandbox_noint_leave();
	return d;
}

/* A traceback without the frames of the sandbox's own machinery at its end
 * (the xpcall that runs the body, C entry points). */
static char *dup_traceback(const char *tb)
{
	char *s = dup_or_null(tb);
	if (!s)
		return NULL;
	for (;;) {
		char *nl = strrchr(s, '\n');
		if (!nl || !(strstr(nl, "[builtin#") || strstr(nl, "[C]: in ?") || strstr(nl, "[C]: at ")))
			break;
		*nl = 0;
	}
	return s;
}

/* Fills file/line from the innermost Lua frame of `co` that has a line. */
static void where_in(lua_State *co, struct sandbox_outcome *out)
{
	lua_Debug ar;
	for (int level = 0; lua_getstack(co, level, &ar); level++) {
		if (!lua_getinfo(co, "Sl", &ar) || ar.currentline <= 0 ||
		    strcmp(ar.source, "=coroutine.wrap") == 0)   /* env.c's, not the run's */
			continue;
		out->file = dup_or_null(ar.source[0] == '@' || ar.source[0] == '=' ? ar.source + 1 : ar.short_src);
		out->line = ar.currentline;
		return;
	}
}

/* The error message as text, without converting anything on the Lua side
 * (lua_tostring of a number allocates, and may raise near the cap). */
static void set_message(lua_State *L, int idx, struct sandbox_outcome *out)
{
	char buf[96];
	if (lua_type(L, idx) == LUA_TSTRING) {
		out->message = dup_or_null(lua_tostring(L, idx));
		return;
	}
	if (lua_type(L, idx) == LUA_TNUMBER)
		snprintf(buf, sizeof buf, "%.14g", lua_tonumber(L, idx));
	else
		snprintf(buf, sizeof buf, "(error object is a %s value)", luaL_typename(L, idx));
	out->message = dup_or_null(buf);
}

static int is_stop_message(lua_State *L, int idx)
{
	const char *m = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
	return m && strstr(m, watch_stop_message) != NULL;
}

/* Message handler for the protected phases: keeps where the error happened.
 * The traceback is built on the Lua side first, outside any no-interrupt
 * region: near the memory cap it raises, and then only the traceback is lost
 * (the message and place are kept, copied below without a Lua call). */
static int capture_error(lua_State *L)
{
	struct sandbox_outcome *out = lua_touserdata(L, lua_upvalueindex(1));
	if (out->message)
		return 1;
	set_message(L, 1, out);
	where_in(L, out);
	luaL_traceback(L, L, out->message ? out->message : "", 1);
	out->traceback = dup_traceback(lua_tostring(L, -1));
	lua_pop(L, 1);
	return 1;
}

struct phase_call {
	const struct sandbox_job *job;
	int env;
	int nres;
};

static int prepare_trampoline(lua_State *L)
{
	struct phase_call *pc = lua_touserdata(L, 1);
	lua_remove(L, 1);
	env_push_run(L);
	int env = lua_gettop(L);
	int nargs = pc->job->prepare(L, env, pc->job->ud);
	lua_pushvalue(L, env);
	lua_insert(L, -(nargs + 2));
	return nargs + 2;                       /* env, body and its arguments */
}

static int finish_trampoline(lua_State *L)
{
	struct phase_call *pc = lua_touserdata(L, 1);
	lua_remove(L, 1);
	pc->job->finish(L, lua_gettop(L), pc->job->ud);
	return 0;
}

static enum sandbox_status status_from_error(lua_State *L, int idx, int rc, struct heap *h,
					     enum watch_stop stop)
{
	if (t_fail_status != SANDBOX_OK)
		return t_fail_status;
	if (stop == WATCH_STOP_CPU || (is_stop_message(L, idx) && stop != WATCH_STOP_WALL))
		return SANDBOX_CPU_LIMIT;
	if (stop == WATCH_STOP_WALL)
		return SANDBOX_WALL_LIMIT;
	if (rc == LUA_ERRMEM || heap_take_refusals(h) > 0)
		return SANDBOX_OUT_OF_MEMORY;
	return SANDBOX_ERROR;
}

static void limit_message(struct sandbox_outcome *out, const struct sandbox_limits *lim, int hard)
{
	char buf[256];
	const char *how = hard ? " inside compiled code or a long C call; its interpreter was replaced" : "";
	switch (out->status) {
	case SANDBOX_CPU_LIMIT:
		snprintf(buf, sizeof buf, "CPU time limit exceeded (%g s)%s", lim->cpu_seconds, how);
		break;
	case SANDBOX_WALL_LIMIT:
		snprintf(buf, sizeof buf, "wall-clock limit exceeded (%g s)%s", lim->wall_seconds, how);
		break;
	case SANDBOX_OUT_OF_MEMORY:
		snprintf(buf, sizeof buf, "out of memory (the run's limit is %zu MiB)", lim->memory >> 20);
		break;
	default:
		return;
	}
	free(out->message);
	out->message = strdup(buf);
}

struct sandbox_task {
	struct sandbox_job job;
	struct sandbox_limits lim;
	struct sandbox_outcome out;    /* the error handler writes here: a stable address */
	int co_ref;                    /* the coroutine, while suspended */
	int handler_ref;
	unsigned generation;           /* of the state it lives on */
	int phase;
	int allow_suspend;
	int out_of_memory;             /* the cap refused an allocation in some slice */
};

/* Finishes a resume of the body: error, park, suspend, or the finish phase. */
static enum sandbox_status after_resume(struct sandbox *sb, struct sandbox_task *t, lua_State *co,
					int rc, int handler)
{
	lua_State *L = sb->L;
	struct sandbox_outcome *out = &t->out;
	sandbox_noint_reset();   /* back from Lua: no region can be open */
	if (rc == LUA_YIELD) {
		if (t_parking)
			return SANDBOX_PARKED;
		if (t_suspending) {
			/* Suspended before: continue_run kept the references (the same
			 * coroutine and handler), saving four registry writes a step. */
			if (t->co_ref == LUA_NOREF) {
				lua_pushvalue(L, handler);
				t->handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
				lua_pushthread(co);
				lua_xmove(co, L, 1);
				t->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
			}
			sb->suspended++;
			return SANDBOX_SUSPENDED;
		}
		lua_settop(co, 0);
		out->message = dup_or_null("coroutine.yield called outside a coroutine");
		return SANDBOX_ERROR;
	}
	if (rc != 0) {
		if (!out->message)
			set_message(co, -1, out);
		return status_from_error(co, -1, rc, sb->heap, WATCH_RUNNING);
	}
	if (!lua_toboolean(co, 1)) {                   /* stack of co: false, err */
		if (!out->message)
			set_message(co, 2, out);
		return status_from_error(co, 2, LUA_ERRRUN, sb->heap, WATCH_RUNNING);
	}
	lua_remove(co, 1);

	t->phase = SANDBOX_PHASE_FINISH;
	struct phase_call pc = { &t->job, 0, 0 };
	int nres = lua_gettop(co);
	lua_pushcfunction(L, finish_trampoline);
	lua_pushlightuserdata(L, &pc);
	lua_xmove(co, L, nres);
	rc = lua_pcall(L, nres + 1, 0, handler);
	if (rc != 0)
		return status_from_error(L, -1, rc, sb->heap, WATCH_RUNNING);
	return SANDBOX_OK;
}

/* The first slice: prepare, then the body's first resume. */
static enum sandbox_status begin_run(struct sandbox *sb, struct sandbox_task *t)
{
	lua_State *L = sb->L;
	struct phase_call pc = { &t->job, 0, 0 };

	t->phase = SANDBOX_PHASE_PREPARE;
	lua_pushlightuserdata(L, &t->out);
	lua_pushcclosure(L, capture_error, 1);         /* stack: handler */
	int handler = lua_gettop(L);
	lua_pushcfunction(L, prepare_trampoline);
	lua_pushlightuserdata(L, &pc);
	int rc = lua_pcall(L, 1, LUA_MULTRET, handler);
	if (rc != 0)
		return status_from_error(L, -1, rc, sb->heap, WATCH_RUNNING);
	int nargs = lua_gettop(L) - handler - 2;       /* stack: handler, env, body, args... */

	t->phase = SANDBOX_PHASE_RUN;
	/* The body runs under xpcall inside the coroutine, so that the handler sees
	 * the stack where the error happened (file, line, traceback). */
	lua_State *co = lua_newthread(L);              /* stack: handler, env, body, args, co */
	/* The coroutine's globals are the run's environment: `load` reached without
	 * a Lua caller (a coroutine's body) and C code's lua_getglobal land there,
	 * and coroutines the run makes inherit it. */
	lua_pushvalue(L, handler + 1);
	lua_xmove(L, co, 1);
	lua_replace(co, LUA_GLOBALSINDEX);
	lua_remove(L, handler + 1);                    /* stack: handler, body, args, co */
	lua_insert(L, handler + 1);                    /* stack: handler, co, body, args */
	lua_getglobal(L, "xpcall");
	lua_insert(L, handler + 2);                    /* stack: handler, co, xpcall, body, args */
	lua_pushvalue(L, handler);
	lua_insert(L, handler + 4);                    /* stack: handler, co, xpcall, body, handler, args */
	lua_xmove(L, co, nargs + 3);
	t_co = co;
	rc = lua_resume(co, nargs + 2);
	return after_resume(sb, t, co, rc, handler);
}

static void drop_refs(lua_State *L, struct sandbox_task *t)
{
	luaL_unref(L, LUA_REGISTRYINDEX, t->co_ref);
	luaL_unref(L, LUA_REGISTRYINDEX, t->handler_ref);
	t->co_ref = t->handler_ref = LUA_NOREF;
}

/* A later slice: the values from push() become the results of the primitive
 * that suspended. */
static enum sandbox_status continue_run(struct sandbox *sb, struct sandbox_task *t,
					int (*push)(lua_State *co, void *arg), void *arg)
{
	lua_State *L = sb->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, t->handler_ref);
	int handler = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, t->co_ref);
	lua_State *co = lua_tothread(L, -1);         /* stack: handler, co */
	sb->suspended--;
	int n = push ? push(co, arg) : 0;
	t_co = co;
	int rc = lua_resume(co, n);
	enum sandbox_status st = after_resume(sb, t, co, rc, handler);
	/* The references stay while the run only suspends again (most steps). */
	if (st != SANDBOX_SUSPENDED)
		drop_refs(L, t);
	return st;
}

/* One execution slice of task t, under the limits and the watchdog. */
static enum sandbox_status slice(struct sandbox *sb, struct sandbox_task *t, int first,
				 int (*push)(lua_State *co, void *arg), void *arg)
{
	char err[256];
	const struct sandbox_limits *lim = &t->lim;
	struct watch *w = watch_self();
	if (!w) {
		t->out.message = strdup("cannot start the sandbox watchdog; refusing to run unwatched");
		return SANDBOX_INTERNAL;
	}
	if (!sb->L && state_open(sb, err, sizeof err) != 0) {
		t->out.message = strdup(err);
		return SANDBOX_INTERNAL;
	}
	if (!first && t->generation != sb->generation) {
		t->out.message = strdup("the interpreter this run was suspended on was replaced; "
					"resume the run from its journal");
		return SANDBOX_INTERNAL;
	}
	t->generation = sb->generation;

	lua_State *L = sb->L;
	int top = lua_gettop(L);
	size_t start_used = heap_used(sb->heap);
	heap_set_cap(sb->heap, start_used + lim->memory);
	heap_reset_peak(sb->heap);
	heap_take_refusals(sb->heap);
	unsigned long refusals_before = heap_refusals_total(sb->heap);
	struct heap *prev_heap = t_heap;
	t_heap = sb->heap;
	void *prev = t_current;
	t_current = t->job.ud;
	t_fail_status = SANDBOX_OK;
	t_parking = 0;
	t_suspending = 0;
	t_allow_suspend = t->allow_suspend;
	env_reset_run();

	volatile enum sandbox_status status;
	enum watch_stop stop;
	int hard = 0;
	watch_begin(w, L, lim->cpu_seconds, lim->wall_seconds);
	/* Without saving the signal mask (a system call on every slice): the rare
	 * hard stop restores it itself. */
	if (sigsetjmp(*watch_escape(w), 0) == 0) {
		status = first ? begin_run(sb, t) : continue_run(sb, t, push, arg);
		stop = watch_end(w);
	} else {
		watch_restore_mask(w);
		stop = watch_end(w);
		hard = 1;
		status = stop == WATCH_STOP_WALL ? SANDBOX_WALL_LIMIT : SANDBOX_CPU_LIMIT;
	}
	t_current = prev;
	t_heap = prev_heap;
	t_co = NULL;
	t_allow_suspend = 0;

	struct sandbox_outcome *out = &t->out;
	if (hard) {
		state_abandon(sb);
		sb->suspended = 0;   /* whatever waited on that state is gone with it */
		t->co_ref = t->handler_ref = LUA_NOREF;   /* with their references */
		out->state_discarded = 1;
	} else {
		if (stop != WATCH_RUNNING) {
			watch_clear_hook(L);
			/* A run stopped while it was finishing still counts as stopped. */
			if (status == SANDBOX_OK || status == SANDBOX_ERROR)
				status = stop == WATCH_STOP_WALL ? SANDBOX_WALL_LIMIT : SANDBOX_CPU_LIMIT;
		}
		out->peak_memory = heap_peak(sb->heap) - start_used;
		if (heap_refusals_total(sb->heap) != refusals_before)
			t->out_of_memory = 1;
		lua_settop(L, top);
		heap_set_cap(sb->heap, STATE_HEAP_CAP);
		sb->runs++;
		/* Garbage of this run must not count against the next one's limit. */
		if (heap_used(sb->heap) > start_used + ((size_t)4 << 20) ||
		    (status != SANDBOX_OK && status != SANDBOX_PARKED && status != SANDBOX_SUSPENDED)) {
			lua_gc(L, LUA_GCCOLLECT, 0);
			if (heap_used(sb->heap) > RECYCLE_BYTES && sb->suspended == 0) {
				state_close(sb);
				if (state_open(sb, err, sizeof err) != 0) {
					/* Reported by the next exec; this run's outcome stands. */
				}
			}
		}
	}
	/* Out of memory is sticky, like the CPU stop: a run that hit its cap fails
	 * even if it caught the error (pcall) and went on to succeed. */
	if (t->out_of_memory && (status == SANDBOX_OK || status == SANDBOX_ERROR ||
				 status == SANDBOX_PARKED))
		status = SANDBOX_OUT_OF_MEMORY;
	out->status = status;
	out->phase = t->phase;
	if (status == SANDBOX_CPU_LIMIT || status == SANDBOX_WALL_LIMIT ||
	    status == SANDBOX_OUT_OF_MEMORY)
		limit_message(out, lim, hard);
	if (status != SANDBOX_OK && status != SANDBOX_PARKED && status != SANDBOX_SUSPENDED &&
	    !out->message)
		out->message = strdup("run failed");
	return status;
}

static void task_init(struct sandbox_task *t, const struct sandbox_job *job,
		      const struct sandbox_limits *lim, int allow_suspend)
{
	memset(t, 0, sizeof *t);
	t->job = *job;
	t->lim = *lim;
	t->co_ref = t->handler_ref = LUA_NOREF;
	t->allow_suspend = allow_suspend;
}

enum sandbox_status sandbox_exec(struct sandbox *sb, const struct sandbox_job *job,
				 const struct sandbox_limits *lim, struct sandbox_outcome *out)
{
	struct sandbox_task t;
	task_init(&t, job, lim, 0);
	enum sandbox_status st = slice(sb, &t, 1, NULL, NULL);
	*out = t.out;
	return st;
}

enum sandbox_status sandbox_start(struct sandbox *sb, const struct sandbox_job *job,
				  const struct sandbox_limits *lim, struct sandbox_outcome *out,
				  struct sandbox_task **task)
{
	*task = NULL;
	struct sandbox_task *t = malloc(sizeof *t);
	if (!t) {
		memset(out, 0, sizeof *out);
		out->status = SANDBOX_INTERNAL;
		out->message = strdup("out of memory");
		return SANDBOX_INTERNAL;
	}
	task_init(t, job, lim, 1);
	enum sandbox_status st = slice(sb, t, 1, NULL, NULL);
	if (st == SANDBOX_SUSPENDED) {
		*task = t;
		memset(out, 0, sizeof *out);
		out->status = st;
		return st;
	}
	*out = t->out;
	free(t);
	return st;
}

enum sandbox_status sandbox_continue(struct sandbox *sb, struct sandbox_task *t,
				     int (*push)(lua_State *co, void *arg), void *arg,
				     struct sandbox_outcome *out)
{
	enum sandbox_status st = slice(sb, t, 0, push, arg);
	if (st == SANDBOX_SUSPENDED) {
		memset(out, 0, sizeof *out);
		out->status = st;
		return st;
	}
	*out = t->out;
	free(t);
	return st;
}

void sandbox_task_free(struct sandbox *sb, struct sandbox_task *t)
{
	if (!t)
		return;
	if (sb->L && t->generation == sb->generation && t->co_ref != LUA_NOREF) {
		luaL_unref(sb->L, LUA_REGISTRYINDEX, t->co_ref);
		luaL_unref(sb->L, LUA_REGISTRYINDEX, t->handler_ref);
		sb->suspended--;
	}
	sandbox_outcome_clear(&t->out);
	free(t);
}

int sandbox_suspend(lua_State *L)
{
	t_suspending = 1;
	return lua_yield(L, 0);
}

int sandbox_suspend_with(lua_State *L, int n)
{
	t_suspending = 1;
	return lua_yield(L, n);
}

int sandbox_can_suspend(lua_State *L)
{
	return t_allow_suspend && L == t_co;
}
