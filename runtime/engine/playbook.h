/* playbook.h - loading a playbook file and running it to its end in a sandbox.
 *
 * A playbook is a Lua file returning a table: name, description, version, inputs
 * (name -> {type=, default=, required=, description=}) and
 * run = function(ctx, input) ... end returning a result (see docs/playbooks.md).
 */
#ifndef SOAR_PLAYBOOK_H
#define SOAR_PLAYBOOK_H

#include "runinfo.h"
#include "sandbox.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct playbook_src {
	char *path;          /* as given; malloc'd */
	char *code;          /* file contents; malloc'd */
	size_t len;
	uint64_t hash;       /* of path and contents: the compiled-chunk cache key */
};

/* Reads a playbook file. Returns 0, or -1 with a message in err. */
int playbook_load_file(const char *path, struct playbook_src *src, char *err, size_t errlen);
/* A source held in memory (tests, benchmarks). Copies both strings. */
int playbook_load_string(const char *name, const char *code, size_t len, struct playbook_src *src);
void playbook_src_free(struct playbook_src *src);

/* Pushes src compiled (cached per state by its hash); raises on a syntax error
 * or bytecode. For runners of Lua files other than playbooks (tests). */
void playbook_push_chunk(lua_State *L, const struct playbook_src *src);

/* For playbook.call: checks `given` (a table, or nil) against the inputs that
 * the playbook table at `pb` declares; pushes the input table (defaults applied,
 * types checked). Raises an error naming the input otherwise. */
void playbook_inputs_from_table(lua_State *L, int pb, int given);

enum playbook_status {
	PLAYBOOK_SUCCEEDED = 0,
	PLAYBOOK_FAILED,     /* the run raised an error or broke a limit */
	PLAYBOOK_INVALID,    /* the file, its table or the inputs are wrong */
	PLAYBOOK_PARKED,     /* a step made the run wait (prompt, sleep) */
	PLAYBOOK_SUSPENDED,  /* waiting on I/O: continue with playbook_continue */
};

struct playbook_run {
	/* First, so that sandbox_current() reads it as the run's run_info. */
	struct run_info info;     /* id (made here if empty) and the playbook's name */
	/* In: */
	const struct playbook_src *src;
	char *const *inputs;      /* "key=value" strings, coerced to declared types */
	int ninputs;
	const char *input_json;   /* a JSON object of inputs, or NULL */
	const char *case_ref;     /* the case the run works on (ctx.case), or NULL */
	struct sandbox_limits limits;
	/* Called first thing on the state that will run the playbook, before its
	 * chunk executes (a debugger sets its hook there), or NULL. */
	void (*on_prepare)(lua_State *L, void *ud);
	void *on_prepare_ud;
	/* Out (free with playbook_run_clear): */
	enum playbook_status status;
	int bad_input;            /* INVALID because of the inputs given, not the playbook */
	char *result_json;        /* the encoded result on success; malloc'd */
	char *version;            /* the playbook's version field, or NULL; malloc'd */
	char *inputs_json;        /* inputs after defaults and types (durable runs only) */
	struct sandbox_outcome outcome;
	double duration_ms;
	struct timespec started_;  /* private */
	struct egress_scope *egress_owned; /* private: the declared hosts */
};

/* Runs src on sb to its end. Returns run->status. */
enum playbook_status playbook_run(struct sandbox *sb, struct playbook_run *run);
void playbook_run_clear(struct playbook_run *run);

/* The same, event-driven (sandbox_start/sandbox_continue): may return
 * PLAYBOOK_SUSPENDED with *task set; continue it when its I/O is done. */
enum playbook_status playbook_start(struct sandbox *sb, struct playbook_run *run,
				    struct sandbox_task **task);
enum playbook_status playbook_continue(struct sandbox *sb, struct playbook_run *run,
				       struct sandbox_task *task,
				       int (*push)(lua_State *co, void *arg), void *arg);

#endif
