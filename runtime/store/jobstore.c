/* jobstore.c - the records of scheduled jobs (STORE_DB_JOBS, a small JSON object
 * per job name), shared by the daemon, which keeps them up to date, and the CLI,
 * which lists them and pauses, resumes or runs a job while the daemon runs:
 *   {"schedule","tz","overlap","missed","paused","last","next","run_now","running"}
 * last/next/run_now in ms. The daemon writes schedule..running except paused and
 * run_now, which the CLI writes; each write is a read-modify-write of its own
 * fields inside one transaction, so neither side loses the other's. */
#include "jobstore.h"
#include "store_db_int.h"
#include "json.h"
#include "store_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void job_rec_decode(const char *p, size_t n, struct job_rec *r)
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

static int apply_upd(struct store *st, struct store_txn *stx_, void *ctx, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
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
		job_rec_decode(v.mv_data, v.mv_size, &r);
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

int jobs_save(struct store *st, const char *name, const struct job_rec *r, char *err, size_t errlen)
{
	struct upd u = {name, UPD_DAEMON, *r};
	return upd(st, &u, err, errlen);
}

int jobs_read(struct store *st, const char *name, struct job_rec *r)
{
	MDB_txn *txn;
	char err[256];
	memset(r, 0, sizeof *r);
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return -1;
	MDB_val key = {strlen(name), (void *)name}, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_JOBS), &key, &v);
	if (rc == 0)
		job_rec_decode(v.mv_data, v.mv_size, r);
	store_mdb_read_end(st, txn);
	return rc == 0 ? 0 : -1;
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
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *c;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_JOBS), &c);
	if (rc != 0) {
		store_mdb_read_end(st, txn);
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
	store_mdb_read_end(st, txn);
	return 0;
}
