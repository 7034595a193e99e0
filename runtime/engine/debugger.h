/* debugger.h - a playbook run under a debugger: breakpoints (lines, steps),
 * stepping, frames and values, step results to override, and travel back
 * through the run's journal by replay (see docs/debugging.md).
 *
 * The run executes as any durable run does (engine.h), on the caller's thread,
 * with two observers: a line hook on the interpreter (the JIT is off for the
 * debugged state: LuaJIT does not call hooks inside compiled traces) and a
 * step watch (step.h) before every journaled step. When one of them decides to
 * stop, the run is paused inside it and the front end's read_line is asked
 * for commands until one resumes it; the sandbox's clocks stand still
 * meanwhile (sandbox_pause.h). Travelling back re-executes the run from its
 * start with every step known so far replayed from the journal kept here: the
 * world is not touched again.
 *
 * Everything printed goes through the run's redaction (runscrub.h): a secret
 * the run opened prints as [secret:NAME]. */
#ifndef SOAR_DEBUGGER_H
#define SOAR_DEBUGGER_H

#include "engine.h"

#include <stdio.h>

struct dbg;

struct dbg_config {
	struct sandbox *sb;
	struct store *st;
	/* A new run of this playbook ... */
	const struct playbook_src *src;
	char *const *inputs;
	int ninputs;
	const char *input_json;
	struct engine_options opt;
	/* ... or the replay of a recorded run (src NULL): nothing is written. */
	const char *run_id;
	int dry;                 /* nothing world-touching acts: steps ask or mock */
	FILE *out;               /* where the session prints */
	/* Reads one command line (malloc'd, no newline), NULL at end of input. */
	char *(*read_line)(void *ui, const char *prompt);
	void *ui;
	/* Optional, for front ends that are not a terminal (the DAP adapter): the
	 * run paused (reason: "breakpoint", "step", "entry", "exception"; text:
	 * why, scrubbed), or an execution ended with this run status. */
	void (*stopped)(void *ui, const char *reason, const char *text);
	void (*ended)(void *ui, int status);
	/* Optional: another thread sets *pause_req to 1 to pause the running
	 * playbook at its next line (reason "pause"); the debugger clears it. */
	int *pause_req;
};

/* A session, or NULL with a message in err. */
struct dbg *dbg_new(const struct dbg_config *cfg, char *err, size_t errlen);
void dbg_free(struct dbg *d);

/* Runs the session: commands first (nothing runs until run/continue/step),
 * then the run, pausing where asked, until quit or the end of input. Returns
 * the last execution's run status (RUN_SUCCEEDED ...), or 0 if none ended. */
int dbg_session(struct dbg *d);

/* For completion: calls add(word, ud) for each candidate completing `word`
 * (the whole line is `line`; `word` starts at `start`): commands, step names,
 * globals and table fields of the paused frame (read raw: no Lua runs). */
void dbg_complete(struct dbg *d, const char *line, int start, const char *word,
		  void (*add)(const char *cand, void *ud), void *ud);

/* While paused: the frames, innermost first (source is a file path or a
 * module's name; line 0 when unknown). Returns how many. */
int dbg_frames(struct dbg *d, void (*fn)(void *ud, int level, const char *name,
					 const char *source, int line), void *ud);
/* While paused: the locals and upvalues of frame `level`, values as shown by
 * print (scrubbed). kind is "local" or "upvalue"; ref is a handle for
 * dbg_children when the value is a table (0 otherwise), valid until the run
 * resumes. */
void dbg_variables(struct dbg *d, int level, void (*fn)(void *ud, const char *name,
							 const char *value, const char *kind, int ref),
		   void *ud);
/* While paused: the fields of the table behind ref (read raw: no metamethod
 * runs), kind "field"; nested tables get their own ref. */
void dbg_children(struct dbg *d, int ref, void (*fn)(void *ud, const char *name,
						      const char *value, const char *kind, int ref),
		  void *ud);
/* While paused: expr evaluated in frame `level`, as print shows it (malloc'd,
 * scrubbed); *ok 0 when it raised (the text is the error). */
char *dbg_evaluate(struct dbg *d, int level, const char *expr, int *ok);

/* One command, as typed (exported for tests and other front ends). Returns 1
 * when the command resumes or ends the paused run, 0 otherwise. */
int dbg_command(struct dbg *d, const char *line);

#endif
