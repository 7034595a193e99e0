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

/* One command, as typed (exported for tests and other front ends). Returns 1
 * when the command resumes or ends the paused run, 0 otherwise. */
int dbg_command(struct dbg *d, const char *line);

#endif
