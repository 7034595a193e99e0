/* bench_dashboard.c - fills a store with N cases (default 1,000,000) for the
 * dashboard benchmark (bench_dashboard.sh times the pages over them). Cases
 * go in through the store API (case_create_submit, a window of creates in
 * flight, group commit), with a spread of types, severities, owners and
 * statuses (about a third open, the rest closed with a reason), so that every
 * index the pages read holds many entries.
 *
 * Usage: bench_dashboard DIR [N]
 * Prints the creation rate (N = 0: none created), then the time of each
 * store read the overview makes. DIR is kept (the timing script opens it). */
#include "case.h"
#include "case_stats.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOW 2000

static const char *const types[] = { "phishing", "malware", "intrusion", "scan", "dlp",
	"account", "ddos", "policy", "insider", "vuln", "fraud", "spam" };
static const char *const owners[] = { "alice", "bob", "carol", "dave", "erin", "frank" };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* independent-looking picks per field, so that filters combine (a mix of i) */
static unsigned long pick(long i, unsigned salt, unsigned long n)
{
	unsigned long x = (unsigned long)i * 2654435761u + salt * 40503u;
	x ^= x >> 13;
	x *= 0x5bd1e995u;
	x ^= x >> 15;
	return x % n;
}

static void fields(struct case_fields *f, long i)
{
	char err[256], buf[256];
	case_fields_init(f);
	snprintf(buf, sizeof buf, "%s alert from 198.51.%ld.%ld on host-%ld", types[i % 12],
		 (i / 250) % 250, i % 250, i % 977);
	case_fields_set(f, "title", buf, err, sizeof err);
	case_fields_set(f, "type", types[pick(i, 1, 12)], err, sizeof err);
	case_fields_set(f, "severity", (const char *[]){ "low", "medium", "high", "critical" }[pick(i, 2, 4)],
			err, sizeof err);
	case_fields_set(f, "owner", owners[pick(i, 3, 6)], err, sizeof err);
	if (pick(i, 4, 3) == 0) {
		case_fields_set(f, "status", (const char *[]){ "new", "active", "pending" }[pick(i, 5, 3)],
				err, sizeof err);
		case_fields_set(f, "sla_due", i % 2 ? "+4h" : "-1h", err, sizeof err);
	} else {
		case_fields_set(f, "status", "closed", err, sizeof err);
		case_fields_set(f, "close_reason", "resolved", err, sizeof err);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_dashboard DIR [N]\n");
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	char err[512];
	struct store *st = store_open(argv[1], NULL, err, sizeof err);
	if (!st) {
		fprintf(stderr, "bench_dashboard: %s\n", err);
		return 1;
	}
	static struct case_fields f[WINDOW];
	static struct case_create_req *req[WINDOW];
	double t0 = now_s();
	long done = 0, failed = 0;
	for (long base = 0; base < n; base += WINDOW) {
		long k = n - base < WINDOW ? n - base : WINDOW;
		for (long j = 0; j < k; j++) {
			fields(&f[j], base + j);
			req[j] = case_create_submit(st, &f[j], "bench", NULL, NULL);
		}
		for (long j = 0; j < k; j++) {
			struct case_rec c;
			int dd = 0;
			if (case_create_finish(req[j], &c, &dd, err, sizeof err) == 0) {
				case_rec_free(&c);
				done++;
			} else if (failed++ == 0)
				fprintf(stderr, "bench_dashboard: %s\n", err);
			case_fields_free(&f[j]);
		}
	}
	double t = now_s() - t0;
	if (n)
		printf("created %ld cases (%ld failed) in %.1f s: %.0f cases/s\n", done, failed, t,
		       (double)done / t);
	/* what the overview reads, piece by piece (ms) */
	const int64_t DAY = 86400000;
	int64_t from = (store_now_ms() / DAY - 29) * DAY;
	uint64_t cnt, h[30], scanned;
	char v[4];
	t0 = now_s();
	for (int i = 1; i <= 4; i++) {
		snprintf(v, sizeof v, "%d", i);
		case_stat_count(st, CASE_STAT_STATUS, v, &cnt, err, sizeof err);
		case_stat_count(st, CASE_STAT_SEVERITY, v, &cnt, err, sizeof err);
	}
	printf("counts (8)                  %8.2f ms\n", (now_s() - t0) * 1e3);
	t0 = now_s();
	uint64_t tot = 0;
	for (int i = 1; i <= 4; i++) {
		snprintf(v, sizeof v, "%d", i);
		memset(h, 0, sizeof h);
		case_stat_histogram(st, CASE_STAT_SEVERITY, v, from, DAY, 30, h, &scanned, err, sizeof err);
		tot += scanned;
	}
	printf("histograms by severity (4)  %8.2f ms (%llu entries)\n", (now_s() - t0) * 1e3,
	       (unsigned long long)tot);
	t0 = now_s();
	struct case_query q;
	struct case_page pg;
	memset(&q, 0, sizeof q);
	q.status_mask = 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
	q.limit = 1000;
	if (case_search(st, &q, &pg, err, sizeof err) == 0) {
		printf("newest 1000 open (SLA)      %8.2f ms (%llu index entries)\n",
		       (now_s() - t0) * 1e3, (unsigned long long)pg.scanned);
		case_page_free(&pg);
	}
	t0 = now_s();
	q.status_mask = 1u << CASE_CLOSED;
	q.limit = 200;
	if (case_search(st, &q, &pg, err, sizeof err) == 0) {
		printf("newest 200 closed           %8.2f ms\n", (now_s() - t0) * 1e3);
		case_page_free(&pg);
	}
	store_close(st);
	return failed ? 1 : 0;
}
