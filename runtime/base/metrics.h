/* metrics.h - the daemon's counters and gauges, written from any thread
 * (relaxed atomics: a counter is never a synchronisation point) and rendered
 * as Prometheus text for GET /metrics. */
#ifndef SOAR_METRICS_H
#define SOAR_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

struct store_buf;

enum metric {
	M_HTTP_REQUESTS,       /* counters */
	M_HTTP_ERRORS,         /* answers >= 400 */
	M_ALERTS_RECEIVED,
	M_ALERTS_DROPPED,      /* by a drop rule */
	M_ALERTS_DEDUPED,      /* duplicates counted on an existing case */
	M_ALERTS_CLOSED,       /* cases created closed by a rule */
	M_CASES_CREATED,
	M_ALERTS_REJECTED,     /* 429: queues full */
	M_RUNS_STARTED,
	M_RUNS_SUCCEEDED,
	M_RUNS_FAILED,
	M_RUNS_WAITING,        /* runs that ended an execution waiting */
	M_RUNS_RESUMED,
	M_JOB_FIRES,
	M_JOB_SKIPPED,         /* overlap policy skip, or a missed run skipped */
	M_EDL_REQUESTS,
	M_PROMPTS_ANSWERED,
	M_RELOADS,
	M_RELOAD_FAILURES,
	M_HTTP_CUT,            /* connections cut: slow heads or bodies, pushed out */
	M_RETENTION_PASSES,    /* retention passes that changed something (maint.c) */
	M_RETENTION_CASES,     /* cases removed by retention */
	M_RETENTION_JOURNALS,  /* run journals compacted by retention */
	M_BACKUPS,             /* scheduled backups written */
	M_BACKUP_FAILURES,     /* scheduled backups that failed */
	M__COUNTERS,
	M_QUEUE_DEPTH = M__COUNTERS, /* gauges */
	M_INFLIGHT_REQUESTS,
	M_CONNECTIONS,
	M_PLAYBOOKS,
	M_JOBS,
	M_STORE_FULL,          /* 1 while the data directory is full (store_watch.c) */
	M_STORE_FREE_BYTES,    /* free space on the data directory's file system */
	M__COUNT
};

void metric_add(enum metric m, int64_t n);
void metric_set(enum metric m, int64_t v);
int64_t metric_get(enum metric m);
/* An answer with status >= 400: counts M_HTTP_ERRORS and the status's own
 * counter, rendered as soarctl_http_errors_total{status="404"}. */
void metric_http_error(unsigned status);
/* Appends the Prometheus text exposition of every metric. */
void metrics_render(struct store_buf *out);

#endif
