/* watchdog.h - stops runs that exceed their CPU or wall-clock limit.
 *
 * Each thread that executes runs owns one `struct watch` (thread-local, made on
 * first use). Around a run the thread calls watch_begin/watch_end; one watchdog
 * thread per process samples the watched threads' CPU clocks every tick while
 * any run executes, and sleeps otherwise. Over a limit, it records the reason
 * and signals the thread (SIGURG); see sandbox.h for the two-stage stop.
 */
#ifndef SOAR_WATCHDOG_H
#define SOAR_WATCHDOG_H

#include <lua.h>
#include <setjmp.h>
#include <signal.h>

enum watch_stop { WATCH_RUNNING = 0, WATCH_STOP_CPU = 1, WATCH_STOP_WALL = 2 };

struct watch;

/* This thread's watch (created and registered on first call); NULL if the
 * watchdog could not start (then runs go unwatched and the caller must refuse). */
struct watch *watch_self(void);

/* Marks the start of an execution slice on state L with these limits. After
 * this, `*watch_escape(w)` must be set with sigsetjmp before Lua runs. */
void watch_begin(struct watch *w, lua_State *L, double cpu_seconds, double wall_seconds);
/* Ends it; returns why the watchdog stopped it (WATCH_RUNNING if it did not). */
enum watch_stop watch_end(struct watch *w);

/* Pause/resume the slice's clocks (sandbox_pause.h): while paused the watchdog
 * does not judge the slice; on resume its CPU and wall starts move forward by
 * the paused span. Nest; no-ops outside a slice. */
void watch_pause(struct watch *w);
void watch_resume(struct watch *w);

sigjmp_buf *watch_escape(struct watch *w);
/* After a hard stop: the thread's signal mask as it was when its watch was made
 * (the jump left the handler's mask, which blocks every signal, in force). */
void watch_restore_mask(struct watch *w);
/* Called after a clean stop or before reusing a state: removes the stop hook. */
void watch_clear_hook(lua_State *L);

/* Non-interruptible regions of the calling thread (nest). A region must never
 * be unwound by a Lua error; as defence in depth the depth is reset to 0 where
 * no region can be open: at each slice's start, when the stop hook fires (Lua
 * code running), around coroutine resumes, and when the heap refuses an
 * allocation (LuaJIT then raises, unwinding whatever region asked). */
void watch_noint_enter(void);
void watch_noint_leave(void);
int watch_noint_depth(void);
void watch_noint_reset(void);

/* The message used by the stop hook, so the sandbox can recognise it. */
extern const char watch_stop_message[];

#endif
