/* test_retention.c - retention leaves exactly what the policy keeps, with a
 * clock the test controls (retention_pass takes `now`): cases made before T
 * are "old" for a pass at T + 10 days, cases made after T are not. Checked:
 * which cases remain (by number), their timelines, links and indicator links
 * and attachments of removed cases gone (a blob shared with a kept case
 * stays), finished runs' journals compacted to a summary (a waiting run's and a
 * newer run's untouched), expired EDL entries removed, old dedupe keys
 * released (a new alert with the key opens a new case); the pass worked in
 * several batches, was audited with its counts, the audit chain verifies, the
 * store checks clean, and a second pass changes nothing and audits nothing.
 * Also the policy parser's refusals. */
#include "check.h"

#include "audit.h"
#include "blob.h"
#include "case.h"
#include "edl.h"
#include "indicator.h"
#include "retention.h"
#include "runstore.h"
#include "store.h"
#include "store_check.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char err[1024];
static struct store *st;

static uint64_t make_case(const char *type, const char *sev, const char *status, const char *dkey)
{
	struct case_fields f;
	case_fields_init(&f);
	CHECK(case_fields_set(&f, "title", "t", err, sizeof err) == 0);
	CHECK(case_fields_set(&f, "type", type, err, sizeof err) == 0);
	CHECK(case_fields_set(&f, "severity", sev, err, sizeof err) == 0);
	if (dkey)
		CHECK(case_fields_set(&f, "dedupe_key", dkey, err, sizeof err) == 0);
	struct case_rec c;
	int deduped = 0;
	CHECK(case_create(st, &f, "test", &c, &deduped, err, sizeof err) == 0);
	uint64_t seq = c.seq;
	case_rec_free(&c);
	case_fields_free(&f);
	if (status) {
		char ref[32];
		snprintf(ref, sizeof ref, "%llu", (unsigned long long)seq);
		if (!strcmp(status, "closed")) {
			CHECK(case_close(st, ref, "done", "test", NULL, err, sizeof err) == 0);
		} else {
			case_fields_init(&f);
			CHECK(case_fields_set(&f, "status", status, err, sizeof err) == 0);
			CHECK(case_update(st, ref, &f, "test", NULL, err, sizeof err) == 0);
			case_fields_free(&f);
		}
	}
	return seq;
}

static int exists(uint64_t seq)
{
	char ref[32];
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)seq);
	struct case_rec c;
	int rc = case_get(st, ref, &c, err, sizeof err);
	if (rc == 0)
		case_rec_free(&c);
	return rc == 0;
}

static void make_run(const char *id_out, int status, int steps)
{
	struct run_rec r;
	memset(&r, 0, sizeof r);
	memcpy(r.id, id_out, 37);
	r.playbook = "pb";
	r.status = RUN_RUNNING;
	r.created = r.updated = store_now_ms();
	for (int i = 1; i <= steps; i++) {
		struct journal_entry je;
		memset(&je, 0, sizeof je);
		je.no = (uint32_t)i;
		je.name = i == 1 ? "case.get" : "http.get";
		je.result_json = "[1]";
		je.started = store_now_ms();
		je.duration_us = 1500;
		r.steps = (uint32_t)i;
		CHECK(run_save(st, &r, &je, NULL, err, sizeof err) == 0);
	}
	r.status = status;
	if (status != RUN_WAITING) {
		r.result_json = "{\"ok\":true}";
		r.finished = store_now_ms();
	} else {
		r.wait_kind = "sleep";
		r.wait_until = store_now_ms() + 86400000LL * 365;
	}
	CHECK(run_save(st, &r, NULL, NULL, err, sizeof err) == 0);
}

static size_t journal_len(const char *id)
{
	struct journal_entry *e = NULL;
	size_t n = 0;
	CHECK(journal_load(st, id, &e, &n, err, sizeof err) == 0);
	journal_entries_free(e, n);
	return n;
}

static int count_retention_audits(const struct audit_entry *e, void *ud)
{
	if (e->action_len == 15 && !memcmp(e->action, "store.retention", 15)) {
		(*(int *)ud)++;
		if (e->details_len < 512) {
			char d[512];
			memcpy(d, e->details, e->details_len);
			d[e->details_len] = 0;
			CHECK(strstr(d, "\"cases\":5,") != NULL);
			CHECK(strstr(d, "\"runs_compacted\":2,") != NULL);
			CHECK(strstr(d, "\"edl_entries\":1,") != NULL);
			CHECK(strstr(d, "\"dedupe_keys\":1,") != NULL);
		}
	}
	return 0;
}

static void test_parse(void)
{
	struct retention_policy p;
	const char *good = "{\"cases\":[{\"type\":\"connection\",\"status\":\"closed\",\"older_than\":\"30d\"},"
			   "{\"severity\":\"low\",\"older_than\":7776000}],\"journals_after\":\"7d\","
			   "\"edl_expired\":true,\"dedupe_keys_after\":\"12h\",\"batch\":50,\"every\":\"30s\"}";
	CHECK(retention_parse(good, strlen(good), &p, err, sizeof err) == 0);
	CHECK(p.nrules == 2 && p.rules[0].status == CASE_CLOSED && p.rules[1].severity == CASE_SEV_LOW);
	CHECK(p.rules[0].older_than_ms == 30 * 86400000LL && p.rules[1].older_than_ms == 7776000000LL);
	CHECK(p.journals_after_ms == 7 * 86400000LL && p.dedupe_after_ms == 12 * 3600000LL);
	CHECK(p.edl_expired == 1 && p.batch == 50 && p.every_ms == 30000);
	static const struct { const char *json, *says; } bad[] = {
		{ "{\"cases\":[{\"type\":\"x\"}]}", "older_than is required" },
		{ "{\"cases\":[{\"severity\":\"huge\",\"older_than\":1}]}", "severity is low" },
		{ "{\"cases\":[{\"status\":\"gone\",\"older_than\":1}]}", "status is new" },
		{ "{\"cases\":[{\"older_than\":\"3 weeks\"}]}", "a duration is" },
		{ "{\"cases\":[{\"older_than\":1,\"colour\":1}]}", "unknown setting \"colour\"" },
		{ "{\"journal_after\":\"7d\"}", "unknown setting \"journal_after\"" },
		{ "{\"batch\":0}", "batch is a whole number" },
		{ "{\"edl_expired\":1}", "edl_expired is true or false" },
		{ "[]", "is a JSON object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		CHECK(retention_parse(bad[i].json, strlen(bad[i].json), &p, err, sizeof err) == -1);
		if (!strstr(err, bad[i].says)) {
			CHECK(!"the refusal names the problem");
			fprintf(stderr, "  %s -> %s (want %s)\n", bad[i].json, err, bad[i].says);
		}
	}
}

int main(void)
{
	char dir[256], cmd[600];
	snprintf(dir, sizeof dir, "/tmp/test_retention.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		return 1;
	test_parse();
	st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return CHECK_DONE();

	/* Old cases (before T). */
	uint64_t o_conn_closed1 = make_case("connection", "medium", "closed", NULL);   /* rule 1 */
	uint64_t o_conn_closed2 = make_case("connection", "high", "closed", NULL);     /* rule 1 */
	uint64_t o_conn_open = make_case("connection", "medium", "active", NULL);      /* kept */
	uint64_t o_low_open = make_case("phishing", "low", NULL, NULL);                /* rule 2 */
	uint64_t o_low_closed = make_case("malware", "low", "closed", NULL);           /* rule 2 */
	uint64_t o_crit = make_case("malware", "critical", "closed", NULL);            /* kept */
	uint64_t o_dedupe = make_case("phishing", "high", NULL, "mail:old");           /* key released */
	uint64_t o_linked = make_case("connection", "low", "closed", NULL);            /* rules 1+2 */
	/* removed case linked to a kept one, with an indicator and an attachment shared
	 * with a kept case, and one of its own */
	char r_old[32], r_keep[32], hex_shared[65], hex_own[65];
	snprintf(r_old, sizeof r_old, "%llu", (unsigned long long)o_linked);
	snprintf(r_keep, sizeof r_keep, "%llu", (unsigned long long)o_crit);
	CHECK(case_link(st, r_old, r_keep, "related", "test", err, sizeof err) == 0);
	CHECK(case_attach(st, r_old, "a.txt", "shared bytes", 12, "test", hex_shared, err, sizeof err) == 0);
	CHECK(case_attach(st, r_keep, "a.txt", "shared bytes", 12, "test", hex_shared, err, sizeof err) == 0);
	CHECK(case_attach(st, r_old, "b.txt", "own bytes", 9, "test", hex_own, err, sizeof err) == 0);
	struct indicator_update u;
	indicator_update_init(&u);
	u.case_ref = r_old;
	CHECK(indicator_set(st, indicator_type_parse("ipv4"), "192.0.2.1", &u, NULL, err, sizeof err) == 0);
	/* runs: two finished (compacted), one waiting (never) */
	char run_a[37], run_b[37], run_w[37], run_new[37];
	uuid_v7(run_a), uuid_v7(run_b), uuid_v7(run_w), uuid_v7(run_new);
	make_run(run_a, RUN_SUCCEEDED, 3);
	make_run(run_b, RUN_FAILED, 2);
	make_run(run_w, RUN_WAITING, 2);
	/* EDL: one expired at T + 10 d, one later, one never */
	int64_t t0 = store_now_ms();
	struct edl_add_opts eo = { 0 };
	int added;
	eo.expires_ms = t0 + 86400000LL;
	CHECK(edl_add(st, "blocked", "198.51.100.1", &eo, &added, err, sizeof err) == 0);
	eo.expires_ms = t0 + 86400000LL * 30;
	CHECK(edl_add(st, "blocked", "198.51.100.2", &eo, &added, err, sizeof err) == 0);
	eo.expires_ms = 0;
	CHECK(edl_add(st, "blocked", "198.51.100.3", &eo, &added, err, sizeof err) == 0);

	struct timespec ms20 = { 0, 20000000 };
	nanosleep(&ms20, NULL);
	int64_t T = store_now_ms();
	nanosleep(&ms20, NULL);

	/* New cases (after T): the same kinds, all kept. */
	uint64_t n_conn_closed = make_case("connection", "medium", "closed", NULL);
	uint64_t n_low = make_case("phishing", "low", NULL, NULL);
	uint64_t n_dedupe = make_case("phishing", "high", NULL, "mail:new");
	make_run(run_new, RUN_SUCCEEDED, 2);

	struct retention_policy p;
	const char *pol = "{\"cases\":[{\"type\":\"connection\",\"status\":\"closed\",\"older_than\":\"10d\"},"
			  "{\"severity\":\"low\",\"older_than\":\"10d\"}],\"journals_after\":\"10d\","
			  "\"edl_expired\":true,\"dedupe_keys_after\":\"10d\",\"batch\":2,\"pause\":0}";
	CHECK(retention_parse(pol, strlen(pol), &p, err, sizeof err) == 0);
	struct retention_counts c = { 0 };
	int64_t now = T + 10 * 86400000LL;
	err[0] = 0;
	CHECK(retention_pass(st, &p, now, "test", NULL, &c, err, sizeof err) == 0);
	if (err[0])
		fprintf(stderr, "  pass: %s\n", err);

	CHECK(c.cases == 5);
	CHECK(!exists(o_conn_closed1) && !exists(o_conn_closed2) && !exists(o_low_open) &&
	      !exists(o_low_closed) && !exists(o_linked));
	CHECK(exists(o_conn_open) && exists(o_crit) && exists(o_dedupe));
	CHECK(exists(n_conn_closed) && exists(n_low) && exists(n_dedupe));
	CHECK(c.batches >= 3); /* 5 cases in batches of 2, then the rest */
	/* the kept case's link and the indicator's link to the removed case are gone */
	uint64_t *rel = NULL;
	size_t nrel = 9;
	CHECK(case_related(st, r_keep, &rel, &nrel, err, sizeof err) == 0 && nrel == 0);
	free(rel);
	struct indicator ind;
	CHECK(indicator_get(st, indicator_type_parse("ipv4"), "192.0.2.1", &ind, err, sizeof err) == 0);
	CHECK(ind.ncases == 0);
	indicator_free(&ind);
	void *data = NULL;
	size_t len = 0;
	CHECK(blob_get(st, hex_shared, &data, &len, NULL, err, sizeof err) == 0 && len == 12);
	free(data);
	data = NULL;
	CHECK(blob_get(st, hex_own, &data, &len, NULL, err, sizeof err) == 1);
	free(data);

	/* journals: the two old finished runs compacted, the waiting and new ones not */
	CHECK(c.runs_compacted == 2 && c.journal_entries == 5);
	CHECK(journal_len(run_a) == 0 && journal_len(run_b) == 0);
	CHECK(journal_len(run_w) == 2 && journal_len(run_new) == 2);
	struct run_rec r;
	CHECK(run_get(st, run_a, &r, err, sizeof err) == 0);
	CHECK(r.summary && strstr(r.summary, "\"steps\":3,") && strstr(r.summary, "\"case.get\":1") &&
	      strstr(r.summary, "\"http.get\":2"));
	CHECK(r.result_json && !strcmp(r.result_json, "{\"ok\":true}") && r.status == RUN_SUCCEEDED);
	run_rec_free(&r);

	/* EDL: only the entry expired at `now` */
	CHECK(c.edl_entries == 1);
	struct edl_entry e;
	int has = 0;
	CHECK(edl_has(st, "blocked", "198.51.100.2", &has, &e, err, sizeof err) == 0 && has);
	CHECK(edl_has(st, "blocked", "198.51.100.3", &has, &e, err, sizeof err) == 0 && has);

	/* dedupe: the old case's key released (a new case with it is new), the new one's kept */
	CHECK(c.dedupe_keys == 1);
	uint64_t again = make_case("phishing", "high", NULL, "mail:old");
	CHECK(again != o_dedupe);
	uint64_t same = make_case("phishing", "high", NULL, "mail:new");
	CHECK(same == n_dedupe);

	struct store_check_report rep;
	int chk = store_check(st, &rep, err, sizeof err);
	CHECK(chk == 0);
	for (size_t i = 0; chk && i < rep.kept; i++)
		fprintf(stderr, "  check: %s\n", rep.problem[i]);
	struct audit_report ar;
	CHECK(audit_verify(st, NULL, &ar, err, sizeof err) == 0);
	int audits = 0;
	CHECK(audit_list(st, 1, 0, count_retention_audits, &audits, err, sizeof err) == 0);
	CHECK(audits == 1);

	/* A second pass at the same time: nothing left to do, nothing audited. */
	struct retention_counts c2 = { 0 };
	CHECK(retention_pass(st, &p, now, "test", NULL, &c2, err, sizeof err) == 0);
	CHECK(c2.cases == 0 && c2.runs_compacted == 0 && c2.edl_entries == 0 && c2.dedupe_keys == 0);
	audits = 0;
	CHECK(audit_list(st, 1, 0, count_retention_audits, &audits, err, sizeof err) == 0);
	CHECK(audits == 1);

	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return CHECK_DONE();
}
