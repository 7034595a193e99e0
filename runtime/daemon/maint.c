/* maint.c - see maint.h. The configuration:
 *
 *   {"retention": {... retention.h ...},
 *    "backup": {"dir": "/var/backups/soarctl", "schedule": "0 3 * * *",
 *               "tz": "UTC", "keep": 7, "compact": false}}
 *
 * Both parts optional; unknown settings are refused (a typo must not silently
 * keep data forever or never back up). */
#include "maint.h"
#include "daemon.h"
#include "cron.h"
#include "datadir.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static maint_backup_fn backup_fn;

void maint_set_backup(maint_backup_fn fn) { backup_fn = fn; }

struct maint {
	char path[4096];
	int has_retention;
	struct retention_policy pol;
	int has_backup;
	char backup_dir[4096];
	char tz[64];
	struct cron_expr cron;
	int keep, compact;
	struct store *st;
	pthread_t thread;
	int started;
	volatile int stop;
};

static int fail(struct maint *m, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s: %s", m->path, msg);
	return -1;
}

static int load_backup(struct maint *m, const struct json_doc *d, const struct json_node *b,
		       char *err, size_t errlen)
{
	static const char *const keys[] = { "dir", "schedule", "tz", "keep", "compact", NULL };
	char msg[512];
	if (b->type != JSON_OBJECT)
		return fail(m, err, errlen, "backup: an object {\"dir\", \"schedule\", \"keep\"}");
	for (int i = 0; i < b->count; i++) {
		const struct json_node *x = json_at(d, b, i);
		int ok = 0;
		for (const char *const *k = keys; *k; k++)
			ok |= !strcmp(x->key, *k);
		if (!ok) {
			snprintf(msg, sizeof msg, "backup: unknown setting \"%s\"", x->key);
			return fail(m, err, errlen, msg);
		}
	}
	const char *dir = json_text(json_get(d, b, "dir"));
	const char *sched = json_text(json_get(d, b, "schedule"));
	if (!dir || dir[0] != '/' || strlen(dir) >= sizeof m->backup_dir)
		return fail(m, err, errlen, "backup: dir is required, an absolute path");
	snprintf(m->backup_dir, sizeof m->backup_dir, "%s", dir);
	if (!sched)
		return fail(m, err, errlen, "backup: schedule is required (cron, e.g. \"0 3 * * *\")");
	char cerr[256];
	if (cron_parse(sched, &m->cron, cerr, sizeof cerr) != 0) {
		snprintf(msg, sizeof msg, "backup: schedule: %s", cerr);
		return fail(m, err, errlen, msg);
	}
	const char *tz = json_text(json_get(d, b, "tz"));
	snprintf(m->tz, sizeof m->tz, "%s", tz ? tz : "UTC");
	if (!cron_tz_ok(m->tz))
		return fail(m, err, errlen, "backup: tz: not a time zone this system knows");
	double keep = 7;
	const struct json_node *k = json_get(d, b, "keep");
	if (k && (json_number(k, &keep) != 0 || keep < 1 || keep > 10000 || keep != (int)keep))
		return fail(m, err, errlen, "backup: keep is a whole number of backups, 1 or more");
	m->keep = (int)keep;
	const struct json_node *c = json_get(d, b, "compact");
	if (c && c->type != JSON_TRUE && c->type != JSON_FALSE)
		return fail(m, err, errlen, "backup: compact is true or false");
	m->compact = c && c->type == JSON_TRUE;
	m->has_backup = 1;
	return 0;
}

int maint_load(const char *data_dir, struct maint **out, char *err, size_t errlen)
{
	*out = NULL;
	const char *env = getenv("SOARCTL_STORE_CONFIG");
	char path[4096];
	if (env && *env)
		snprintf(path, sizeof path, "%s", env);
	else
		snprintf(path, sizeof path, "%s/store.json", data_dir ? data_dir : ".");
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT && !(env && *env))
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 > cap) {
			char *t = realloc(text, cap = cap * 2 + 8192);
			if (!t)
				break;
			text = t;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
		if (len > (1 << 20))
			break;
	}
	fclose(f);
	struct maint *m = calloc(1, sizeof *m);
	if (!m || !text) {
		free(m);
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(m->path, sizeof m->path, "%s", path);
	struct json_doc d = { 0 };
	char jerr[256];
	int rc = -1;
	if (json_parse(&d, text, len, 16, jerr, sizeof jerr) != 0) {
		fail(m, err, errlen, jerr);
		goto out;
	}
	const struct json_node *root = &d.n[0];
	if (root->type != JSON_OBJECT) {
		fail(m, err, errlen, "the store configuration is a JSON object");
		goto out;
	}
	for (int i = 0; i < root->count; i++) {
		const struct json_node *x = json_at(&d, root, i);
		if (strcmp(x->key, "retention") && strcmp(x->key, "backup")) {
			char msg[300];
			snprintf(msg, sizeof msg, "unknown setting \"%s\" (retention, backup)", x->key);
			fail(m, err, errlen, msg);
			goto out;
		}
	}
	const struct json_node *r = json_get(&d, root, "retention");
	if (r) {
		char perr[512];
		if (retention_parse(r->raw, r->rawlen, &m->pol, perr, sizeof perr) != 0) {
			fail(m, err, errlen, perr);
			goto out;
		}
		m->has_retention = 1;
	}
	const struct json_node *b = json_get(&d, root, "backup");
	if (b && load_backup(m, &d, b, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	json_doc_free(&d);
	free(text);
	if (rc == 0 && (m->has_retention || m->has_backup))
		*out = m;
	else
		free(m);
	return rc;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void do_retention(struct maint *m)
{
	struct retention_counts c = { 0 };
	char err[512];
	int rc = retention_pass(m->st, &m->pol, store_now_ms(), "daemon", &m->stop, &c, err,
				sizeof err);
	if (rc != 0)
		dlog(LOG_WARN, NULL, "retention pass stopped: %s", err);
	if (c.cases || c.runs_compacted || c.edl_entries || c.dedupe_keys) {
		metric_add(M_RETENTION_PASSES, 1);
		metric_add(M_RETENTION_CASES, (int64_t)c.cases);
		metric_add(M_RETENTION_JOURNALS, (int64_t)c.runs_compacted);
		char j[512];
		retention_counts_json(&c, j, sizeof j);
		dlog(LOG_INFO, NULL, "retention pass: %s", j);
	}
}

static void do_backup(struct maint *m)
{
	char made[4400], err[1024];
	if (!backup_fn) {
		dlog(LOG_WARN, NULL, "scheduled backup: this build cannot take backups from the daemon");
		return;
	}
	if (backup_fn(m->st, m->backup_dir, m->keep, m->compact, made, sizeof made, err,
		      sizeof err) != 0) {
		metric_add(M_BACKUP_FAILURES, 1);
		dlog(LOG_ERROR, NULL, "scheduled backup into %s failed: %s", m->backup_dir, err);
		return;
	}
	metric_add(M_BACKUPS, 1);
	dlog(LOG_INFO, NULL, "scheduled backup written to %s (keeping the newest %d)", made, m->keep);
}

static void *maint_main(void *arg)
{
	struct maint *m = arg;
	int64_t next_ret = store_now_ms() + (m->has_retention ? 1000 : 0);
	int64_t next_bk = 0;
	char err[256];
	if (m->has_backup && cron_next(&m->cron, m->tz, (int64_t)time(NULL), &next_bk, err,
				       sizeof err) != 0) {
		dlog(LOG_ERROR, NULL, "scheduled backup: %s", err);
		m->has_backup = 0;
	}
	while (!m->stop) {
		int64_t now = store_now_ms();
		if (m->has_backup && (int64_t)time(NULL) >= next_bk) {
			do_backup(m);
			if (cron_next(&m->cron, m->tz, (int64_t)time(NULL), &next_bk, err, sizeof err))
				m->has_backup = 0;
		}
		if (m->has_retention && now >= next_ret) {
			do_retention(m);
			next_ret = store_now_ms() + m->pol.every_ms;
		}
		sleep_ms(100);
	}
	return NULL;
}

const struct retention_policy *maint_retention(const struct maint *m)
{
	return m && m->has_retention ? &m->pol : NULL;
}

int maint_start(struct maint *m, struct store *st, char *err, size_t errlen)
{
	m->st = st;
	if (pthread_create(&m->thread, NULL, maint_main, m) != 0) {
		snprintf(err, errlen, "cannot start the store upkeep thread");
		return -1;
	}
	m->started = 1;
	if (m->has_retention)
		dlog(LOG_INFO, NULL, "retention: %zu case rule%s%s%s%s, a pass every %.0f s (%s)",
		     m->pol.nrules, m->pol.nrules == 1 ? "" : "s",
		     m->pol.journals_after_ms ? ", journals compacted" : "",
		     m->pol.edl_expired ? ", expired EDL entries" : "",
		     m->pol.dedupe_after_ms ? ", old dedupe keys" : "", m->pol.every_ms / 1000.0, m->path);
	if (m->has_backup)
		dlog(LOG_INFO, NULL, "scheduled backup into %s, keeping %d (%s)", m->backup_dir, m->keep,
		     m->path);
	return 0;
}

void maint_stop(struct maint *m)
{
	if (!m)
		return;
	if (m->started) {
		m->stop = 1;
		pthread_join(m->thread, NULL);
	}
	free(m);
}
