/* bench_hardstop.c - what a hard stop costs the other runs of a run loop: the
 * time to take them off their waits and replay them on the fresh interpreter.
 *
 * Usage: bench_hardstop [runs] [steps] [rounds]   (defaults 1000, 10, 5)
 *
 * Each round: `runs` runs on one loop each journal `steps` steps (random()),
 * then wait on an HTTP request to the C slow stand-in (answered after 1 s).
 * Once the stand-in has every request, a run that spins in compiled code is
 * started on the loop; its hard stop (CPU limit 0.05 s) orphans them all. The
 * loop's counters give the time spent cancelling their transfers and
 * replaying them (each: its journal read, the playbook from the top to its
 * request, sent again), in wall time and in the loop thread's CPU time.
 * Prints the medians over the rounds, in total and per run. Needs standin_slow, built next to it (BUILD/tools/standins/). */
#include "datadir.h"
#include "engine.h"
#include "log.h"
#include "runloop.h"
#include "store.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static char logpath[4200];
static pid_t standin_pid;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int start_standin(void)
{
	char self[2048], path[4096];
	ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
	if (k <= 0)
		return 0;
	self[k] = 0;
	*strrchr(self, '/') = 0;
	snprintf(path, sizeof path, "%s/../standins/standin_slow", self);
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	standin_pid = fork();
	if (standin_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(path, path, "--log", logpath, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	int port = 0;
	char line[128];
	if (f && fgets(line, sizeof line, f))
		sscanf(line, "PORT %d", &port);
	return port;
}

/* Lines in the stand-in's log: requests it took. */
static size_t requests(void)
{
	FILE *f = fopen(logpath, "r");
	size_t n = 0, got;
	char buf[65536];
	if (!f)
		return 0;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))); p++)
			n++;
	fclose(f);
	return n;
}

static struct playbook_src spin;
static struct engine_options spin_opt;
static int ok, failed;

static void on_done(struct engine_run *e, int status, void *ud)
{
	(void)e;
	(void)ud;
	if (status == RUN_SUCCEEDED)
		ok++;
	else
		failed++;
}

static void start_spin(struct runloop *rl, void *arg)
{
	(void)arg;
	runloop_start(rl, &spin, NULL, &spin_opt, on_done, NULL);
}

struct poster {
	struct runloop *rl;
	size_t want;
	atomic_int done;
};

static void *poster(void *arg)
{
	struct poster *p = arg;
	while (!atomic_load(&p->done) && requests() < p->want)
		usleep(10000);
	if (!atomic_load(&p->done))
		runloop_post(p->rl, start_spin, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 1000;
	int steps = argc > 2 ? atoi(argv[2]) : 10;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	char dir[256], err[512], code[1024];
	const char *tmp = getenv("TMPDIR");
	signal(SIGPIPE, SIG_IGN);
	log_configure(LOG_ERROR, 0);          /* not the warning each hard stop logs */
	snprintf(dir, sizeof dir, "%s/soarctl-bench-hardstop-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(logpath, sizeof logpath, "%s/standin.log", dir);
	int port = start_standin();
	if (!port) {
		fprintf(stderr, "cannot start standin_slow (built with the benches)\n");
		return 1;
	}
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(code, sizeof code,
		 "return { name = 'waits', hosts = { '127.0.0.1' }, run = function()\n"
		 "  local x = 0 for i = 1, %d do x = x + random() end\n"
		 "  return assert(http.post('http://127.0.0.1:%d/x?ms=1000', { body = 'b' })).status end }\n",
		 steps, port);
	struct playbook_src src;
	playbook_load_string("waits.lua", code, strlen(code), &src);
	const char *spin_code = "return { name = 'spin', run = function() while true do end end }";
	playbook_load_string("spin.lua", spin_code, strlen(spin_code), &spin);
	memset(&spin_opt, 0, sizeof spin_opt);
	sandbox_limits_default(&spin_opt.limits);
	spin_opt.limits.cpu_seconds = 0.05;

	double *total = calloc((size_t)rounds, sizeof *total);
	double *cpu = calloc((size_t)rounds, sizeof *cpu);
	for (int r = 0; r < rounds; r++) {
		struct runloop *rl = runloop_new(st, NULL, err, sizeof err);
		if (!rl) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		ok = failed = 0;
		size_t before = requests();
		for (int i = 0; i < runs; i++)
			runloop_start(rl, &src, NULL, NULL, on_done, NULL);
		struct poster p = { rl, before + (size_t)runs, 0 };
		pthread_t th;
		pthread_create(&th, NULL, poster, &p);
		runloop_run(rl);
		atomic_store(&p.done, 1);
		pthread_join(th, NULL);
		struct runloop_stats s;
		runloop_get_stats(rl, &s);
		if (ok != runs || failed != 1 || s.hard_stops != 1 || s.replayed != (size_t)runs) {
			fprintf(stderr, "round %d: %d succeeded, %d failed, %zu hard stops, %zu replayed\n",
				r, ok, failed, s.hard_stops, s.replayed);
			return 1;
		}
		total[r] = s.replay_seconds;
		cpu[r] = s.replay_cpu_seconds;
		runloop_free(rl);
	}
	qsort(total, (size_t)rounds, sizeof *total, cmp_double);
	qsort(cpu, (size_t)rounds, sizeof *cpu, cmp_double);
	double med = total[rounds / 2], cmed = cpu[rounds / 2];
	printf("hard stop beside %d runs of %d journaled steps each, waiting on HTTP: "
	       "%.1f ms to cancel and replay them all (%.1f-%.1f over %d rounds), %.0f us a run; "
	       "CPU of the loop's thread %.1f ms (%.1f-%.1f), %.0f us a run\n",
	       runs, steps, med * 1e3, total[0] * 1e3, total[rounds - 1] * 1e3, rounds,
	       med / runs * 1e6, cmed * 1e3, cpu[0] * 1e3, cpu[rounds - 1] * 1e3, cmed / runs * 1e6);
	free(total);
	free(cpu);
	playbook_src_free(&src);
	playbook_src_free(&spin);
	kill(standin_pid, SIGTERM);
	waitpid(standin_pid, NULL, 0);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return 0;
}
