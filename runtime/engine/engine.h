/* engine.h - durable runs: starting a playbook as a recorded run, resuming a
 * waiting or interrupted run by replaying it against its journal, and finishing
 * it (see docs/runs.md).
 *
 * This is the foreground engine that `soarctl run`, `runs resume` and
 * `prompt answer` use: steps are journaled synchronously (group commit still
 * shares transactions with other threads and processes). */
#ifndef SOAR_ENGINE_H
#define SOAR_ENGINE_H

#include "playbook.h"
#include "runstore.h"

/* Sleeps up to this long run in place; longer ones make the run wait. */
#define ENGINE_INLINE_SLEEP_MS 10000

struct engine_run {
	struct playbook_run pb;        /* first: its run_info is what primitives see */
	struct store *st;
	struct run_rec rec;            /* kept current */
	struct journal_entry *journal; /* recorded steps, when replaying */
	size_t njournal;
	unsigned next_step;            /* 1-based */
	int recorded;                  /* the run record exists in the store */
	int parked;                    /* a step made the run wait */
	char task[256];                /* current task path */
#define ENGINE_MAX_TASK_DEPTH 16
	char task_roles[ENGINE_MAX_TASK_DEPTH][64]; /* role of each open task ("" none) */
	int task_depth;
	int saved_declared;            /* a completed task declared minutes_saved */
	int64_t saved_milli;           /* their sum, thousandths of a minute (rebuilt on replay) */
	char prompt_id[37];            /* what it waits on, when parked on a prompt */
	char *started_children;        /* run ids of children started, '\n'-separated */
	struct playbook_src own_src;   /* the file, when the engine loaded it (resume) */
	char *children_json;           /* [{run_id, playbook, status}] of children run after it */
	struct runloop_item *async;      /* set when a scheduler drives the run (runloop.c) */
	unsigned char key[16];           /* rec.id parsed, for the journal's keys */
	const struct step_watch *watch;  /* a debugger's (step.h), or NULL */
};

struct runloop_item;
struct step_watch;

struct engine_options {
	struct sandbox_limits limits;
	const char *case_ref;          /* the case the run works on */
	const char *parent;            /* parent run id */
	const char *actor;             /* who starts it (audited); NULL: "soarctl" */
	const char *run_id;            /* the new run's id, chosen by the caller (the API
	                                * answers with it before a worker starts the run);
	                                * NULL or not a UUID: a fresh UUID v7 */
};

/* Starts src as a new run. Fills `e` (free with engine_run_clear). Returns the
 * run's status (RUN_SUCCEEDED, RUN_FAILED, RUN_WAITING) or 0 when the playbook
 * or inputs are invalid (nothing recorded). */
int engine_start(struct sandbox *sb, struct store *st, const struct playbook_src *src,
		 char *const *inputs, int ninputs, const char *input_json,
		 const struct engine_options *opt, struct engine_run *e);

/* Resumes a waiting run (or a running one whose process died). Returns the run's
 * new status, or -1 with a message in err (nothing done). */
int engine_resume(struct sandbox *sb, struct store *st, const char *run_id,
		  const struct sandbox_limits *lim, struct engine_run *e, char *err, size_t errlen);

void engine_run_clear(struct engine_run *e);

/* Runs, in the foreground and in order, the child runs that this execution
 * started (playbook.start), and theirs in turn; fills e->children_json. */
void engine_run_children(struct sandbox *sb, struct engine_run *e, const struct sandbox_limits *lim);

/* The parts of engine_start, for the event-driven scheduler (runloop.c):
 * setup fills e for a new run; prologue readies it for an execution; epilogue
 * records how the execution ended and returns the run's status (as
 * engine_start does). */
void engine_setup(struct store *st, const struct playbook_src *src, char *const *inputs,
		  int ninputs, const char *input_json, const struct engine_options *opt,
		  struct engine_run *e);
void engine_prologue(struct engine_run *e);
int engine_epilogue(struct engine_run *e);
/* engine_epilogue in two halves, for a caller that writes the final record
 * itself (runloop.c, in a group-committed batch): begin returns the status
 * when nothing is to be written, or -1: then e->rec is the final record to
 * write, and end(rc, err of that write) returns the status. */
int engine_epilogue_begin(struct engine_run *e);
int engine_epilogue_end(struct engine_run *e, int rc, const char *err);

/* Readies a run that this process executes for a new execution from the top
 * against its journal, read again from the store: the coroutine of its last
 * execution is gone (a hard stop threw away the interpreter it was suspended
 * on, runloop.c) and a replay rebuilds it. Keeps the record, the source, the
 * inputs and the limits; drops what the last execution left (outcome, task,
 * opened secrets, children started). Each of its journal entries must be
 * durable (none still in a batch). Returns 0, or -1 with a message in err. */
int engine_rewind(struct engine_run *e, char *err, size_t errlen);

/* Copies what the playbook told about itself (name, version, inputs) into the
 * run record, before its first write. */
void engine_fill_record(struct engine_run *e);

/* For steps that make the run wait: marks the run waiting on `kind` ("sleep",
 * "prompt") until `until` (ms, 0 = none), writing `entry` (a new journal entry,
 * or NULL) and `prompt` (or NULL) in the same transaction. */
int engine_wait(struct engine_run *e, const struct journal_entry *entry, const char *kind,
		int64_t until, const struct prompt_rec *prompt, char *err, size_t errlen);

/* The run's error in one word: invalid, out_of_memory, cpu_limit, wall_limit,
 * result_too_large, internal or error. */
const char *engine_error_kind(const struct engine_run *e);

/* The run's error as JSON {"kind","message","file","line"} (malloc'd). */
char *engine_error_json(const struct engine_run *e);

#endif
