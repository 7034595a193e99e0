/* retention.h - declared retention policies and the passes that apply them:
 * old cases removed (by case type, severity, status and age), finished runs'
 * journals compacted to a step summary, expired EDL entries removed, old cases'
 * dedupe keys released. A pass works in small write batches (each one write of
 * the group commit, a few milliseconds), so ingestion goes on between them, and
 * is audited by its counts ("store.retention"). The audit log itself is never
 * pruned (docs/store.md "Retention"). */
#ifndef SOAR_RETENTION_H
#define SOAR_RETENTION_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define RETENTION_MAX_RULES 32

/* Cases matching every field given (type, severity, status) and not updated for
 * older_than ms are removed. */
struct retention_rule {
	char type[256];          /* "" any */
	int severity;            /* 0 any, else enum case_severity */
	int status;              /* 0 any, else enum case_status; -1 open (not closed) */
	int64_t older_than_ms;   /* > 0 */
};

struct retention_policy {
	struct retention_rule rules[RETENTION_MAX_RULES];
	size_t nrules;
	int64_t journals_after_ms;   /* 0 off: compact journals of runs finished this long ago */
	int edl_expired;             /* remove expired EDL entries */
	int64_t dedupe_after_ms;     /* 0 off: release dedupe keys of cases created this long ago */
	size_t batch;                /* most items changed by one write (default 200) */
	int64_t every_ms;            /* the daemon's pass interval (default 60 s) */
	int64_t pause_ms;            /* the pass's pause between batches (default 2 ms) */
};

struct retention_counts {
	uint64_t cases, timeline_entries;
	uint64_t runs_compacted, journal_entries;
	uint64_t edl_entries, dedupe_keys;
	uint64_t batches;
	int64_t max_batch_us;        /* the longest batch write, waiting included */
	int64_t duration_us;         /* the pass, pauses included */
};

/* Parses the "retention" object of the store configuration (docs/store.md):
 * {"cases": [{"type":..., "severity":..., "status":..., "older_than": "30d"}],
 *  "journals_after": "7d", "edl_expired": true, "dedupe_keys_after": "14d",
 *  "batch": 200, "every": "60s"}. Durations: a number of seconds or "N" with
 * ms, s, m, h or d. Returns 0, or -1 with what is wrong in err. */
int retention_parse(const char *json, size_t len, struct retention_policy *p,
		    char *err, size_t errlen);

/* A duration as above into ms: 0, or -1 when not one. */
int retention_duration(const char *s, int64_t *ms);

/* One pass at time `now` (ms; the caller's clock, so tests control it): every
 * part of the policy, batch after batch, until nothing more is due or *stop
 * (may be NULL) becomes non-zero. Adds to *c. When anything changed, appends
 * the audit entry "store.retention" with the counts (actor: `actor`).
 * Returns 0, or -1 with err (what was done until then is counted and kept). */
int retention_pass(struct store *st, const struct retention_policy *p, int64_t now,
		   const char *actor, volatile int *stop, struct retention_counts *c,
		   char *err, size_t errlen);

/* The counts as a JSON object (the audit entry's details, --json). */
void retention_counts_json(const struct retention_counts *c, char *out, size_t outlen);

#endif
