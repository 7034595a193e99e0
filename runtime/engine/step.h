/* step.h - journaled steps, for primitives that touch the world.
 *
 * Every call that acts on the world or reads something that differs between
 * executions (time, randomness, HTTP, case writes, prompts) is a step: its result
 * is written to the run's journal, durably, before the playbook sees it. When a
 * run resumes, the playbook executes again from the start and each step that has
 * a record returns the recorded result without acting: the run goes on from the
 * first step without one.
 *
 * A primitive does:
 *     int n = step_replay(L, "time.now");
 *     if (n >= 0) return n;             -- recorded: values pushed
 *     ...act, push k results...
 *     step_record(L, "time.now", args_summary, k);
 *     return k;
 * Outside a durable run (no engine) step_replay returns -1 and step_record does
 * nothing, so the same primitive works in tests and benchmarks.
 */
#ifndef SOAR_STEP_H
#define SOAR_STEP_H

#include <lua.h>

struct journal_entry;

/* Raises "playbook changed under a waiting run" when the record at this position
 * has another name; re-raises a recorded error. */
int step_replay(lua_State *L, const char *name);

/* Records the n values at the top (left in place) as the step's result. Raises if
 * they cannot be written (store failure, run cancelled). */
void step_record(lua_State *L, const char *name, const char *args, int n);

/* The same, for a primitive that returns exactly those values:
 * `return step_commit(L, name, args, n);`. Under a scheduler (sched.h) the run
 * is suspended until the entry is durable, and other runs go on meanwhile. */
int step_commit(lua_State *L, const char *name, const char *args, int n);

/* A step whose effect is a store write (a case note): `w` (runstore.h) is
 * applied in the transaction of the step's journal entry, and the step returns
 * the values w->result wrote, as a replay will. Under a run loop the run is
 * suspended until that transaction is durable, together with other runs'
 * writes; otherwise it waits here. Outside a durable run, only w is written.
 * Takes `w`: w->free_fn(w) is called once it is done (also on errors). Use
 * as `return step_write(L, st, name, args, w);`. Raises when the write or the
 * entry cannot be made (store failure, run cancelled). */
struct journal_write;
struct store;
int step_write(lua_State *L, struct store *st, const char *name, const char *args,
	       struct journal_write *w);

/* Records a step that failed with `message`, then raises it. */
__attribute__((noreturn))
void step_fail(lua_State *L, const char *name, const char *args, const char *message);

/* For steps with their own replay logic (prompts, sleeps): the record at the
 * current position if it has this name (raises if another), NULL if none.
 * step_advance moves past it. */
const struct journal_entry *step_lookup(lua_State *L, const char *name);
void step_advance(lua_State *L);
/* The next step's number (1-based); 0 outside a durable run. */
unsigned step_position(lua_State *L);

/* Ends this execution of the run: it is waiting (its record already says on
 * what). Call as `return step_park(L);` from the primitive. */
int step_park(lua_State *L);

/* A watcher of a run's steps (a debugger): set engine_run.watch. Called on the
 * run's thread. */
struct step_watch {
	/* Before step `no` named `name` is taken (step_replay), with `je` its
	 * recorded entry or NULL (it would act). Returns -1 to go on as usual, or
	 * n >= 0 values it pushed, which the step returns instead (a replayed
	 * entry is passed over; a live one is journaled with them unless
	 * no_store). May raise. */
	int (*before)(lua_State *L, void *ud, unsigned no, const char *name,
		      const struct journal_entry *je);
	/* After step je->no was taken live (acted, or given values by before):
	 * what it returned, as the journal has it. */
	void (*after)(void *ud, const struct journal_entry *je);
	void *ud;
	/* Nothing goes to the store: live steps are only passed to after (a dry
	 * run, a replay of a recorded run). */
	int no_store;
};

/* The current task path ("" when none), for records that carry it. */
const char *step_task(lua_State *L);

#endif
