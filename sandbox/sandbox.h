/* sandbox.h - sandboxed LuaJIT states and the limits of a run.
 *
 * A `struct sandbox` is one LuaJIT state on its own capped heap, with a read-only
 * base environment (allow-listed globals, read-only library tables, the
 * primitives). Runs execute one after another on it, each in a coroutine with a
 * fresh environment, so nothing one run does is visible to the next.
 *
 * Limits (see docs/architecture.md, "Sandbox limits"):
 * - memory: the heap refuses to grow past (bytes in use at run start + limit);
 * - CPU and wall time: a watchdog thread watches every executing run. When one is
 *   over a limit it signals the run's thread; the handler installs a hook that
 *   raises an error at the next VM instruction (a clean stop; the state is kept).
 *   Code that never returns to the interpreter (a loop compiled by the JIT, one
 *   long C call) ignores hooks: after a grace period the handler jumps out of the
 *   run altogether and the state is thrown away (heap freed whole) and rebuilt.
 * - result size: checked when the run's result is serialised.
 */
#ifndef SOAR_SANDBOX_H
#define SOAR_SANDBOX_H

#include <lua.h>
#include <stddef.h>

struct sandbox_limits {
	size_t memory;        /* bytes a run may add to its state's heap */
	double cpu_seconds;   /* CPU time of the run */
	double wall_seconds;  /* elapsed time of one execution slice */
	size_t result_bytes;  /* serialised result */
};

#define SANDBOX_DEFAULT_MEMORY  ((size_t)64 << 20)
#define SANDBOX_DEFAULT_CPU     10.0
#define SANDBOX_DEFAULT_WALL    30.0
#define SANDBOX_DEFAULT_RESULT  ((size_t)1 << 20)
/* Grace between the clean stop (hook) and the hard stop (state discarded). */
#define SANDBOX_HARD_STOP_GRACE 0.2

/* The primitives every new state gets in its base environment, beside the safe
 * standard library: a function that sets each namespace into the table at the
 * stack top (prims_install). The sandbox knows nothing of them; the program
 * hands them over once, before its first sandbox_new (cli/main.c). Without it,
 * states have the standard library alone. */
typedef void (*sandbox_primitives_fn)(lua_State *L);
void sandbox_set_primitives(sandbox_primitives_fn install);

void sandbox_limits_default(struct sandbox_limits *lim);

enum sandbox_status {
	SANDBOX_OK = 0,
	SANDBOX_ERROR,        /* the Lua code raised an error */
	SANDBOX_OUT_OF_MEMORY,
	SANDBOX_CPU_LIMIT,
	SANDBOX_WALL_LIMIT,
	SANDBOX_RESULT_TOO_LARGE,
	SANDBOX_INTERNAL,     /* could not build a state */
	SANDBOX_PARKED,       /* the run stopped to wait (sandbox_park) */
	SANDBOX_SUSPENDED,    /* waiting on I/O; continue it with sandbox_continue */
};

/* Where a failed run stopped. Strings are malloc'd, owned by the outcome; free
 * them with sandbox_outcome_clear(). */
struct sandbox_outcome {
	enum sandbox_status status;
	int phase;            /* SANDBOX_PHASE_*: where it stopped */
	char *message;        /* "file:line: text" or the limit's description */
	char *file;           /* the innermost Lua frame's source, or NULL */
	int line;             /* its line, or 0 */
	char *traceback;      /* Lua traceback, or NULL */
	size_t peak_memory;   /* heap bytes added at the run's peak */
	int state_discarded;  /* the hard stop threw the state away */
};

enum { SANDBOX_PHASE_PREPARE = 1, SANDBOX_PHASE_RUN = 2, SANDBOX_PHASE_FINISH = 3 };

void sandbox_outcome_clear(struct sandbox_outcome *o);

/* What to execute. `prepare` runs protected on the state's main thread with the
 * run's fresh environment at `env` and pushes the coroutine body and its
 * arguments, returning how many arguments. `finish` runs protected with the
 * body's return values at the stack top (nres of them). Both raise on error. */
struct sandbox_job {
	int (*prepare)(lua_State *L, int env, void *ud);
	int (*finish)(lua_State *L, int nres, void *ud);
	void *ud;              /* handed to both, and to sandbox_current() */
};

struct sandbox;

/* A state ready for runs, or NULL with a message. `lua_dir` is where `require`
 * finds modules (the project's lua/). */
struct sandbox *sandbox_new(const char *lua_dir, char *err, size_t errlen);
void sandbox_free(struct sandbox *sb);

/* Executes one job to completion under `lim`. Returns the outcome's status. The
 * sandbox serves the next run whatever happened (rebuilt if it had to be). */
enum sandbox_status sandbox_exec(struct sandbox *sb, const struct sandbox_job *job,
				 const struct sandbox_limits *lim, struct sandbox_outcome *out);

/* Event-driven execution: many runs on one state, each suspended while its I/O
 * is in flight. sandbox_start is sandbox_exec, except that a primitive may
 * suspend the run (sandbox_suspend): then it returns SANDBOX_SUSPENDED and a
 * task (owned by the caller). sandbox_continue resumes it, `push` pushing the
 * values the suspended primitive returns (the task is freed unless it suspends
 * again). Limits apply per slice: CPU and wall time from each resume, memory
 * growth within each slice. A hard stop replaces the state and every task
 * suspended on it then continues with SANDBOX_INTERNAL: resume those runs from
 * their journal. */
struct sandbox_task;
enum sandbox_status sandbox_start(struct sandbox *sb, const struct sandbox_job *job,
				  const struct sandbox_limits *lim, struct sandbox_outcome *out,
				  struct sandbox_task **task);
enum sandbox_status sandbox_continue(struct sandbox *sb, struct sandbox_task *task,
				     int (*push)(lua_State *co, void *arg), void *arg,
				     struct sandbox_outcome *out);
/* Drops a suspended task without resuming it. */
void sandbox_task_free(struct sandbox *sb, struct sandbox_task *task);

/* From a primitive: may this call suspend (started with sandbox_start, and
 * called from the run's own coroutine, not a coroutine it made)? If not, the
 * primitive must do its work blocking. */
int sandbox_can_suspend(lua_State *L);
/* Suspends the run: `return sandbox_suspend(L);`. The primitive has registered
 * its I/O with whoever drives the sandbox, which later calls sandbox_continue. */
int sandbox_suspend(lua_State *L);
/* The same, keeping the n values at the top of L on the suspended coroutine's
 * stack: a continue whose push returns n without pushing passes them back as
 * the primitive's results (no table to hold them meanwhile). */
int sandbox_suspend_with(lua_State *L, int n);

/* The `ud` of the job executing on this thread, or NULL outside a run. */
void *sandbox_current(void);

/* Non-interruptible regions (see prim.h): the hard stop waits for their end. */
void sandbox_noint_enter(void);
void sandbox_noint_leave(void);
/* Closes every region of this thread: only where none can be open (a region
 * never runs Lua code, so wherever Lua code starts again). See watchdog.h. */
void sandbox_noint_reset(void);
/* 1 when libc's allocator entry points are no-interrupt regions of their own
 * (noint_malloc.c; not under AddressSanitizer). */
int sandbox_malloc_guarded(void);

/* C buffers a primitive holds for the run (outside the Lua heap) count against
 * the run's memory cap: charge before growing, uncharge after freeing.
 * sandbox_charge returns -1 when the cap does not allow n more bytes (the run
 * then fails out of memory, as for a refused Lua allocation); 0 outside runs. */
int sandbox_charge(size_t n);
void sandbox_uncharge(size_t n);

/* Statistics for benchmarks and tests. */
size_t sandbox_heap_used(const struct sandbox *sb);
unsigned sandbox_generation(const struct sandbox *sb); /* bumps on each rebuild */



/* From a primitive: ends this execution of the run to wait; the coroutine is
 * dropped (a durable run resumes by replay). Use as `return sandbox_park(L);`.
 * Parking from inside a C callback (table.sort, string.gsub) is an error. */
int sandbox_park(lua_State *L);
/* 1 while a park is unwinding (coroutine wrappers pass it upward). */
int sandbox_parking(void);

/* For prepare/finish callbacks: fail the run with this status and message. */
__attribute__((noreturn, format(printf, 3, 4)))
void sandbox_fail(lua_State *L, enum sandbox_status status, const char *fmt, ...);
#endif
