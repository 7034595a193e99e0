/* runloop.h - many durable runs at once on one thread and one interpreter.
 *
 * A run whose step must wait (for its journal entry to be durable, for an HTTP
 * response) is suspended, and the thread goes on with other runs. Journal
 * entries made in one round are submitted together: one write transaction makes
 * the entries of many runs durable (group commit), so a step costs a few
 * microseconds instead of an fsync. HTTP requests of runs (http.request) are
 * driven by the loop's set of transfers (http_multi.h), so thousands of runs
 * can wait on slow APIs at once.
 *
 * The thread waits in one place: poll on the transfers' epoll fd plus an
 * eventfd that the store's committer thread (journal completions) and
 * runloop_post/runloop_stop (other threads) write. Retry waits of HTTP requests
 * (429/5xx, Retry-After) are loop timers, not sleeps.
 *
 * Every write a run makes from the loop goes out that way: its journal
 * entries, its case writes (journal_write, in the entry's transaction), its
 * first and final records; so no write waits on this thread.
 *
 * Threads: a loop belongs to the thread that calls runloop_run/runloop_serve;
 * every function here is for that thread only, except runloop_post and
 * runloop_stop, which any thread may call (before runloop_free). */
#ifndef SOAR_RUNLOOP_H
#define SOAR_RUNLOOP_H

#include "engine.h"

struct runloop;
struct http_xfer;

/* A loop (its sandbox state, multi handle, eventfd). NULL with a message. */
struct runloop *runloop_new(struct store *st, const char *lua_dir, char *err, size_t errlen);
/* Runs still in flight are dropped (their done callbacks are not called; being
 * durable, they resume from their journal). Posted work not yet run is dropped. */
void runloop_free(struct runloop *s);

/* Called on the loop's thread (from runloop_run/runloop_serve) when a run ends
 * or waits (status as engine_start returns), once its final record is durable
 * (it goes out in a round's batch with other runs' writes). `e` is freed after
 * the call. */
typedef void (*runloop_done_fn)(struct engine_run *e, int status, void *ud);

/* Starts a new run; it executes until it suspends or ends (its done callback
 * comes later, from the loop). Returns 0, or -1 when out of memory.
 * `src` must outlive the run. Loop's thread only: from another thread, post a
 * function that calls it. */
int runloop_start(struct runloop *s, const struct playbook_src *src, const char *input_json,
		const struct engine_options *opt, runloop_done_fn done, void *ud);

/* Runs until idle: no run in flight and no posted work. Returns how many runs
 * ended. */
size_t runloop_run(struct runloop *s);

/* Runs until runloop_stop, waiting for posted work when idle (a daemon
 * worker). After runloop_stop it no longer waits for posts: it returns once
 * the work posted so far has run and the runs in flight have ended (a drain).
 * A later runloop_serve serves again. Returns how many runs ended. */
size_t runloop_serve(struct runloop *s);

/* Any thread: fn(s, arg) runs on the loop's thread (in runloop_run or
 * runloop_serve), posts in the order made. Returns 0, or -1 when out of memory
 * (fn will not run). Typical fn: runloop_start of a run described by arg. */
typedef void (*runloop_fn)(struct runloop *s, void *arg);
int runloop_post(struct runloop *s, runloop_fn fn, void *arg);

/* Any thread: makes runloop_serve drain and return (see above). */
void runloop_stop(struct runloop *s);

size_t runloop_inflight(const struct runloop *s);

/* A hard stop (sandbox.h) replaces the loop's interpreter, and with it the
 * coroutines of the runs suspended on it: the loop replays each of them on the
 * fresh one from its journal (see "hard stops" in runloop.c). Counts, for
 * tests and benchmarks: */
struct runloop_stats {
	size_t hard_stops;        /* runs that ended in one */
	size_t orphaned;          /* runs whose coroutine one took */
	size_t replayed;          /* executions from the top that followed */
	double replay_seconds;    /* spent taking them off their waits and replaying
				   * them (journal reads, replayed steps) */
	double replay_cpu_seconds;  /* the same in the loop thread's CPU time */
};
void runloop_get_stats(const struct runloop *s, struct runloop_stats *out);

/* For step.c: suspends the running step until its journal entry (and with
 * `rec`, the run record) is durable; the n values at the top of L are what the
 * step returns then. Returns what the primitive must return. */
int runloop_step_wait(lua_State *L, struct engine_run *e, const struct run_rec *rec,
		    const struct journal_entry *entry, int n);

/* For step.c: the same for a step whose effect is a store write `w`, applied
 * in its journal entry's transaction (runstore.h): the run continues with the
 * values push(co, arg) pushes (from w->json; it must not raise), then the loop
 * calls release(arg); also when the run ends without continuing. `w` must stay
 * valid until then. */
int runloop_write_wait(lua_State *L, struct engine_run *e, const struct run_rec *rec,
		       const struct journal_entry *entry, struct journal_write *w,
		       int (*push)(lua_State *co, void *arg), void *arg, void (*release)(void *arg));

/* For primitives (prim_http.c). The loop driving the run executing on this
 * thread, or NULL (a blocking run: soarctl run, tests). */
struct runloop *runloop_current(void);

/* Suspends the current run (the caller checked sandbox_can_suspend) until
 * transfer x is done, redirects and retries included. Then the run continues
 * with the values push(co, arg) pushes (it must not raise), and the primitive's
 * continuation calls runloop_http_take to get `arg` back. Until taken, `arg`
 * belongs to the loop, which calls release(arg) if the run ends without taking
 * it; the caller owns x through arg (the loop never frees x). Returns what the
 * primitive must return; when the loop cannot take the transfer, it calls
 * release(arg) and raises. */
int runloop_http_wait(lua_State *L, struct http_xfer *x, int (*push)(lua_State *co, void *arg),
		      void *arg, void (*release)(void *arg));
/* The `arg` of the current run's finished wait, now the caller's; NULL if none. */
void *runloop_http_take(void);

#endif
