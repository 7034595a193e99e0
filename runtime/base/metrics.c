/* metrics.c - see metrics.h. */
#include "metrics.h"
#include "store_buf.h"

static _Atomic int64_t values[M__COUNT];

static const struct {
	const char *name, *help;
} info[M__COUNT] = {
	[M_HTTP_REQUESTS] = {"soarctl_http_requests_total", "HTTP requests handled"},
	[M_HTTP_ERRORS] = {"soarctl_http_errors_total", "HTTP answers with a status of 400 or more"},
	[M_ALERTS_RECEIVED] = {"soarctl_alerts_received_total", "alerts posted"},
	[M_ALERTS_DROPPED] = {"soarctl_alerts_dropped_total", "alerts dropped by a pre-processing rule"},
	[M_ALERTS_DEDUPED] = {"soarctl_alerts_deduplicated_total", "alerts counted as duplicates of an existing case"},
	[M_ALERTS_CLOSED] = {"soarctl_alerts_closed_total", "alerts whose case a rule closed at once"},
	[M_CASES_CREATED] = {"soarctl_cases_created_total", "cases created from alerts"},
	[M_ALERTS_REJECTED] = {"soarctl_alerts_rejected_total", "alerts refused with 429 (queues full)"},
	[M_RUNS_STARTED] = {"soarctl_runs_started_total", "playbook runs started"},
	[M_RUNS_SUCCEEDED] = {"soarctl_runs_succeeded_total", "runs that succeeded"},
	[M_RUNS_FAILED] = {"soarctl_runs_failed_total", "runs that failed"},
	[M_RUNS_WAITING] = {"soarctl_runs_waiting_total", "executions that ended with the run waiting"},
	[M_RUNS_RESUMED] = {"soarctl_runs_resumed_total", "waiting runs resumed"},
	[M_JOB_FIRES] = {"soarctl_job_fires_total", "scheduled job fires that started a run"},
	[M_JOB_SKIPPED] = {"soarctl_job_skipped_total", "job fires skipped (overlap or missed-run policy)"},
	[M_EDL_REQUESTS] = {"soarctl_edl_requests_total", "EDL fetches"},
	[M_PROMPTS_ANSWERED] = {"soarctl_prompts_answered_total", "prompts answered over HTTP"},
	[M_RELOADS] = {"soarctl_reloads_total", "playbook reloads (SIGHUP)"},
	[M_RELOAD_FAILURES] = {"soarctl_reload_failures_total", "reloads that kept the old playbooks"},
	[M_HTTP_CUT] = {"soarctl_http_connections_cut_total", "connections cut for slowness (head or body past its deadline, or the oldest waiting head pushed out)"},
	[M_RETENTION_PASSES] = {"soarctl_retention_passes_total", "retention passes that removed or compacted something"},
	[M_RETENTION_CASES] = {"soarctl_retention_cases_removed_total", "cases removed by the retention policy"},
	[M_RETENTION_JOURNALS] = {"soarctl_retention_journals_compacted_total", "finished runs whose journal retention compacted"},
	[M_BACKUPS] = {"soarctl_backups_total", "scheduled backups written"},
	[M_BACKUP_FAILURES] = {"soarctl_backup_failures_total", "scheduled backups that failed"},
	[M_QUEUE_DEPTH] = {"soarctl_work_queue_depth", "tasks waiting for a worker"},
	[M_INFLIGHT_REQUESTS] = {"soarctl_http_inflight_requests", "requests waiting for durability"},
	[M_CONNECTIONS] = {"soarctl_http_connections", "open HTTP connections"},
	[M_PLAYBOOKS] = {"soarctl_playbooks", "playbooks loaded"},
	[M_JOBS] = {"soarctl_jobs", "scheduled jobs"},
	[M_STORE_FULL] = {"soarctl_store_full", "1 while the data directory is full: writes are answered 507"},
	[M_STORE_FREE_BYTES] = {"soarctl_store_free_bytes", "free bytes on the data directory's file system"},
};

/* Errors by status, 400..599 (others count in the total only). */
static _Atomic int64_t by_status[200];

void metric_http_error(unsigned status)
{
	metric_add(M_HTTP_ERRORS, 1);
	if (status >= 400 && status < 600)
		atomic_fetch_add_explicit(&by_status[status - 400], 1, memory_order_relaxed);
}

void metric_add(enum metric m, int64_t n)
{
	atomic_fetch_add_explicit(&values[m], n, memory_order_relaxed);
}

void metric_set(enum metric m, int64_t v)
{
	atomic_store_explicit(&values[m], v, memory_order_relaxed);
}

int64_t metric_get(enum metric m)
{
	return atomic_load_explicit(&values[m], memory_order_relaxed);
}

void metrics_render(struct store_buf *out)
{
	for (int m = 0; m < M__COUNT; m++) {
		const char *type = m < M__COUNTERS ? "counter" : "gauge";
		if (m == M_HTTP_ERRORS && metric_get(M_HTTP_ERRORS)) {
			/* one sample per status seen; the total is their sum */
			store_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", info[m].name,
					 info[m].help, info[m].name);
			for (int i = 0; i < 200; i++) {
				int64_t v = atomic_load_explicit(&by_status[i], memory_order_relaxed);
				if (v)
					store_buf_printf(out, "%s{status=\"%d\"} %lld\n", info[m].name,
							 400 + i, (long long)v);
			}
			continue;
		}
		store_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", info[m].name,
				 info[m].help, info[m].name, type, info[m].name,
				 (long long)metric_get((enum metric)m));
	}
}
