/* bench_runs.c - durable runs: the cost of a journaled step, replaying a long
 * run, and what 100,000 waiting runs cost.
 *
 * Usage: bench_runs steps-loop [runs] [steps_per_run]  (defaults 1000, 100): one thread
 *        bench_runs steps   [threads] [steps_per_run]   (defaults 64, 200): a thread a run
 *        bench_runs replay  [steps]                     (default 1000)
 *        bench_runs waiting [runs] [threads]            (defaults 100000, 16)
 *        bench_runs scan DIR   (what a fresh process needs to know of DIR's waiting runs)
 * Each makes a scratch data directory under $TMPDIR and prints medians. */
#include "datadir.h"
#include "engine.h"
#include "runloop.h"
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *self_path;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* CPU time of the whole process (all threads: the committer too), seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct store *scratch_store(void)
{
	char dir[256], err[512];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/soarctl-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	fprintf(stderr, "data directory: %s\n", dir);
	return st;
}

static char *steps_playbook(int steps, int journaled, const char *tail)
{
	char *code = malloc(1024);
	snprintf(code, 1024,
		 "return { name = 'steps', run = function()\n"
		 "  local s = 0\n"
		 "  for i = 1, %d do s = s + %s end\n"
		 "  %s\n"
		 "  return s end }\n",
		 steps, journaled ? "random()" : "i", tail);
	return code;
}

struct worker {
	struct store *st;
	struct playbook_src *src;
	int runs;
	double seconds;
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	double t0 = now();
	for (int i = 0; i < w->runs; i++) {
		struct engine_run e;
		int st = engine_start(sb, w->st, w->src, NULL, 0, NULL, NULL, &e);
		if (st != RUN_SUCCEEDED && st != RUN_WAITING) {
			fprintf(stderr, "run failed (%d): %s\n", st, e.pb.outcome.message);
			exit(1);
		}
		engine_run_clear(&e);
	}
	w->seconds = now() - t0;
	sandbox_free(sb);
	return NULL;
}

/* Total time for `threads` runs of `steps` steps each, at once. */
static double run_batch(struct store *st, struct playbook_src *src, int threads, int runs_each)
{
	pthread_t tid[512];
	struct worker w[512];
	double t0 = now();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ st, src, runs_each, 0 };
		pthread_create(&tid[i], NULL, run_worker, &w[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	return now() - t0;
}

static int ended_ok;

static void count_done(struct engine_run *e, int status, void *ud)
{
	(void)ud;
	if (status == RUN_SUCCEEDED)
		ended_ok++;
	else
		fprintf(stderr, "run ended %d: %s\n", status, e->pb.outcome.message);
}

/* All runs at once on one thread (runloop.h): entries share transactions. */
static double run_loop(struct runloop *rl, struct playbook_src *src, int runs)
{
	double t0 = now();
	ended_ok = 0;
	for (int i = 0; i < runs; i++)
		runloop_start(rl, src, NULL, NULL, count_done, NULL);
	runloop_run(rl);
	if (ended_ok != runs) {
		fprintf(stderr, "only %d of %d runs succeeded\n", ended_ok, runs);
		exit(1);
	}
	return now() - t0;
}

static int bench_steps_loop(int runs, int steps)
{
	struct store *st = scratch_store();
	char err[256];
	struct runloop *rl = runloop_new(st, NULL, err, sizeof err);
	char *journaled = steps_playbook(steps, 1, ""), *plain = steps_playbook(steps, 0, "");
	struct playbook_src js, ps;
	playbook_load_string("steps.lua", journaled, strlen(journaled), &js);
	playbook_load_string("plain.lua", plain, strlen(plain), &ps);
	double per_step[5], base[5], tot[5], cpu_step[5];
	struct store_stats s0, s1;
	store_get_stats(st, &s0);
	for (int r = 0; r < 5; r++) {
		double c0 = cpu_seconds();
		double tj = run_loop(rl, &js, runs);
		double c1 = cpu_seconds();
		double tp = run_loop(rl, &ps, runs);
		double c2 = cpu_seconds();
		per_step[r] = (tj - tp) / ((double)runs * steps) * 1e6;
		cpu_step[r] = ((c1 - c0) - (c2 - c1)) / ((double)runs * steps) * 1e6;
		base[r] = tp;
		tot[r] = tj;
	}
	store_get_stats(st, &s1);
	printf("journaled step, amortised over %d concurrent runs x %d steps on one thread: "
	       "%.2f us/step (median of 5; runs with steps %.0f ms, the same runs without %.1f ms)\n",
	       runs, steps, median(per_step, 5), median(tot, 5) * 1e3, median(base, 5) * 1e3);
	printf("CPU time per journaled step (all threads, user + system): %.2f us\n", median(cpu_step, 5));
	printf("commits %llu for %llu writes (%.0f writes per commit)\n",
	       (unsigned long long)(s1.commits - s0.commits), (unsigned long long)(s1.writes - s0.writes),
	       (double)(s1.writes - s0.writes) / (double)(s1.commits - s0.commits ? s1.commits - s0.commits : 1));
	runloop_free(rl);
	playbook_src_free(&js);
	playbook_src_free(&ps);
	free(journaled);
	free(plain);
	return 0;
}

static int bench_steps(int threads, int steps)
{
	struct store *st = scratch_store();
	char *journaled = steps_playbook(steps, 1, ""), *plain = steps_playbook(steps, 0, "");
	struct playbook_src js, ps;
	playbook_load_string("steps.lua", journaled, strlen(journaled), &js);
	playbook_load_string("plain.lua", plain, strlen(plain), &ps);
	double per_step[5], base[5];
	for (int r = 0; r < 5; r++) {
		double tj = run_batch(st, &js, threads, 1);
		double tp = run_batch(st, &ps, threads, 1);
		per_step[r] = (tj - tp) / ((double)threads * steps) * 1e6;
		base[r] = tp;
	}
	struct store_stats ss;
	store_get_stats(st, &ss);
	printf("journaled step, amortised over %d concurrent runs x %d steps: %.2f us/step "
	       "(median of 5; the same runs without steps took %.1f ms)\n",
	       threads, steps, median(per_step, 5), median(base, 5) * 1e3);
	printf("commits %llu for %llu writes (%.1f writes per commit)\n", (unsigned long long)ss.commits,
	       (unsigned long long)ss.writes, ss.commits ? (double)ss.writes / (double)ss.commits : 0);
	return 0;
}

static int bench_replay(int steps)
{
	struct store *st = scratch_store();
	char *code = steps_playbook(steps, 1, "prompt.ask{ question = 'go on?', options = { 'yes' } }");
	struct playbook_src src;
	playbook_load_string("replay.lua", code, strlen(code), &src);
	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	struct engine_run e;
	if (engine_start(sb, st, &src, NULL, 0, NULL, NULL, &e) != RUN_WAITING) {
		fprintf(stderr, "expected the run to wait: %s\n", e.pb.outcome.message);
		return 1;
	}
	char id[37];
	memcpy(id, e.rec.id, sizeof id);
	engine_run_clear(&e);
	/* The file must exist for resume: write it beside the store. */
	char path[512];
	snprintf(path, sizeof path, "%s/replay.lua", datadir_get());
	FILE *f = fopen(path, "w");
	fputs(code, f);
	fclose(f);
	double t[21];
	for (int r = 0; r < 21; r++) {
		/* Point the record at the file, then time a resume: it replays every
		 * step and parks again at the prompt. */
		struct run_rec rec;
		run_get(st, id, &rec, err, sizeof err);
		free(rec.path);
		rec.path = strdup(path);
		run_save(st, &rec, NULL, NULL, err, sizeof err);
		run_rec_free(&rec);
		double t0 = now();
		int status = engine_resume(sb, st, id, NULL, &e, err, sizeof err);
		t[r] = (now() - t0) * 1e3;
		if (status != RUN_WAITING) {
			fprintf(stderr, "resume: %d %s %s\n", status, err, e.pb.outcome.message);
			return 1;
		}
		engine_run_clear(&e);
	}
	double med = median(t, 21);
	printf("replaying a run of %d steps (load journal, re-execute, park again): median %.2f ms "
	       "(min %.2f, max %.2f) over 21 resumes\n", steps, med, t[0], t[20]);
	sandbox_free(sb);
	return 0;
}

/* A line of /proc/self/status, in KiB ("VmRSS", "RssAnon", "RssFile"). */
static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kib;
}

static long rss_kib(void)
{
	return status_kib("VmRSS");
}

static int bench_waiting(int runs, int threads)
{
	struct store *st = scratch_store();
	const char *code = "return { name = 'waits', run = function() "
			   "return prompt.ask{ question = 'approve?', options = { 'yes', 'no' } } end }";
	struct playbook_src src;
	playbook_load_string("waits.lua", code, strlen(code), &src);
	double t = run_batch(st, &src, threads, runs / threads);
	int made = runs / threads * threads;
	printf("created %d waiting runs in %.1f s (%.0f runs/s, %d threads)\n", made, t, made / t, threads);
	/* What a daemon starting up must know to resume them, measured in a fresh
	 * process (this one holds 32 interpreters from making the runs). */
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s scan %s", self_path, datadir_get());
	int rc = system(cmd);
	struct store_stats ss;
	store_get_stats(st, &ss);
	printf("store: %.1f MiB in use (%.0f bytes per waiting run, its prompt and journal entry)\n",
	       (double)ss.used_bytes / 1048576.0, (double)ss.used_bytes / (double)made);
	return rc == 0 ? 0 : 1;
}

struct wait_entry {
	unsigned char id[16], prompt[16];
	int64_t until;
};

struct scan_ctx {
	struct wait_entry *v;
	size_t n, cap;
};

static int add_waiting(const unsigned char id[16], int64_t until, const unsigned char *prompt, void *ud)
{
	struct scan_ctx *c = ud;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->v = realloc(c->v, c->cap * sizeof *c->v);
	}
	struct wait_entry *w = &c->v[c->n++];
	memcpy(w->id, id, 16);
	if (prompt)
		memcpy(w->prompt, prompt, 16);
	else
		memset(w->prompt, 0, 16);
	w->until = until;
	return 0;
}

static int bench_scan(const char *dir)
{
	char err[512];
	datadir_set(dir);
	long before = rss_kib();
	double t0 = now();
	struct store *st = store_default(err, sizeof err);
	struct scan_ctx c = { 0 };
	if (!st || run_scan_waiting(st, add_waiting, &c, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double t = now() - t0;
	printf("a fresh process knows %zu waiting runs after %.2f s: index %zu KiB; resident %ld MiB "
	       "(%ld MiB at start): %ld MiB its own memory, %ld MiB pages of the store file mapped "
	       "(shared page cache)\n", c.n, t, c.n * sizeof *c.v / 1024, rss_kib() / 1024, before / 1024,
	       status_kib("RssAnon") / 1024, status_kib("RssFile") / 1024);
	free(c.v);
	return 0;
}

int main(int argc, char **argv)
{
	self_path = argv[0];
	if (argc > 2 && strcmp(argv[1], "scan") == 0)
		return bench_scan(argv[2]);
	const char *what = argc > 1 ? argv[1] : "";
	if (strcmp(what, "steps-loop") == 0)
		return bench_steps_loop(argc > 2 ? atoi(argv[2]) : 1000, argc > 3 ? atoi(argv[3]) : 100);
	if (strcmp(what, "steps") == 0)
		return bench_steps(argc > 2 ? atoi(argv[2]) : 64, argc > 3 ? atoi(argv[3]) : 200);
	if (strcmp(what, "replay") == 0)
		return bench_replay(argc > 2 ? atoi(argv[2]) : 1000);
	if (strcmp(what, "waiting") == 0)
		return bench_waiting(argc > 2 ? atoi(argv[2]) : 100000, argc > 3 ? atoi(argv[3]) : 16);
	fprintf(stderr, "usage: bench_runs steps [threads] [steps] | replay [steps] | waiting [runs] [threads]\n");
	return 2;
}
