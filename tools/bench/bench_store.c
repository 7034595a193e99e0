/* bench_store.c - the case store's figures for docs/PERFORMANCE.md:
 *   create   durable case creation through group commit (cases/s)
 *   query    first page of indexed queries on N cases (latency, us)
 *   size     bytes on disk per typical case
 *
 * Usage: bench_store [--cases N] [--threads T] [--window W] [--dir DIR]
 *                    [--sync-threads S] [--create-only] [--no-dedupe]
 * N cases (default 1,000,000) are created by T producer threads (default 4),
 * each keeping W creates in flight (default 256) and waiting for each one's
 * durable acknowledgement. --sync-threads S also measures S threads doing one
 * blocking case_create at a time. The directory (default /tmp/bench_store.PID)
 * is removed at the end unless --dir is given. --no-dedupe leaves out the
 * dedupe key (a unique key is a random insert in two B-trees per case).
 */
#include "case.h"
#include "case_int.h"
#include "store.h"
#include "store_buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct store *st;
static long per_thread, window_size;
static int no_dedupe;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const types[] = { "phishing", "malware", "intrusion", "bonusly", "scan",
	"dlp", "account", "tuning", "ddos", "policy" };
static const char *const owners[] = { "alice", "bob", "carol", "dave", "erin", "frank",
	"grace", "heidi", "ivan", "judy" };

/* A typical case: title, type, severity, owner, role, two labels, a small
 * custom object, an SLA, a dedupe key and a modest source alert. */
static void typical_fields(struct case_fields *f, long i)
{
	char err[256], buf[512];
	case_fields_init(f);
	snprintf(buf, sizeof buf, "Inbound connection from 203.0.%ld.%ld blocked", (i / 250) % 250, i % 250);
	case_fields_set(f, "title", buf, err, sizeof err);
	case_fields_set(f, "type", types[i % 10], err, sizeof err);
	case_fields_set(f, "severity", (const char *[]){ "low", "medium", "high", "critical" }[i % 4],
			err, sizeof err);
	case_fields_set(f, "owner", owners[(i / 10) % 10], err, sizeof err);
	case_fields_set(f, "role", "soc-l1", err, sizeof err);
	snprintf(buf, sizeof buf, "edge,site-%ld", i % 7);
	case_fields_set(f, "labels", buf, err, sizeof err);
	snprintf(buf, sizeof buf, "{\"src_ip\":\"203.0.%ld.%ld\",\"port\":8333}", (i / 250) % 250, i % 250);
	case_fields_set(f, "custom", buf, err, sizeof err);
	case_fields_set(f, "sla_due", "+4h", err, sizeof err);
	snprintf(buf, sizeof buf, "conn:%ld", i);
	if (!no_dedupe)
		case_fields_set(f, "dedupe_key", buf, err, sizeof err);
	snprintf(buf, sizeof buf, "{\"event\":\"conn\",\"src\":\"203.0.%ld.%ld\",\"dst_port\":8333,"
		 "\"proto\":\"tcp\",\"sensor\":\"node-1\"}", (i / 250) % 250, i % 250);
	case_fields_set(f, "source", buf, err, sizeof err);
}

struct prod {
	long base;
	long fails;
};

static void *producer(void *p)
{
	struct prod *a = p;
	struct case_fields *f = calloc((size_t)window_size, sizeof *f);
	struct case_create_req **r = calloc((size_t)window_size, sizeof *r);
	char err[512];
	for (long done = 0; done < per_thread;) {
		long w = per_thread - done < window_size ? per_thread - done : window_size;
		for (long j = 0; j < w; j++) {
			typical_fields(&f[j], a->base + done + j);
			r[j] = case_create_submit(st, &f[j], "bench", NULL, NULL);
		}
		for (long j = 0; j < w; j++) {
			if (case_create_finish(r[j], NULL, NULL, err, sizeof err) != 0 && a->fails++ < 3)
				fprintf(stderr, "create: %s\n", err);
			case_fields_free(&f[j]);
		}
		done += w;
	}
	free(f);
	free(r);
	return NULL;
}

static void *sync_writer(void *p)
{
	struct prod *a = p;
	char err[512];
	for (long i = 0; i < per_thread; i++) {
		struct case_fields f;
		typical_fields(&f, a->base + i);
		if (case_create(st, &f, "bench", NULL, NULL, err, sizeof err) != 0)
			a->fails++;
		case_fields_free(&f);
	}
	return NULL;
}

static double run_producers(int threads, long total, long base, void *(*fn)(void *))
{
	pthread_t th[256];
	struct prod a[256];
	per_thread = total / threads;
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		a[i] = (struct prod){ .base = base + i * per_thread };
		pthread_create(&th[i], NULL, fn, &a[i]);
	}
	long fails = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		fails += a[i].fails;
	}
	double dt = now_s() - t0;
	if (fails)
		fprintf(stderr, "%ld creates failed\n", fails);
	return (double)(per_thread * threads) / dt;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median and p99 of `reps` runs of one query (each its own read transaction). */
static void time_query(const char *name, struct case_query q, int reps)
{
	double *t = malloc(sizeof *t * (size_t)reps);
	char err[512];
	size_t n = 0;
	for (int i = 0; i < reps; i++) {
		struct case_page p;
		double t0 = now_s();
		if (case_search(st, &q, &p, err, sizeof err) != 0) {
			fprintf(stderr, "%s: %s\n", name, err);
			free(t);
			return;
		}
		t[i] = (now_s() - t0) * 1e6;
		n = p.n;
		case_page_free(&p);
	}
	qsort(t, (size_t)reps, sizeof *t, cmp_d);
	printf("query %-42s %3zu rows  median %7.1f us  p99 %7.1f us\n", name, n, t[reps / 2],
	       t[reps * 99 / 100]);
	free(t);
}

int main(int argc, char **argv)
{
	long cases = 1000000, threads = 4, sync_threads = 0;
	int create_only = 0;
	const char *dir = NULL;
	window_size = 256;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc)
			cases = atol(argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = atol(argv[++i]);
		else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
			window_size = atol(argv[++i]);
		else if (strcmp(argv[i], "--sync-threads") == 0 && i + 1 < argc)
			sync_threads = atol(argv[++i]);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--create-only") == 0)
			create_only = 1;
		else if (strcmp(argv[i], "--no-dedupe") == 0)
			no_dedupe = 1;
		else {
			fprintf(stderr, "usage: bench_store [--cases N] [--threads T] [--window W] "
				"[--sync-threads S] [--dir DIR] [--create-only] [--no-dedupe]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 256 || window_size < 1 || sync_threads > 256 || cases < threads) {
		fprintf(stderr, "bench_store: bad numbers\n");
		return 2;
	}
	char tmp[256], cmd[600], err[512];
	if (!dir) {
		snprintf(tmp, sizeof tmp, "/tmp/bench_store.%d", (int)getpid());
		dir = tmp;
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0)
		return 1;
	st = store_open(dir, NULL, err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	/* encoding size of one typical record */
	{
		struct case_fields f;
		typical_fields(&f, 12345);
		struct case_rec c;
		if (case_create(st, &f, "bench", &c, NULL, err, sizeof err) == 0) {
			struct store_buf b = { 0 };
			case_encode(&c, &b);
			struct case_keys *ks = malloc(sizeof *ks);
			case_index_keys(&c, ks);
			size_t kb = 0;
			for (size_t i = 0; i < ks->n; i++)
				kb += ks->len[i];
			printf("record: %zu bytes encoded; %zu index keys, %zu key bytes\n", b.len, ks->n, kb);
			free(ks);
			store_buf_free(&b);
			case_rec_free(&c);
		}
		case_fields_free(&f);
	}

	if (sync_threads) {
		long n = sync_threads * 200;
		double rate = run_producers((int)sync_threads, n, 10000000, sync_writer);
		struct store_stats s;
		store_get_stats(st, &s);
		printf("create (sync): %ld threads, one blocking create each: %.0f cases/s\n",
		       sync_threads, rate);
	}
	struct store_stats s0;
	store_get_stats(st, &s0);
	double rate = run_producers((int)threads, cases, 0, producer);
	struct store_stats s;
	store_get_stats(st, &s);
	printf("create: %ld cases, %ld producers x %ld in flight: %.0f durable cases/s "
	       "(%llu commits, %.0f cases per commit, %llu map resizes)\n", cases, threads,
	       window_size, rate, (unsigned long long)(s.commits - s0.commits),
	       (double)(s.writes - s0.writes) / (double)(s.commits - s0.commits ? s.commits - s0.commits : 1),
	       (unsigned long long)s.resizes);
	printf("size: %.0f bytes on disk per case (%zu MiB used for %ld cases, timeline included)\n",
	       (double)s.used_bytes / (double)cases, s.used_bytes >> 20, cases);
	if (create_only)
		goto out;

	int reps = 2000;
	struct case_query q = { .limit = 50 };
	time_query("newest 50 (no filter)", q, reps);
	q = (struct case_query){ .limit = 50, .type = "phishing" };
	time_query("type=phishing newest 50", q, reps);
	q = (struct case_query){ .limit = 50, .severity = CASE_SEV_CRITICAL };
	time_query("severity=critical newest 50", q, reps);
	q = (struct case_query){ .limit = 50, .owner = "carol", .sort = CASE_SORT_UPDATED };
	time_query("owner=carol by updated, 50", q, reps);
	q = (struct case_query){ .limit = 50, .label = "site-3" };
	time_query("label=site-3 newest 50", q, reps);
	q = (struct case_query){ .limit = 50, .status_mask = 1u << CASE_NEW };
	time_query("status=new newest 50", q, reps);
	q = (struct case_query){ .limit = 50, .dedupe_key = "conn:4242" };
	time_query("dedupe_key=conn:4242", q, reps);
	q = (struct case_query){ .limit = 50, .type = "malware", .created_to = store_now_ms() - 1000 };
	time_query("type=malware created before now-1s", q, reps);
	q = (struct case_query){ .limit = 50, .type = "scan", .severity = CASE_SEV_HIGH };
	time_query("type=scan AND severity=high (post-filter)", q, reps);
	{
		/* a page deep in the range: cursor from 1000 pages in */
		struct case_query d = { .limit = 50, .type = "dlp" };
		struct case_page p;
		char cur[64] = "";
		for (int i = 0; i < 1000 && case_search(st, &d, &p, err, sizeof err) == 0; i++) {
			snprintf(cur, sizeof cur, "%s", p.next);
			case_page_free(&p);
			d.cursor = cur;
			if (!cur[0])
				break;
		}
		time_query("type=dlp page 1001 (cursor)", d, reps);
	}
	{
		struct case_rec c;
		double t0 = now_s();
		for (int i = 0; i < reps; i++) {
			char ref[32];
			snprintf(ref, sizeof ref, "%ld", 1 + (long)(((unsigned long)i * 2654435761u) % (unsigned long)cases));
			if (case_get(st, ref, &c, err, sizeof err) == 0)
				case_rec_free(&c);
		}
		printf("get by number (random)                              mean %7.1f us\n",
		       (now_s() - t0) * 1e6 / reps);
	}
out:
	store_close(st);
	if (dir == tmp) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
