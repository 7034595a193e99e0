/* test_runloop_hardstop.c - a hard stop on a run loop's interpreter costs only
 * the run that caused it.
 *
 * A hostile run (a loop the JIT compiles: only the hard stop ends it) makes the
 * sandbox throw its state away, and with it the coroutines of every other run
 * suspended on that state. Those runs are durable: the loop replays each of them
 * on the fresh state from its journal, so they all succeed and no step that was
 * recorded acts again. Four hard stops hit 1,000 honest runs in each state a
 * suspended run can be in:
 *   1. right after half of them started: their first journal entries still in
 *      the round's batch, not yet submitted; a run that took a step (and
 *      spins after it) is orphaned with them;
 *   2. that run, replayed among the first half, spins: a hard stop in the
 *      middle of the replays, while the runs replayed before it and the
 *      second half wait on a case note (a write applied in its journal
 *      entry's transaction) or on entries made durable, not yet continued;
 *   3. and 4., twice in a row: every honest run waits on a slow HTTP request
 *      (a loopback stand-in, tools/standins/slow.c); the request is cancelled
 *      and sent again by the replay with the same Idempotency-Key.
 * Counted afterwards: every honest run succeeded with its five steps journaled
 * once; the case has exactly two notes per run (none written twice); the
 * stand-in saw each run's completed request (step 3) exactly once; the hostile
 * runs failed with the CPU limit's message.
 * Then runs waiting on a retry timer (a 429 with Retry-After: 10) when a hard
 * stop comes: their timers go, the replay sends the request again at once
 * (answered 200 by the stand-in, tools/standins/standin.py, at its second
 * request), and they finish long before the 10 s. */
#include "check.h"
#include "case.h"
#include "datadir.h"
#include "engine.h"
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
#include <time.h>
#include <unistd.h>

#define RUNS 1000
#define SLOW_MS 3000        /* step 4: long enough to be in flight at stops 3 and 4 */

static char dir[] = "/tmp/soar-rlhs-XXXXXX";
static char logpath[4200];
static pid_t standin_pid;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts the C stand-in with a request log; returns its port, or 0. */
static int start_standin(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	standin_pid = fork();
	if (standin_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);     /* never outlives us */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(SOAR_STANDIN_SLOW, "standin_slow", "--log", logpath, (char *)NULL);
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

/* The stand-in's log: one "TARGET KEY" line per request. NULL-terminated array
 * of lines (malloc'd, as is each line); *n set. */
static char **read_log(size_t *n)
{
	*n = 0;
	FILE *f = fopen(logpath, "r");
	if (!f)
		return calloc(1, sizeof(char *));
	size_t cap = 1024;
	char **lines = malloc(cap * sizeof *lines), buf[1200];
	while (lines && fgets(buf, sizeof buf, f)) {
		if (*n + 1 >= cap) {
			cap *= 2;
			char **g = realloc(lines, cap * sizeof *lines);
			if (!g)
				break;
			lines = g;
		}
		buf[strcspn(buf, "\n")] = 0;
		lines[(*n)++] = strdup(buf);
	}
	fclose(f);
	if (lines)
		lines[*n] = NULL;
	return lines;
}

static void free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* Requests the stand-in has seen for step `step` of the honest runs. */
static size_t count_step(const char *step)
{
	size_t n, k = 0;
	char **lines = read_log(&n);
	for (size_t i = 0; i < n; i++)
		k += strstr(lines[i], step) != NULL;
	free_lines(lines, n);
	return k;
}

struct tally {
	int ok, failed;
	int hostile_failed, hostile_other;
	char hostile_msg[512];
	char bad[512];
};

static void on_honest(struct engine_run *e, int status, void *ud)
{
	struct tally *t = ud;
	if (status == RUN_SUCCEEDED && e->pb.result_json && strstr(e->pb.result_json, "\"b\":200")) {
		t->ok++;
		return;
	}
	t->failed++;
	snprintf(t->bad, sizeof t->bad, "%s", e->pb.outcome.message ? e->pb.outcome.message
		 : (e->pb.result_json ? e->pb.result_json : "?"));
}

static void on_hostile(struct engine_run *e, int status, void *ud)
{
	struct tally *t = ud;
	if (status == RUN_FAILED && strcmp(engine_error_kind(e), "cpu_limit") == 0) {
		t->hostile_failed++;
		snprintf(t->hostile_msg, sizeof t->hostile_msg, "%s", e->pb.outcome.message);
	} else {
		t->hostile_other++;
	}
}

static struct playbook_src honest, spin, spin_after_step;
static struct engine_options hostile_opt;
static struct tally tally;

static void start_spin(struct runloop *rl, void *arg)
{
	(void)arg;
	CHECK(runloop_start(rl, &spin, NULL, &hostile_opt, on_hostile, &tally) == 0);
}

/* Posts a hostile run once every honest run's slow request is in flight: once
 * after RUNS requests for step 4, again after 2 x RUNS (the resends). */
struct poster {
	struct runloop *rl;
	atomic_int done;
	int posted;
};

static void *poster_thread(void *arg)
{
	struct poster *p = arg;
	for (int round = 1; round <= 2; round++) {
		double t0 = now();
		while (!atomic_load(&p->done) && count_step("step=4") < (size_t)round * RUNS &&
		       now() - t0 < 60)
			usleep(20000);
		if (atomic_load(&p->done) || now() - t0 >= 60)
			return NULL;
		/* (no CHECK here: its counters are the loop thread's) */
		if (runloop_post(p->rl, start_spin, NULL) == 0)
			p->posted++;
	}
	return NULL;
}

static void load(struct playbook_src *src, const char *name, const char *code)
{
	CHECK(playbook_load_string(name, code, strlen(code), src) == 0);
}

/* Notes on case `ref`. */
static int notes_on(struct store *st, const char *ref)
{
	char err[256];
	struct case_entry *ent = NULL;
	size_t nent = 0;
	int notes = 0;
	CHECK(case_timeline(st, ref, 1, 0, &ent, &nent, err, sizeof err) == 0);
	for (size_t i = 0; i < nent; i++)
		notes += ent[i].kind == CASE_ENTRY_NOTE;
	case_entries_free(ent, nent);
	free(ent);
	return notes;
}

static void new_case(struct store *st, const char *title, char ref[32])
{
	char err[256];
	struct case_fields f;
	case_fields_init(&f);
	case_fields_set(&f, "title", title, err, sizeof err);
	struct case_rec c;
	CHECK(case_create(st, &f, "test", &c, NULL, err, sizeof err) == 0);
	case_fields_free(&f);
	snprintf(ref, 32, "%llu", (unsigned long long)c.seq);
	case_rec_free(&c);
}

/* tools/standins/standin.py (python3); returns its port, or 0. */
static pid_t py_pid;

static int start_py_standin(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/../tools/standins/standin.py", SOAR_SOURCE_LUA_DIR);
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	py_pid = fork();
	if (py_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", path, (char *)NULL);
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

#define TIMER_RUNS 50

struct timer_tally {
	int ok, failed, hostile;
	char bad[512];
};

static void on_timer_run(struct engine_run *e, int status, void *ud)
{
	struct timer_tally *t = ud;
	const char *r = e->pb.result_json;
	if (status == RUN_SUCCEEDED && r && strcmp(r, "{\"attempts\":1,\"seen\":2,\"status\":200}") == 0)
		t->ok++;
	else
		snprintf(t->bad, sizeof t->bad, "%s", r ? r : e->pb.outcome.message), t->failed++;
}

static void on_timer_hostile(struct engine_run *e, int status, void *ud)
{
	struct timer_tally *t = ud;
	t->hostile += status == RUN_FAILED && strcmp(engine_error_kind(e), "cpu_limit") == 0;
}

static struct timer_tally ttally;

static void start_timer_spin(struct runloop *rl, void *arg)
{
	(void)arg;
	CHECK(runloop_start(rl, &spin, NULL, &hostile_opt, on_timer_hostile, &ttally) == 0);
}

static void *timer_poster(void *arg)
{
	usleep(1000000);      /* every run has its 429 and waits on its timer */
	if (runloop_post(arg, start_timer_spin, NULL) != 0)
		fprintf(stderr, "runloop_post failed\n");   /* then the checks fail */
	return NULL;
}

static void test_retry_timers(struct runloop *rl)
{
	int port = start_py_standin();
	CHECK(port != 0);
	if (!port)
		return;
	char code[1024], input[64];
	snprintf(code, sizeof code,
		 "return { name = 'retry', hosts = { '127.0.0.1' }, inputs = { i = { type = 'number' } },\n"
		 "  run = function(ctx, input)\n"
		 "    local r = assert(http.post('http://127.0.0.1:%d/limited?after=10&key=hs%d_' .. input.i,\n"
		 "                               { body = 'x' }))\n"
		 "    return { status = r.status, attempts = r.attempts, seen = r.json and r.json.attempt }\n"
		 "  end }\n", port, (int)getpid());
	struct playbook_src src;
	load(&src, "retry.lua", code);
	struct runloop_stats s0, s1;
	runloop_get_stats(rl, &s0);
	double t0 = now();
	for (int i = 0; i < TIMER_RUNS; i++) {
		snprintf(input, sizeof input, "{\"i\":%d}", i);
		CHECK(runloop_start(rl, &src, input, NULL, on_timer_run, &ttally) == 0);
	}
	pthread_t th;
	CHECK(pthread_create(&th, NULL, timer_poster, rl) == 0);
	CHECK(runloop_run(rl) == TIMER_RUNS + 1);
	pthread_join(th, NULL);
	double wall = now() - t0;
	runloop_get_stats(rl, &s1);
	fprintf(stderr, "%d runs on retry timers of 10 s, a hard stop after 1 s: %d succeeded, "
		"%d not (%s), %zu orphaned; %.2f s\n", TIMER_RUNS, ttally.ok, ttally.failed, ttally.bad,
		s1.orphaned - s0.orphaned, wall);
	CHECK(ttally.ok == TIMER_RUNS);
	CHECK(ttally.hostile == 1);
	CHECK(s1.orphaned - s0.orphaned == TIMER_RUNS);
	CHECK(wall < 8);             /* the timers were dropped, not waited for */
	playbook_src_free(&src);
	kill(py_pid, SIGTERM);
	waitpid(py_pid, NULL, 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char err[512];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(logpath, sizeof logpath, "%s/standin.log", dir);
	int port = start_standin();
	if (!port) {
		fprintf(stderr, "cannot start the stand-in %s\n", SOAR_STANDIN_SLOW);
		return 1;
	}
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return CHECK_DONE();

	char ref[32];
	new_case(st, "noted by runs that survive hard stops", ref);

	char code[2048];
	snprintf(code, sizeof code,
		 "return { name = 'honest', hosts = { '127.0.0.1' },\n"
		 "  inputs = { case = { type = 'string' }, i = { type = 'number' } },\n"
		 "  run = function(ctx, input)\n"
		 "    local t0 = time.now()\n"
		 "    local n1 = case.note(input.case, 'first of ' .. input.i)\n"
		 "    local a = assert(http.post('http://127.0.0.1:%d/x?ms=1&step=3&i=' .. input.i, { body = 'a' }))\n"
		 "    local b = assert(http.post('http://127.0.0.1:%d/x?ms=%d&step=4&i=' .. input.i, { body = 'b' }))\n"
		 "    local n2 = case.note(input.case, 'second of ' .. input.i)\n"
		 "    return { i = input.i, t0 = t0, a = a.status, b = b.status, n1 = n1, n2 = n2 }\n"
		 "  end }\n", port, port, SLOW_MS);
	load(&honest, "honest.lua", code);
	load(&spin, "spin.lua", "return { name = 'spin', run = function() while true do end end }");
	load(&spin_after_step, "spin_after_step.lua",
	     "return { name = 'spin_after_step', run = function()\n"
	     "  local t = time.now() while true do end end }");
	memset(&hostile_opt, 0, sizeof hostile_opt);
	sandbox_limits_default(&hostile_opt.limits);
	hostile_opt.limits.cpu_seconds = 0.1;

	struct runloop *rl = runloop_new(st, SOAR_SOURCE_LUA_DIR, err, sizeof err);
	CHECK(rl != NULL);
	if (!rl)
		return CHECK_DONE();
	double t0 = now();
	char input[128];
	for (int i = 0; i < RUNS; i++) {
		snprintf(input, sizeof input, "{\"case\":\"%s\",\"i\":%d}", ref, i);
		CHECK(runloop_start(rl, &honest, input, NULL, on_honest, &tally) == 0);
		if (i == RUNS / 4)     /* stop 2: when replayed (its step is recorded) */
			CHECK(runloop_start(rl, &spin_after_step, NULL, &hostile_opt, on_hostile,
					    &tally) == 0);
		if (i == RUNS / 2 - 1)          /* stop 1: here, on this thread */
			CHECK(runloop_start(rl, &spin, NULL, &hostile_opt, on_hostile, &tally) == 0);
	}

	struct poster p = { rl, 0, 0 };
	pthread_t th;
	CHECK(pthread_create(&th, NULL, poster_thread, &p) == 0);
	size_t ended = runloop_run(rl);
	atomic_store(&p.done, 1);
	pthread_join(th, NULL);
	double wall = now() - t0;
	struct runloop_stats rs;
	runloop_get_stats(rl, &rs);
	fprintf(stderr, "%d honest runs, 4 hard stops: %d succeeded, %d failed (%s); %.2f s\n"
		"loop: %zu hard stops, %zu runs orphaned, %zu replays in %.3f s\n", RUNS,
		tally.ok, tally.failed, tally.bad, wall, rs.hard_stops, rs.orphaned, rs.replayed,
		rs.replay_seconds);
	CHECK(rs.hard_stops == 4);
	/* Stops 1 and 2 take every honest run's coroutine between them (stop 1
	 * the first half's; stop 2 the second half's and those of the first
	 * half replayed before it), stops 3 and 4 every one's. */
	CHECK(rs.orphaned >= 3 * RUNS);
	CHECK(rs.replayed == rs.orphaned);
	CHECK(p.posted == 2);
	CHECK(ended == RUNS + 4);
	CHECK(tally.ok == RUNS);
	CHECK(tally.failed == 0);
	CHECK(tally.hostile_failed == 4);
	CHECK(tally.hostile_other == 0);
	CHECK_HAS(tally.hostile_msg, "CPU time limit exceeded");
	CHECK_HAS(tally.hostile_msg, "its interpreter was replaced");

	/* The store: each honest run succeeded with its five steps, each once; its
	 * result holds what the journal recorded (the replay returned it). */
	struct run_rec *runs = NULL;
	size_t nruns = 0, honest_ok = 0, hostile_failed = 0;
	CHECK(run_list(st, 0, 0, &runs, &nruns, err, sizeof err) == 0);
	static const char *names[] = { "time.now", "case.note", "http.request", "http.request",
				       "case.note" };
	for (size_t i = 0; i < nruns; i++) {
		struct run_rec *r = &runs[i];
		if (r->playbook && strcmp(r->playbook, "honest") == 0) {
			struct journal_entry *j = NULL;
			size_t nj = 0;
			CHECK(journal_load(st, r->id, &j, &nj, err, sizeof err) == 0);
			int good = r->status == RUN_SUCCEEDED && r->steps == 5 && nj == 5;
			for (size_t k = 0; good && k < nj; k++)
				good = j[k].no == k + 1 && strcmp(j[k].name, names[k]) == 0;
			if (good) {
				/* the result's t0 is the journal's step 1 ("[t]"), and its
				 * i its own input */
				const char *t = r->result_json ? strstr(r->result_json, "\"t0\":") : NULL;
				const char *ri = r->result_json ? strstr(r->result_json, "\"i\":") : NULL;
				const char *ii = r->inputs_json ? strstr(r->inputs_json, "\"i\":") : NULL;
				good = t && strtod(t + 5, NULL) == strtod(j[0].result_json + 1, NULL) &&
				       ri && ii && strtod(ri + 4, NULL) == strtod(ii + 4, NULL);
				if (!good)
					fprintf(stderr, "result %s, inputs %s, journal %s\n", r->result_json,
						r->inputs_json, j[0].result_json);
			}
			honest_ok += good;
			journal_entries_free(j, nj);
		} else if (r->playbook && strncmp(r->playbook, "spin", 4) == 0) {
			hostile_failed += r->status == RUN_FAILED && r->error_json &&
					  strstr(r->error_json, "\"kind\":\"cpu_limit\"");
		}
		run_rec_free(r);
	}
	free(runs);
	CHECK(honest_ok == RUNS);
	CHECK(hostile_failed == 4);

	/* The case: two notes a run, none written twice. */
	int notes = notes_on(st, ref);
	fprintf(stderr, "notes on the case: %d (want %d)\n", notes, 2 * RUNS);
	CHECK(notes == 2 * RUNS);

	/* The stand-in: step 3 (done before stops 3 and 4) once per run; step 4
	 * sent, cancelled by stop 3, sent again, cancelled by stop 4, sent again:
	 * three times, always with the same key. */
	size_t n;
	char **lines = read_log(&n);
	qsort(lines, n, sizeof *lines, cmp_str);
	size_t keys3 = 0, keys4 = 0, thrice4 = 0, bad = 0;
	for (size_t i = 0; i < n;) {
		size_t k = i + 1;
		while (k < n && strcmp(lines[k], lines[i]) == 0)
			k++;
		/* "TARGET <run id>-<step>" */
		const char *key = strrchr(lines[i], ' ');
		size_t kl = key ? strlen(key) : 0;
		if (strstr(lines[i], "step=3")) {
			keys3++;
			bad += k - i != 1 || kl != 39 || strcmp(key + 37, "-3") != 0;
		} else if (strstr(lines[i], "step=4")) {
			keys4++;
			thrice4 += k - i == 3;
			bad += k - i > 3 || kl != 39 || strcmp(key + 37, "-4") != 0;
		}
		i = k;
	}
	free_lines(lines, n);
	fprintf(stderr, "stand-in: %zu requests; step 3: %zu keys; step 4: %zu keys, %zu sent 3 times; "
		"%zu wrong\n", n, keys3, keys4, thrice4, bad);
	CHECK(keys3 == RUNS);
	CHECK(keys4 == RUNS);
	CHECK(bad == 0);
	/* Else the stops came too late to test what they should: the stand-in
	 * answers step 4 after 3 s, the stops come right after its request. */
	CHECK(thrice4 >= RUNS * 9 / 10);

	test_retry_timers(rl);
	runloop_free(rl);
	playbook_src_free(&honest);
	playbook_src_free(&spin);
	playbook_src_free(&spin_after_step);
	kill(standin_pid, SIGTERM);
	waitpid(standin_pid, NULL, 0);
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	int rc = CHECK_DONE();
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
