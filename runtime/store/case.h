/* case.h - cases: records, status transitions, SLA, timeline, links, queries.
 *
 * This is the narrow interface the CLI, the Lua primitives and (later) the
 * journaled engine steps use. Every function that writes returns only once the
 * write is durable (group commit, store.h), or fails with nothing written.
 *
 * A case is named by a "ref": its short number ("42" or "#42") or its stable id
 * (a UUID v7 string). Times are milliseconds since the Unix epoch (UTC); 0 = unset.
 *
 * Status transitions (anything else is refused; setting the current status is a
 * no-op):
 *     new     -> active, pending, closed
 *     active  -> pending, closed
 *     pending -> active, closed
 *     closed  -> active            (reopen)
 */
#ifndef SOAR_CASE_H
#define SOAR_CASE_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

enum case_severity { CASE_SEV_LOW = 1, CASE_SEV_MEDIUM, CASE_SEV_HIGH, CASE_SEV_CRITICAL };
enum case_status { CASE_NEW = 1, CASE_ACTIVE, CASE_PENDING, CASE_CLOSED };

/* Limits, checked with a clear error. */
#define CASE_MAX_SHORT 255         /* type, owner, role, label, dedupe key, close reason */
#define CASE_MAX_TITLE 1024
#define CASE_MAX_LABELS 32
#define CASE_MAX_JSON (1 << 20)    /* custom fields and source alert, each */
#define CASE_MAX_TEXT (1 << 20)    /* a timeline entry's text or data */

const char *case_severity_name(int sev);       /* "low".. ; "?" when out of range */
int case_severity_parse(const char *s);         /* 0 when unknown */
const char *case_status_name(int status);
int case_status_parse(const char *s);           /* 0 when unknown */
/* 1 when from -> to is allowed (or from == to). */
int case_transition_ok(int from, int to);

/* A case as read from the store. Strings are NUL-terminated and owned by the
 * record (case_rec_free); NULL when unset. */
struct case_rec {
	uint64_t seq;             /* the short number */
	char id[37];              /* UUID v7 */
	char *title, *type, *owner, *role, *close_reason, *dedupe_key;
	char *custom_json;        /* a JSON object, or NULL */
	char *source_json;        /* the source alert as given (JSON), or NULL */
	char *labels[CASE_MAX_LABELS];
	size_t nlabels;
	int severity, status;
	int64_t created, updated, closed;
	uint64_t parent;          /* 0 = none */
	int64_t sla_due;          /* 0 = no SLA */
	int sla_pause_pending;    /* the SLA clock stops while pending */
	int64_t sla_paused_at;    /* when it last entered pending (pausing), else 0 */
	int64_t sla_paused_ms;    /* total paused time before sla_paused_at */
	uint32_t entries;         /* timeline entries so far */
	void *mem_;               /* private: the block holding the strings */
};
void case_rec_free(struct case_rec *c);

/* The SLA due time after pauses, as of `now` (0 when no SLA). */
int64_t case_sla_effective_due(const struct case_rec *c, int64_t now);
/* 1 when the SLA is breached as of `now` (for a closed case: it closed late). */
int case_sla_breached(const struct case_rec *c, int64_t now);

/* Fields given to create/update, by name, as text. The same names are the
 * `--name VALUE` flags of `soarctl case new/update` and the keys of Lua's
 * case.create{...}:
 *   title type severity status owner role labels (comma separated; "+x"/"-x" on
 *   update add/remove one) custom (JSON object) dedupe_key source (JSON)
 *   parent (ref) sla_due (time: see case_time_parse) sla_pause_pending (bool)
 *   close_reason
 * An unknown name or a bad value is refused with a message naming it. */
struct case_fields {
	unsigned set;             /* bit per field present (private layout) */
	char *v[16];              /* owned copies of the values */
	char *labels_add[CASE_MAX_LABELS], *labels_del[CASE_MAX_LABELS];
	size_t nadd, ndel;
};
void case_fields_init(struct case_fields *f);
void case_fields_free(struct case_fields *f);
/* Returns 0, or -1 with `err` naming the field and what is accepted. */
int case_fields_set(struct case_fields *f, const char *name, const char *value,
		    char *err, size_t errlen);
/* The list of accepted field names, for help texts. */
extern const char *const case_field_names;

/* Parses a time: "now", "+30m"/"-2h"/"+1d"/"+45s" (relative to now),
 * RFC 3339 / ISO 8601 through timefmt_parse ("2024-05-01", "2024-05-01T10:00:00Z",
 * "2024-05-01T12:00:00+02:00"; without an offset: UTC), or "@1714557600" (Unix
 * seconds, fraction allowed). Returns 0 with ms in *out, or -1. */
int case_time_parse(const char *s, int64_t now, int64_t *out);
/* "2024-05-01T10:00:00Z" into buf (>= 21 bytes; timefmt_iso); "-" for 0 or a
 * time it cannot write. Returns buf. */
char *case_time_format(int64_t ms, char *buf, size_t len);

/* Creates a case (actor is who did it: "cli:alice", "playbook:name"). When a
 * dedupe key is given and an open case holds it, no case is created: *deduped
 * is set and `out` is that case. `out` is filled on success (free it). */
int case_create(struct store *st, const struct case_fields *f, const char *actor,
		struct case_rec *out, int *deduped, char *err, size_t errlen);

/* The same, without waiting: for ingestion, where many creates are in flight at
 * once and each learns separately when it is durable. `f` and `actor` must stay
 * valid until the request is done. `done` (may be NULL) is called on the store's
 * committer thread once it is durable or failed; it must not block or write.
 * Every request must be finished with case_create_finish, which gives the outcome
 * like case_create and frees the request: without `done` it waits for
 * durability; with `done`, call it only once done was called (or from done). */
struct case_create_req;
struct case_create_req *case_create_submit(struct store *st, const struct case_fields *f,
					   const char *actor,
					   void (*done)(struct case_create_req *r, void *arg),
					   void *arg);
int case_create_finish(struct case_create_req *r, struct case_rec *out, int *deduped,
		       char *err, size_t errlen);

/* Reads a case. Returns 0, 1 when not found (err says so), -1 on failure. */
int case_get(struct store *st, const char *ref, struct case_rec *out, char *err, size_t errlen);

/* Applies field changes (status transitions checked; a status change, an owner
 * or role change, a link to a parent are written to the timeline). `out` may be
 * NULL. Returns 0, 1 not found, -1 refused or failed (nothing written). */
int case_update(struct store *st, const char *ref, const struct case_fields *f,
		const char *actor, struct case_rec *out, char *err, size_t errlen);

/* Sets status closed with a reason (required, <= CASE_MAX_SHORT). */
int case_close(struct store *st, const char *ref, const char *reason, const char *actor,
	       struct case_rec *out, char *err, size_t errlen);

/* ---- timeline ---- */

enum case_entry_kind {
	CASE_ENTRY_CREATED = 1, CASE_ENTRY_NOTE, CASE_ENTRY_COMMAND, CASE_ENTRY_RESULT,
	CASE_ENTRY_ATTACHMENT, CASE_ENTRY_STATUS, CASE_ENTRY_ASSIGN, CASE_ENTRY_LINK,
	CASE_ENTRY_PROMPT, CASE_ENTRY_ANSWER, CASE_ENTRY_UPDATE, CASE_ENTRY__MAX
};
const char *case_entry_kind_name(int kind);
int case_entry_kind_parse(const char *s);       /* 0 when unknown */

struct case_entry {
	uint32_t no;              /* 1, 2, ... within the case */
	int kind;
	int64_t time;
	char *actor, *text;       /* owned by the entry */
	char *data;               /* JSON or NULL (command result, attachment info) */
};
/* Frees the entries' strings, not the array itself (callers own it). */
void case_entries_free(struct case_entry *e, size_t n);

/* Appends an entry (note, command, result, prompt, answer: the kinds people
 * and playbooks add; the others are written by the operations themselves).
 * `data` is JSON or NULL. Sets *no to the entry's number when no is not NULL. */
int case_note(struct store *st, const char *ref, int kind, const char *actor,
	      const char *text, const char *data, uint32_t *no, char *err, size_t errlen);

/* case_note as a write inside another transaction (a run's step: its journal
 * entry and the note commit together, runstore.h journal_write). prepare
 * checks and copies the arguments (NULL with err: refused, nothing to write);
 * case_note_apply is the store_apply_fn of the request (the audit entry
 * included, as case_note); then case_note_number is the entry's number.
 * Free with case_note_free. */
struct case_note_req;
struct case_note_req *case_note_prepare(const char *ref, int kind, const char *actor,
					const char *text, const char *data, char *err, size_t errlen);
int case_note_apply(struct store *st, struct store_txn *txn, void *req, char *err, size_t errlen);
uint32_t case_note_number(const struct case_note_req *r);
void case_note_free(struct case_note_req *r);

/* Reads entries from number `from` (1 = first), at most `max` (0 = all).
 * *out is malloc'd (case_entries_free). Returns 0, 1 not found, -1. */
int case_timeline(struct store *st, const char *ref, uint32_t from, size_t max,
		  struct case_entry **out, size_t *n, char *err, size_t errlen);

/* ---- attachments and links ---- */

/* Stores `data` as a content-addressed blob (blob.h, limit applies) and adds an
 * attachment entry naming it. sha256_hex receives the 64-hex-digit address. */
int case_attach(struct store *st, const char *ref, const char *name, const void *data,
		size_t len, const char *actor, char sha256_hex[65], char *err, size_t errlen);

/* Links two cases: relation "related" (both ways), "parent" (other becomes ref's
 * parent) or "child" (other becomes ref's child). Refuses cycles and self links. */
int case_link(struct store *st, const char *ref, const char *other, const char *relation,
	      const char *actor, char *err, size_t errlen);

/* Related cases of `ref` (seq numbers; *out malloc'd, free()). */
int case_related(struct store *st, const char *ref, uint64_t **out, size_t *n,
		 char *err, size_t errlen);

/* ---- queries ---- */

enum case_sort { CASE_SORT_CREATED = 0, CASE_SORT_UPDATED = 1 };

struct case_query {
	unsigned status_mask;     /* bit (1 << status); 0 = any */
	int severity;             /* 0 = any */
	const char *type, *owner, *role, *label, *dedupe_key;
	uint64_t parent;          /* 0 = any */
	int64_t created_from, created_to, updated_from, updated_to; /* [from, to); 0 = open */
	int sort;                 /* enum case_sort */
	int ascending;            /* default newest first */
	size_t limit;             /* 0 = 50; at most 1000 */
	const char *cursor;       /* from a previous page, or NULL */
};

struct case_page {
	struct case_rec *items;   /* malloc'd; case_page_free */
	size_t n;
	char next[64];            /* cursor for the next page; "" at the end */
	uint64_t scanned;         /* index entries examined (for tests/benchmarks) */
};
void case_page_free(struct case_page *p);

/* One page of matching cases. One indexed filter (the most selective given:
 * dedupe key, parent, label, owner, role, type, severity, a single status) drives
 * an index range in sort order; the other filters are checked on each record. A
 * page stops after scanning 100,000 entries (next is then set), so no query runs
 * unbounded. Returns 0 or -1. */
int case_search(struct store *st, const struct case_query *q, struct case_page *out,
		char *err, size_t errlen);

/* Consistency of the case databases: every case has its id and index entries,
 * the number counter is past every case. For tests and `soarctl case check`.
 * Returns 0, or -1 with the first problem in err. *ncases may be NULL. */
int case_check(struct store *st, uint64_t *ncases, char *err, size_t errlen);

/* ---- output ---- */

/* Appends the case as a JSON object (SLA computed as of `now`) to `out`. */
struct store_buf;
void case_rec_json(const struct case_rec *c, int64_t now, struct store_buf *out);
void case_entry_json(const struct case_entry *e, struct store_buf *out);

#endif
