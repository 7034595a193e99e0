/* sla_watch.h - SLA escalations: what to do when a case's or a task's SLA is
 * breached, and the durable marker that it was done (once, across restarts).
 *
 * Kept in the store's "meta" database under keys starting "sla/" (no new
 * database, so stores and backups of earlier versions still open read-only):
 *   "sla/c/" case seq u64 BE                      -> {"on_breach":{...},"fired":ms}
 *   "sla/t/" case seq u64 BE, run id, "/", path  -> {"owner","role","due","done",
 *                                                     "ok","on_breach","fired"}
 * (case seq 0: a task of a run without a case). `on_breach` is the JSON object
 * a playbook declared (docs/lua-api.md "SLA escalation"); the daemon reads the
 * watches every second and acts (daemon/sla_escalate.c). */
#ifndef SOAR_SLA_WATCH_H
#define SOAR_SLA_WATCH_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct sla_watch {
	int task;                 /* 0 a case's SLA, 1 a task's */
	uint64_t case_seq;        /* 0: a task of a run without a case */
	char run[37];             /* tasks */
	char path[256];           /* tasks: "outer/inner" */
	char owner[128], role[128];
	int64_t due;              /* tasks: ms; cases: read the case (pauses) */
	int64_t done;             /* tasks: when it ended, else 0 */
	int ok;                   /* tasks: it ended without an error */
	int64_t fired;            /* when the escalation ran, else 0 */
	char *on_breach;          /* JSON object, or NULL (a task SLA shown only) */
};
void sla_watch_free(struct sla_watch *w, size_t n);   /* and the array */

/* Declares (replaces) the escalation of case `seq`; keeps `fired`. */
int sla_watch_case(struct store *st, uint64_t seq, const char *on_breach_json, char *err,
		   size_t errlen);
/* Records a task with an SLA (on_breach may be NULL); replaces a record of the
 * same run and path but keeps `fired`. */
int sla_watch_task(struct store *st, const struct sla_watch *w, char *err, size_t errlen);
/* The task ended (ok or not): no escalation after this. */
int sla_task_done(struct store *st, uint64_t case_seq, const char *run, const char *path, int ok,
		  char *err, size_t errlen);
/* Watches: of one case (case_seq != 0; tasks_only: its tasks), or all (0).
 * *out malloc'd (sla_watch_free). */
int sla_watch_list(struct store *st, uint64_t case_seq, int tasks_only, struct sla_watch **out,
		   size_t *n, char *err, size_t errlen);
/* Marks the escalation of `w` fired at `now`, unless it already was: 1 when
 * this call marked it (the caller acts), 0 when it was fired before, -1 error.
 * One transaction: two sweeps (or two daemons) cannot both get 1. */
int sla_claim(struct store *st, const struct sla_watch *w, int64_t now, char *err, size_t errlen);

/* Appends `,"task_slas":[...],"sla_escalation":{...}|null` for case `seq`:
 * each task SLA {"task","run","owner","role","due","done","breached",
 * "escalated"} (breached: ended after its due time, or still going past it)
 * and the case's declared escalation {"on_breach","fired"}. The caller puts
 * it inside the case's JSON object. */
struct store_buf;
void sla_case_json(struct store *st, uint64_t seq, int64_t now, struct store_buf *out);

#endif
