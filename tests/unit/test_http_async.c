/* test_http_async.c - http.request under the run loop: many durable runs wait on
 * a slow stand-in at once on one thread; refused connections, retries with
 * Retry-After (a loop timer) and egress refusals give what the blocking path
 * gives; runloop_post/serve/stop from another thread. Needs python3 (the
 * stand-in, tools/standins/standin.py). */
#include "check.h"
#include "datadir.h"
#include "engine.h"
#include "runloop.h"
#include "store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 200
#define DELAY_MS 300

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t standin_pid;

/* Starts the stand-in; returns its port, or 0. */
static int start_standin(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/../tools/standins/standin.py", SOAR_SOURCE_LUA_DIR);
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	standin_pid = fork();
	if (standin_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);     /* never outlives us */
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
	/* keep the pipe open: the stand-in may write more */
	return port;
}

/* A port nothing listens on. */
static int closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	bind(s, (struct sockaddr *)&a, sizeof a);
	getsockname(s, (struct sockaddr *)&a, &al);
	close(s);
	return ntohs(a.sin_port);
}

static struct playbook_src *load(const char *name, const char *body)
{
	static char code[8][2048];
	static struct playbook_src src[8];
	static int n;
	snprintf(code[n], sizeof code[n],
		 "return { name = '%s', hosts = { '127.0.0.1' }, run = function()\n%s\nend }\n", name, body);
	playbook_load_string(name, code[n], strlen(code[n]), &src[n]);
	return &src[n++];
}

struct tally {
	int ok, other;
	char last[512];
};

static void on_done(struct engine_run *e, int status, void *ud)
{
	struct tally *t = ud;
	if (status == RUN_SUCCEEDED)
		t->ok++;
	else
		t->other++;
	snprintf(t->last, sizeof t->last, "%s", status == RUN_SUCCEEDED && e->pb.result_json
		 ? e->pb.result_json : (e->pb.outcome.message ? e->pb.outcome.message : "?"));
	if (status != RUN_SUCCEEDED)
		fprintf(stderr, "run ended %d: %s\n", status, t->last);
}

/* Every run gets its answer; together they take about one delay, not RUNS. */
static void test_many(struct runloop *rl, int port)
{
	char body[512];
	snprintf(body, sizeof body,
		 "local r, err = http.get('http://127.0.0.1:%d/delay?ms=%d')\n"
		 "assert(r, err) assert(r.status == 200 and r.body == 'late', r.body)\n"
		 "return r.body", port, DELAY_MS);
	struct playbook_src *src = load("many", body);
	struct tally t = { 0 };
	double t0 = now();
	for (int i = 0; i < RUNS; i++)
		CHECK(runloop_start(rl, src, NULL, NULL, on_done, &t) == 0);
	CHECK(runloop_inflight(rl) == RUNS);
	size_t ended = runloop_run(rl);
	double wall = now() - t0;
	fprintf(stderr, "%d runs, each one request answered after %d ms: %.3f s\n", RUNS, DELAY_MS, wall);
	CHECK(ended == RUNS);
	CHECK(t.ok == RUNS);
	CHECK_STR(t.last, "\"late\"");
	/* Blocking, they would take RUNS x 0.3 s = 60 s. */
	CHECK(wall < 6.0);
	CHECK(runloop_inflight(rl) == 0);
}

/* Failures of the world are values, as in the blocking path; retries wait on
 * a loop timer. */
static void test_errors(struct runloop *rl, int port)
{
	char body[1024];
	struct tally t = { 0 };
	snprintf(body, sizeof body,
		 "local r, err, detail = http.get('http://127.0.0.1:%d/x', { connect_timeout = 2 })\n"
		 "return { r = r, err = err, detail = type(detail) }", closed_port());
	CHECK(runloop_start(rl, load("refused", body), NULL, NULL, on_done, &t) == 0);
	runloop_run(rl);
	CHECK(t.ok == 1);
	CHECK_STR(t.last, "{\"detail\":\"string\",\"err\":\"refused\"}");

	snprintf(body, sizeof body,
		 "local r, err = http.get('http://127.0.0.1:%d/limited?key=async%d&after=1')\n"
		 "return { status = r.status, attempts = r.attempts }", port, (int)getpid());
	memset(&t, 0, sizeof t);
	double t0 = now();
	CHECK(runloop_start(rl, load("retry", body), NULL, NULL, on_done, &t) == 0);
	runloop_run(rl);
	CHECK(t.ok == 1);
	CHECK_STR(t.last, "{\"attempts\":2,\"status\":200}");
	CHECK(now() - t0 >= 0.9);

	memset(&t, 0, sizeof t);
	CHECK(runloop_start(rl, load("denied", "local r, err = http.get('http://example.invalid/')\n"
				     "return err"), NULL, NULL, on_done, &t) == 0);
	runloop_run(rl);
	CHECK(t.ok == 1);
	CHECK_STR(t.last, "\"denied\"");

	/* Inside a coroutine the run made, the request blocks, and still works. */
	snprintf(body, sizeof body,
		 "local co = coroutine.wrap(function() return http.get('http://127.0.0.1:%d/ok') end)\n"
		 "local r = co() return r.body", port);
	memset(&t, 0, sizeof t);
	CHECK(runloop_start(rl, load("coro", body), NULL, NULL, on_done, &t) == 0);
	runloop_run(rl);
	CHECK(t.ok == 1);
	CHECK_STR(t.last, "\"ok\"");
}

/* A daemon worker: another thread posts runs and stops the loop. */
struct poster {
	struct runloop *rl;
	struct playbook_src *src;
	struct tally *t;
};

static void start_posted(struct runloop *rl, void *arg)
{
	struct poster *p = arg;
	CHECK(runloop_start(rl, p->src, NULL, NULL, on_done, p->t) == 0);
}

static void *poster_thread(void *arg)
{
	struct poster *p = arg;
	usleep(50000);
	for (int i = 0; i < 10; i++)
		CHECK(runloop_post(p->rl, start_posted, p) == 0);
	usleep(50000);
	runloop_stop(p->rl);
	return NULL;
}

static void test_serve(struct runloop *rl, int port)
{
	char body[512];
	snprintf(body, sizeof body, "return http.get('http://127.0.0.1:%d/delay?ms=200').body", port);
	struct tally t = { 0 };
	struct poster p = { rl, load("served", body), &t };
	pthread_t th;
	pthread_create(&th, NULL, poster_thread, &p);
	size_t ended = runloop_serve(rl);
	pthread_join(th, NULL);
	CHECK(ended == 10);
	CHECK(t.ok == 10);
	CHECK_STR(t.last, "\"late\"");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int port = start_standin();
	if (!port) {
		fprintf(stderr, "cannot start the stand-in (python3)\n");
		return 1;
	}
	char dir[256], err[512];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/soarctl-test-http-async-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	CHECK(st != NULL);
	struct runloop *rl = st ? runloop_new(st, NULL, err, sizeof err) : NULL;
	CHECK(rl != NULL);
	if (rl) {
		test_many(rl, port);
		test_errors(rl, port);
		test_serve(rl, port);
		runloop_free(rl);
	} else {
		fprintf(stderr, "%s\n", err);
	}
	kill(standin_pid, SIGTERM);
	waitpid(standin_pid, NULL, 0);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
