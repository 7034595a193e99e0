/* runstore.h - durable runs: run records, their journal, and prompts, in the
 * store (named databases runs, run_idx, journal, prompts, prompt_idx).
 *
 * Records are tagged fields (tag varint, length varint, bytes), so fields can be
 * added without a migration. Strings in the structs below are malloc'd and owned
 * by the struct: free them with the matching *_free.
 */
#ifndef SOAR_RUNSTORE_H
#define SOAR_RUNSTORE_H

#include "store.h"
#include "store_buf.h"

#include <stddef.h>
#include <stdint.h>

enum run_status {
	RUN_RUNNING = 1, RUN_WAITING, RUN_SUCCEEDED, RUN_FAILED, RUN_CANCELLED,
};
const char *run_status_name(int status);
int run_status_parse(const char *s);            /* 0 when unknown */

struct run_rec {
	char id[37];
	char *playbook;       /* name */
	char *path;           /* file it was loaded from */
	char *version;
	char *hash;           /* sha256 hex of the file when the run started */
	char *inputs_json;    /* the inputs as given (JSON object) */
	char *case_ref;       /* the case the run works on, or NULL */
	char *parent;         /* parent run id, or NULL */
	char *result_json;    /* on success */
	char *error_json;     /* on failure: {"kind","message","file","line"} */
	char *wait_kind;      /* "prompt", "sleep", "start" (a child not yet run) */
	char *wait_prompt;    /* prompt id when waiting on one */
	int64_t wait_until;   /* ms; sleeps and prompt timeouts */
	int status;
	int64_t created, updated, finished;
	uint32_t steps;       /* journal entries */
	int32_t owner_pid;    /* process executing it while running */
	char *actor;          /* who started it ("cli:alice", "daemon", "run:ID" for a child) */
	int cancel_requested;
	char *summary;        /* once retention compacted the journal: JSON step summary */
	/* Minutes saved declared by the run's completed tasks (task's minutes_saved),
	 * in thousandths of a minute; saved_declared is 1 when any task declared
	 * one (then ROI counts this sum instead of the playbook's figure). */
	int saved_declared;
	int64_t saved_milli;
};
void run_rec_free(struct run_rec *r);
/* The status of an encoded run record (the value under STORE_DB_RUNS), or -1
 * when it does not decode: for the store's consistency check. */
int run_record_status(const void *data, size_t len);

/* An entry of a run's journal: one step. */
struct journal_entry {
	uint32_t no;          /* 1, 2, ... */
	char *name;           /* "time.now", "prompt.ask", "case.create" ... */
	char *args;           /* a short summary of the arguments (scrubbed) */
	char *result_json;    /* a JSON array of the step's return values */
	char *task;           /* the task it ran in ("a/b"), or NULL */
	char *error;          /* a failed step's message, or NULL */
	int64_t started;      /* ms */
	int64_t duration_us;
};
void journal_entries_free(struct journal_entry *e, size_t n);

struct prompt_rec {
	char id[37];
	char run_id[37];
	uint32_t step;
	char *question;
	char *spec_json;      /* {"options":[...]} or {"fields":{name: type}} */
	char *to;             /* user or role, or NULL (anyone) */
	char *task;           /* task it belongs to, or NULL */
	char *default_json;   /* the answer a timeout takes, or NULL (timeout fails) */
	char *answer_json;    /* once answered */
	char *answered_by;
	int64_t created, timeout_at, answered_at;
	int open;
	/* Delivery by the daemon (prompt.ask's notify, remind, escalate):
	 * {"slack":{"channel"},"email":{"to":[...]},"remind":s,"escalate":{"after":s,"to":R}} */
	char *notify_json;
	char *state_json;     /* what was done: {"slack":{"channel","ts"},"reminders":n,...} */
	int64_t due_at;       /* ms: the next delivery step (first send, reminder, escalation); 0 none */
	char *escalated_to;   /* after an escalation, who may answer too */
};
void prompt_rec_free(struct prompt_rec *p);

/* ---- reads ---- */
int run_get(struct store *st, const char *id, struct run_rec *out, char *err, size_t errlen);
/* Runs with `status` (0: all), newest first, at most `max` (0: all). *out is
 * malloc'd: free each with run_rec_free, then the array. */
int run_list(struct store *st, int status, size_t max, struct run_rec **out, size_t *n,
	     char *err, size_t errlen);
int journal_load(struct store *st, const char *run_id, struct journal_entry **out, size_t *n,
		 char *err, size_t errlen);
int prompt_get(struct store *st, const char *id, struct prompt_rec *out, char *err, size_t errlen);
int prompt_list(struct store *st, int open_only, size_t max, struct prompt_rec **out, size_t *n,
		char *err, size_t errlen);

/* Every waiting run, from the status index alone (no record is read): its id,
 * until when (ms, 0 = none) and the prompt it waits on (16 bytes, or NULL).
 * Stops early when cb returns non-zero. Returns 0 or -1 with err. */
int run_scan_waiting(struct store *st, int (*cb)(const unsigned char id[16], int64_t until,
						 const unsigned char *prompt, void *ud),
		     void *ud, char *err, size_t errlen);

/* Waiting runs that are due at `now` (ms), from the status index and the
 * prompts' open index in one snapshot: sleeps that ended, prompts answered or
 * timed out, child runs not started yet. cb gets each id; non-zero stops. */
struct run_due_state {
	size_t txn;          /* the store's last transaction at the last full scan */
	int64_t next;        /* the earliest time a wait then not due falls due */
};
/* With `s` (zeroed before the first call): when no transaction committed since
 * the last full scan and nothing falls due yet, nothing is read at all, so
 * many waiting runs cost an idle daemon nothing. */
int run_scan_due(struct store *st, int64_t now, struct run_due_state *s,
		 int (*cb)(const unsigned char id[16], void *ud), void *ud, char *err, size_t errlen);

/* ---- writes (each durable when it returns 0; STORE_REFUSED with err set) ---- */

/* Writes the run record (insert or replace), keeping the status index. When
 * `entry` is not NULL it is appended to the journal in the same transaction, and
 * refused if the stored run was cancelled meanwhile. When `prompt` is not NULL it
 * is written in the same transaction too. */
int run_save(struct store *st, const struct run_rec *r, const struct journal_entry *entry,
	     const struct prompt_rec *prompt, char *err, size_t errlen);

/* A store write that a step makes (a case note), applied in the transaction of
 * its journal entry: the effect and the record of it are durable together, so
 * a crash leaves both or neither (a replay does not write it twice), and one
 * commit carries the writes of many runs (journal_batch). */
struct journal_write {
	store_apply_fn apply;      /* checks, then writes: 0 or STORE_REFUSED (err) */
	void *ctx;
	/* Then, in the same transaction: the step's values as a JSON array into
	 * `out` (empty on entry), from apply's rc (0 or STORE_REFUSED with its
	 * message). Returns 0, or ENOMEM. May run more than once, like apply. */
	int (*result)(void *ctx, int rc, const char *err, struct store_buf *out);
	struct store_buf json;     /* the values once written; the journal's copy */
	void (*free_fn)(struct journal_write *w);   /* frees w, its ctx and json */
};

/* run_save with a journal entry whose result is w's values (entry->result_json
 * is ignored): w applied and the entry written in one transaction. 0 when both
 * are durable (w->json holds the values, also when w itself was refused). */
int run_save_write(struct store *st, const struct run_rec *r, const struct journal_entry *entry,
		   struct journal_write *w, char *err, size_t errlen);

/* Makes run r->id this process's, atomically: refused (STORE_REFUSED, err says
 * why) unless it waits, or was left running by a process that is gone, and is
 * not cancelled. On success *r is replaced by the stored record, now running
 * with our pid; *grew is 1 when its journal has more than `njournal` entries
 * (the caller read it before another process added to it, or before a killed
 * writer's last commit became visible): read the journal again. Two processes
 * resuming one run: one wins. */
int run_claim(struct store *st, struct run_rec *r, uint32_t njournal, int *grew, char *err,
	      size_t errlen);

/* Records an answer: refused when the prompt is closed. */
int prompt_answer(struct store *st, const char *id, const char *answer_json, const char *by,
		  char *err, size_t errlen);

/* The store's last committed transaction (0 on error): a poller that saw the
 * same number before knows nothing was written since. */
size_t runstore_txn_id(struct store *st);

/* Writes a new prompt in txn (a step's journal_write: prompt.create). */
int prompt_put_txn(struct store *st, struct store_txn *txn, const struct prompt_rec *p, char *err,
		   size_t errlen);

/* Records a prompt's delivery state and its next due time (0: none); with
 * `escalated_to`, who may answer besides `to`. Refused (STORE_REFUSED, no
 * message) once the prompt is answered unless answered_ok (the message that
 * says who answered). */
int prompt_set_delivery(struct store *st, const char *id, const char *state_json, int64_t due_at,
			const char *escalated_to, int answered_ok, char *err, size_t errlen);

/* Asks a running run to stop (it stops at its next step) or cancels a waiting run
 * at once. Refused for finished runs. */
int run_cancel(struct store *st, const char *id, char *err, size_t errlen);

/* Replaces journal entry `no` of a run (a prompt's answer or timeout, once taken). */
int journal_replace(struct store *st, const char *run_id, const struct journal_entry *e,
		    char *err, size_t errlen);

/* Journal entries of many runs written together without waiting (event-driven
 * runs): add entries (with the run record `rec` on a run's first write, else
 * NULL: the record is left as it is; with e NULL, only the record: a run's
 * final one; with `w`, a step's store write, see journal_write), then
 * submit; `rec`'s strings and `w` are not copied: they must stay valid and
 * unchanged until the entry's done (a suspended run's own record); `done(arg, rc, err)` is
 * called for each entry on the store's committer thread once it is durable
 * (rc 0), refused (STORE_REFUSED: its run was cancelled) or failed. It must not
 * block. Entries are copied. Free the batch after every done was called.
 * A run has at most one entry in a batch: the batch may apply entries of
 * different runs in any order (plain entries go in run id order). */
struct journal_batch;
struct journal_batch *journal_batch_new(void);
/* key: run_id's 16 bytes when the caller has them parsed (else NULL). */
int journal_batch_add(struct journal_batch *b, const struct run_rec *rec, const char *run_id,
		      const unsigned char *key, const struct journal_entry *e,
		      struct journal_write *w, void *arg);
size_t journal_batch_size(const struct journal_batch *b);
void journal_batch_submit(struct store *st, struct journal_batch *b,
			  void (*done)(void *arg, int rc, const char *err));
void journal_batch_free(struct journal_batch *b);

#endif
