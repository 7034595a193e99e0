/* jobs.c - scheduled jobs: playbooks with `schedule`. The loop thread keeps a
 * `struct job` per scheduled playbook; the store keeps a record per job name
 * (STORE_DB_JOBS, a small JSON object) so that the CLI can list next fire times
 * and pause, resume or run a job while the daemon runs:
 *   {"schedule","tz","overlap","missed","paused","last","next","run_now","running"}
 * last/next/run_now in ms. The daemon writes schedule..running except paused and
 * run_now, which the CLI writes; each write is a read-modify-write of its own
 * fields inside one transaction, so neither side loses the other's. */
#include "daemon.h"
#include "json.h"
#include "metrics.h"
#include "store_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct job_rec {
	char schedule[256], tz[64], overlap[8], missed[12];
	int paused, running;
	int64_t last, next, run_now;
};

static void rec_decode(const char *p, size_t n, struct job_rec *r)
{
	memset(r, 0, sizeof *r);
	struct json_doc d;
	if (json_parse(&d, p, n, 0, NULL, 0) == 0) {
		const struct json_node *o = &d.n[0];
		const char *v;
		if ((v = json_text(json_get(&d, o, "schedule"))))
			snprintf(r->schedule, sizeof r->schedule, "%s", v);
		if ((v = json_text(json_get(&d, o, "tz"))))
			snprintf(r->tz, sizeof r->tz, "%s", v);
		if ((v = json_text(json_get(&d, o, "overlap"))))
			snprintf(r->overlap, sizeof r->overlap, "%s", v);
		if ((v = json_text(json_get(&d, o, "missed"))))
			snprintf(r->missed, sizeof r->missed, "%s", v);
		if ((v = json_text(json_get(&d, o, "paused"))))
			r->paused = strcmp(v, "true") == 0;
		if ((v = json_text(json_get(&d, o, "running"))))
			r->running = atoi(v);
		if ((v = json_text(json_get(&d, o, "last"))))
			r->last = strtoll(v, NULL, 10);
		if ((v = json_text(json_get(&d, o, "next"))))
			r->next = strtoll(v, NULL, 10);
		if ((v = json_text(json_get(&d, o, "run_now"))))
			r->run_now = strtoll(v, NULL, 10);
	}
	json_doc_free(&d);
}

static void rec_encode(const char *name, const struct job_rec *r, struct store_buf *b)
{
	store_buf_str(b, "{\"name\":");
	store_buf_json(b, name);
	store_buf_str(b, ",\"schedule\":");
	store_buf_json(b, r->schedule);
	store_buf_str(b, ",\"tz\":");
	store_buf_json(b, r->tz[0] ? r->tz : "UTC");
	store_buf_printf(b, ",\"overlap\":\"%s\",\"missed\":\"%s\",\"paused\":%s,\"running\":%d,"
			 "\"last\":%lld,\"next\":%lld,\"run_now\":%lld}",
			 r->overlap[0] ? r->overlap : "skip", r->missed[0] ? r->missed : "run_once",
			 r->paused ? "true" : "false", r->running, (long long)r->last,
			 (long long)r->next, (long long)r->run_now);
}

enum { UPD_DAEMON = 1, UPD_PAUSE = 2, UPD_RUN_NOW = 4, UPD_MUST_EXIST = 8 };

struct upd {
	const char *name;
	unsigned what;
	struct job_rec in;        /* fields to set */
};

static int apply_upd(struct store *st, MDB_txn *txn, void *ctx, char *err, size_t errlen)
{
	struct upd *u = ctx;
	MDB_dbi dbi = store_dbi(st, STORE_DB_JOBS);
	MDB_val k = {strlen(u->name), (void *)u->name}, v;
	struct job_rec r;
	int rc = mdb_get(txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND) {
		if (u->what & UPD_MUST_EXIST) {
			snprintf(err, errlen, "no job %s (a playbook with a schedule, seen by a running "
				 "`soarctl serve`)", u->name);
			return STORE_REFUSED;
		}
		memset(&r, 0, sizeof r);
	} else if (rc != 0) {
		return rc;
	} else {
		rec_decode(v.mv_data, v.mv_size, &r);
	}
	if (u->what & UPD_DAEMON) {
		int paused = r.paused;
		int64_t run_now = r.run_now;
		r = u->in;
		r.paused = paused;
		r.run_now = run_now;
	}
	if (u->what & UPD_PAUSE)
		r.paused = u->in.paused;
	if (u->what & UPD_RUN_NOW)
		r.run_now = u->in.run_now;
	struct store_buf b = {0};
	rec_encode(u->name, &r, &b);
	if (b.oom) {
		store_buf_free(&b);
		return ENOMEM;
	}
	MDB_val nv = {b.len, b.p};
	rc = mdb_put(txn, dbi, &k, &nv, 0);
	store_buf_free(&b);
	return rc;
}

static int upd(struct store *st, struct upd *u, char *err, size_t errlen)
{
	return store_write(st, apply_upd, u, err, errlen);
}

int jobs_set_paused(struct store *st, const char *name, int paused, char *err, size_t errlen)
{
	struct upd u = {name, UPD_PAUSE | UPD_MUST_EXIST, {.paused = paused}};
	return upd(st, &u, err, errlen);
}

int jobs_request_run(struct store *st, const char *name, char *err, size_t errlen)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct upd u = {name, UPD_RUN_NOW | UPD_MUST_EXIST,
			{.run_now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000}};
	return upd(st, &u, err, errlen);
}

int jobs_list_json(struct store *st, struct store_buf *out, int array, char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *c;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_JOBS), &c);
	if (rc != 0) {
		store_read_end(st, txn);
		store_error(st, rc, "reading jobs", err, errlen);
		return -1;
	}
	MDB_val k, v;
	int n = 0;
	if (array)
		store_buf_str(out, "[");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (array && n)
			store_buf_str(out, ",");
		store_buf_add(out, v.mv_data, v.mv_size);
		if (!array)
			store_buf_str(out, "\n");
		n++;
	}
	if (array)
		store_buf_str(out, "]");
	mdb_cursor_close(c);
	store_read_end(st, txn);
	return 0;
}

/* ---- the loop's side ---- */

static void save(struct daemon *d, struct job *j)
{
	struct upd u;
	memset(&u, 0, sizeof u);
	u.name = j->name;
	u.what = UPD_DAEMON;
	const struct pb_meta *pb = j->pb;
	snprintf(u.in.schedule, sizeof u.in.schedule, "%s", pb->schedule);
	snprintf(u.in.tz, sizeof u.in.tz, "%s", pb->tz ? pb->tz : "UTC");
	snprintf(u.in.overlap, sizeof u.in.overlap, "%s",
		 pb->overlap == OVERLAP_QUEUE ? "queue" : pb->overlap == OVERLAP_ALLOW ? "allow" : "skip");
	snprintf(u.in.missed, sizeof u.in.missed, "%s", pb->missed == MISSED_SKIP ? "skip" : "run_once");
	u.in.last = j->last * 1000;
	u.in.next = j->next * 1000;
	u.in.running = j->running;
	char err[256];
	if (upd(d->st, &u, err, sizeof err) != 0)
		dlog(LOG_WARN, NULL, "job %s: cannot save its record: %s", j->name, err);
}

static int64_t next_after(const struct job *j, int64_t t)
{
	int64_t n;
	char err[128];
	if (cron_next(&j->pb->cron, j->pb->tz, t, &n, err, sizeof err) != 0)
		return 0;
	return n;
}

static void fire(struct daemon *d, struct job *j, const char *why)
{
	if (j->running && j->pb->overlap == OVERLAP_SKIP) {
		dlog(LOG_INFO, NULL, "job %s: %s fire skipped, a run is still going (overlap = skip)",
		     j->name, why);
		metric_add(M_JOB_SKIPPED, 1);
		return;
	}
	if (j->running && j->pb->overlap == OVERLAP_QUEUE) {
		j->queued = 1;
		return;
	}
	if (daemon_start_playbook(d, j->pb, NULL, NULL, j->name) != 0) {
		dlog(LOG_WARN, NULL, "job %s: queue full, fire skipped", j->name);
		metric_add(M_JOB_SKIPPED, 1);
		return;
	}
	j->running++;
	metric_add(M_JOB_FIRES, 1);
	dlog(LOG_INFO, NULL, "job %s: fired (%s)", j->name, why);
}

int jobs_rebuild(struct daemon *d, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	int64_t now = (int64_t)time(NULL);
	int n = 0;
	for (int i = 0; i < d->set->n; i++)
		n += d->set->pb[i].schedule != NULL;
	struct job *jobs = calloc((size_t)n + 1, sizeof *jobs);
	int k = 0, first = d->jobs == NULL;
	for (int i = 0; i < d->set->n; i++) {
		const struct pb_meta *pb = &d->set->pb[i];
		if (!pb->schedule)
			continue;
		struct job *j = &jobs[k++];
		snprintf(j->name, sizeof j->name, "%s", pb->name);
		j->pb = pb;
		for (int o = 0; o < d->njobs; o++) /* a reload keeps what is running */
			if (strcmp(d->jobs[o].name, j->name) == 0) {
				j->running = d->jobs[o].running;
				j->queued = d->jobs[o].queued;
				j->last = d->jobs[o].last;
				j->run_now_seen = d->jobs[o].run_now_seen;
			}
		/* The stored record: when did it last fire (missed runs), pause state. */
		MDB_txn *txn;
		char e2[256];
		struct job_rec r;
		memset(&r, 0, sizeof r);
		if (store_read_begin(d->st, &txn, e2, sizeof e2) == 0) {
			MDB_val key = {strlen(j->name), j->name}, v;
			if (mdb_get(txn, store_dbi(d->st, STORE_DB_JOBS), &key, &v) == 0)
				rec_decode(v.mv_data, v.mv_size, &r);
			store_read_end(d->st, txn);
		}
		j->paused = r.paused;
		if (first) {
			j->run_now_seen = r.run_now;
			j->last = r.last / 1000;
		}
		j->next = next_after(j, now);
		if (first && j->last > 0 && !j->paused) {
			/* Missed: a fire due after the last one and before now. Grace is
			 * about the latest of them (down for two days, an hourly job with
			 * an hour's grace still runs once): is one due in the last
			 * grace_s seconds? */
			int64_t missed = next_after(j, j->last);
			int64_t from = now - pb->grace_s - 1 > j->last ? now - pb->grace_s - 1 : j->last;
			int64_t recent = next_after(j, from);
			if (missed && missed <= now) {
				if (pb->missed == MISSED_RUN_ONCE && recent && recent <= now) {
					j->last = now;
					fire(d, j, "missed while the daemon was down");
				} else {
					dlog(LOG_INFO, NULL, "job %s: missed fire skipped (policy or grace)",
					     j->name);
					metric_add(M_JOB_SKIPPED, 1);
				}
			}
		}
		save(d, j);
	}
	free(d->jobs);
	d->jobs = jobs;
	d->njobs = k;
	metric_set(M_JOBS, k);
	return 0;
}

void jobs_tick(struct daemon *d, int64_t now_ms)
{
	int64_t now = now_ms / 1000;
	static int64_t last_poll;
	int poll = now_ms - last_poll >= 1000;
	MDB_txn *txn = NULL;
	char err[256];
	if (poll) {
		last_poll = now_ms;
		if (store_read_begin(d->st, &txn, err, sizeof err) != 0)
			txn = NULL;
	}
	for (int i = 0; i < d->njobs; i++) {
		struct job *j = &d->jobs[i];
		int changed = 0;
		if (txn) {
			MDB_val key = {strlen(j->name), j->name}, v;
			struct job_rec r;
			if (mdb_get(txn, store_dbi(d->st, STORE_DB_JOBS), &key, &v) == 0) {
				rec_decode(v.mv_data, v.mv_size, &r);
				j->paused = r.paused;
				if (r.run_now > j->run_now_seen) {
					j->run_now_seen = r.run_now;
					fire(d, j, "run now");
					changed = 1;
				}
			}
		}
		if (j->next && j->next <= now) {
			if (!j->paused) {
				j->last = now;
				fire(d, j, "schedule");
			}
			j->next = next_after(j, now);
			changed = 1;
		}
		j->dirty_ = changed;
	}
	/* Writes only after the read transaction ends (store.h: never wait for a
	 * write while holding one). */
	if (txn)
		store_read_end(d->st, txn);
	for (int i = 0; i < d->njobs; i++)
		if (d->jobs[i].dirty_) {
			d->jobs[i].dirty_ = 0;
			save(d, &d->jobs[i]);
		}
}

void jobs_run_done(struct daemon *d, const char *name, int status)
{
	(void)status;
	for (int i = 0; i < d->njobs; i++) {
		struct job *j = &d->jobs[i];
		if (strcmp(j->name, name) != 0)
			continue;
		if (j->running)
			j->running--;
		if (j->queued && !j->running) {
			j->queued = 0;
			fire(d, j, "queued");
		}
		save(d, j);
	}
}

int jobs_fire_now(struct daemon *d, const char *name, char *err, size_t errlen)
{
	for (int i = 0; i < d->njobs; i++)
		if (strcmp(d->jobs[i].name, name) == 0) {
			fire(d, &d->jobs[i], "API");
			return 0;
		}
	snprintf(err, errlen, "no job %s", name);
	return 1;
}
