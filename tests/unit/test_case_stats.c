/* test_case_stats.c - counts and histograms from the case indexes
 * (store/case_stats.h) equal what the records say: across several pages of
 * one index key's duplicates, for a key holding a single case, at range
 * edges, after status changes. */
#include "case.h"
#include "case_stats.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 700   /* > 2 pages of one key's 16-byte duplicates */

static char dir[256];
static char err[512];

static struct store *open_fresh(void)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_case_stats.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		return NULL;
	return store_open(dir, NULL, err, sizeof err);
}

static int64_t created[N + 2];
static int sev_of[N + 2];

int main(void)
{
	struct store *st = open_fresh();
	CHECK(st != NULL);
	if (!st)
		return CHECK_DONE();
	static const char *const types[] = { "phishing", "malware", "identity" };
	uint64_t want_sev[5] = {0}, want_type[3] = {0};
	for (int i = 1; i <= N + 1; i++) {
		struct case_fields f;
		case_fields_init(&f);
		char sev[4];
		int s = i % 7 == 0 ? 4 : i % 3 + 1;
		snprintf(sev, sizeof sev, "%d", s);
		case_fields_set(&f, "title", "t", err, sizeof err);
		case_fields_set(&f, "type", i == N + 1 ? "solo" : types[i % 3], err, sizeof err);
		case_fields_set(&f, "severity", case_severity_name(s), err, sizeof err);
		struct case_rec c;
		int rc = case_create(st, &f, "test", &c, NULL, err, sizeof err);
		CHECK(rc == 0);
		case_fields_free(&f);
		if (rc)
			break;
		created[i] = c.created;
		sev_of[i] = s;
		want_sev[s]++;
		if (i != N + 1)
			want_type[i % 3]++;
		case_rec_free(&c);
		(void)sev;
	}
	uint64_t n = 0;
	char v[8];
	CHECK(case_stat_count(st, CASE_STAT_ALL, NULL, &n, err, sizeof err) == 0 && n == N + 1);
	for (int s = 1; s <= 4; s++) {
		snprintf(v, sizeof v, "%d", s);
		CHECK(case_stat_count(st, CASE_STAT_SEVERITY, v, &n, err, sizeof err) == 0);
		CHECK(n == want_sev[s]);
	}
	CHECK(case_stat_count(st, CASE_STAT_STATUS, "1", &n, err, sizeof err) == 0 && n == N + 1);
	CHECK(case_stat_count(st, CASE_STAT_STATUS, "9", &n, err, sizeof err) == 0 && n == 0);
	CHECK(case_stat_count(st, CASE_STAT_TYPE, "nosuch", &n, err, sizeof err) == 0 && n == 0);
	CHECK(case_stat_count(st, CASE_STAT_TYPE, "solo", &n, err, sizeof err) == 0 && n == 1);

	/* status changes move the counts */
	for (int i = 1; i <= 10; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "%d", i);
		CHECK(case_close(st, ref, "done", "test", NULL, err, sizeof err) == 0);
	}
	CHECK(case_stat_count(st, CASE_STAT_STATUS, "4", &n, err, sizeof err) == 0 && n == 10);
	CHECK(case_stat_count(st, CASE_STAT_STATUS, "1", &n, err, sizeof err) == 0 && n == N + 1 - 10);

	/* types: most first, at most max */
	char *names[2];
	uint64_t counts[2];
	int nt = case_stat_types(st, 2, names, counts, err, sizeof err);
	CHECK(nt == 2);
	for (int i = 0; i < nt; i++) {
		int k = strcmp(names[i], "phishing") == 0 ? 0 : strcmp(names[i], "malware") == 0 ? 1 : 2;
		CHECK(counts[i] == want_type[k]);
		CHECK(strcmp(names[i], "solo") != 0);
		free(names[i]);
	}
	CHECK(nt < 2 || counts[0] >= counts[1]);

	/* histograms: everything in range, then from the middle of the second
	 * duplicate page, then nothing, then the key holding one case */
	const int64_t DAY = 86400000;
	int64_t from = created[1] / DAY * DAY;
	uint64_t h[3] = {0}, scanned = 0;
	CHECK(case_stat_histogram(st, CASE_STAT_ALL, NULL, from, DAY, 3, h, &scanned, err, sizeof err) == 0);
	CHECK(h[0] + h[1] + h[2] == N + 1 && scanned == N + 1);
	for (int s = 1; s <= 4; s++) {
		int64_t mid = created[300];
		uint64_t want = 0, hs[1] = {0};
		for (int i = 1; i <= N + 1; i++)
			want += sev_of[i] == s && created[i] >= mid;
		snprintf(v, sizeof v, "%d", s);
		CHECK(case_stat_histogram(st, CASE_STAT_SEVERITY, v, mid, 3 * DAY, 1, hs, NULL, err,
					  sizeof err) == 0);
		CHECK(hs[0] == want);
		if (hs[0] != want)
			fprintf(stderr, "severity %d from #300: %llu, want %llu\n", s,
				(unsigned long long)hs[0], (unsigned long long)want);
	}
	uint64_t z[2] = {0};
	CHECK(case_stat_histogram(st, CASE_STAT_ALL, NULL, created[N + 1] + 1, DAY, 2, z, &scanned,
				  err, sizeof err) == 0);
	CHECK(z[0] == 0 && z[1] == 0 && scanned == 0);
	uint64_t one[2] = {0};
	CHECK(case_stat_histogram(st, CASE_STAT_TYPE, "solo", from, DAY, 2, one, &scanned, err,
				  sizeof err) == 0);
	CHECK(one[0] + one[1] == 1 && scanned == 1);
	/* a range ending before the only case of a key */
	uint64_t none[1] = {0};
	CHECK(case_stat_histogram(st, CASE_STAT_TYPE, "solo", from - DAY, 1, 1, none, NULL, err,
				  sizeof err) == 0);
	CHECK(none[0] == 0);
	CHECK(case_stat_histogram(st, CASE_STAT_TYPE, "nosuch", from, DAY, 1, none, NULL, err,
				  sizeof err) == 0 && none[0] == 0);

	/* resumable: after the last entry counted, only what came since */
	unsigned char last[16] = {0};
	uint64_t r1[3] = {0}, r2[3] = {0};
	CHECK(case_stat_histogram_after(st, CASE_STAT_SEVERITY, "4", NULL, from, DAY, 3, r1, last,
					&scanned, err, sizeof err) == 0);
	CHECK(r1[0] + r1[1] + r1[2] == want_sev[4] && scanned == want_sev[4]);
	for (int i = 0; i < 3; i++) {
		struct case_fields f;
		case_fields_init(&f);
		case_fields_set(&f, "title", "late", err, sizeof err);
		case_fields_set(&f, "severity", "critical", err, sizeof err);
		CHECK(case_create(st, &f, "test", NULL, NULL, err, sizeof err) == 0);
		case_fields_free(&f);
	}
	CHECK(case_stat_histogram_after(st, CASE_STAT_SEVERITY, "4", last, from, DAY, 3, r2, last,
					&scanned, err, sizeof err) == 0);
	CHECK(r2[0] + r2[1] + r2[2] == 3 && scanned == 3);
	CHECK(case_stat_histogram_after(st, CASE_STAT_SEVERITY, "4", last, from, DAY, 3, r2, last,
					&scanned, err, sizeof err) == 0);
	CHECK(scanned == 0);

	store_close(st);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return CHECK_DONE();
}
