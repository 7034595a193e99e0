/* runloop.h - many durable runs at once on one thread and one interpreter.
 *
 * A run whose step must wait for its journal entry to be durable (or, later,
 * for I/O) is suspended, and the thread goes on with other runs; one write
 * transaction then makes the entries of many runs durable together (group
 * commit), so a step costs a few microseconds instead of an fsync. */
#ifndef SOAR_RUNLOOP_H
#define SOAR_RUNLOOP_H

#include "engine.h"

struct runloop;

/* A scheduler for this thread. NULL with a message on failure. */
struct runloop *runloop_new(struct store *st, const char *lua_dir, char *err, size_t errlen);
void runloop_free(struct runloop *s);

/* Called on the scheduler's thread when a run ends or waits (status as
 * engine_start returns). `e` is freed after the call. */
typedef void (*runloop_done_fn)(struct engine_run *e, int status, void *ud);

/* Starts a new run; it executes until it suspends or ends. Returns 0, or -1
 * when out of memory. `src` must outlive the run. */
int runloop_start(struct runloop *s, const struct playbook_src *src, const char *input_json,
		const struct engine_options *opt, runloop_done_fn done, void *ud);

/* Runs until no run is in flight. Returns how many runs ended. */
size_t runloop_run(struct runloop *s);

size_t runloop_inflight(const struct runloop *s);

/* For step.c: suspends the running step until its journal entry (and with
 * `rec`, the run record) is durable; the n values at the top of L are what the
 * step returns then. Returns what the primitive must return. */
int runloop_step_wait(lua_State *L, struct engine_run *e, const struct run_rec *rec,
		    const struct journal_entry *entry, int n);

#endif
