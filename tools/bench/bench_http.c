/* bench_http.c - HTTP figures for docs/PERFORMANCE.md.
 *
 *   bench_http rate [SECONDS]      requests/s on one thread against a fast loopback
 *                                  server (in this process, its own thread): bare
 *                                  libcurl (one easy handle, keep-alive), http_perform,
 *                                  and http.request from a sandboxed Lua run (the
 *                                  step's cost: argument checks, egress, Lua tables)
 *   bench_http wait [N] [MS]       N concurrent requests to a server answering after
 *                                  MS ms (default 1000, 200): bare http_perform, one
 *                                  thread per waiting request; prints the wall time
 *   bench_http loop [N] [MS] [SYNC_THREADS]
 *                                  N concurrent durable runs (default 1000), each one
 *                                  http.get to a slow stand-in's /delay?ms=MS
 *                                  (default 200): on one run loop (runloop.h, libcurl
 *                                  multi), then the sync baseline: the same runs
 *                                  blocking, one thread and interpreter each (at most
 *                                  SYNC_THREADS threads, default N; 0 skips it). Time
 *                                  until all are done and resident memory, medians
 *                                  of 5 (BENCH_ROUNDS). Store: a scratch data
 *                                  directory in $TMPDIR.
 *                                  The fifth argument picks the stand-in: `c`
 *                                  (default: tools/standins/slow.c, built as
 *                                  standin_slow), `py` (slow.py, asyncio) or
 *                                  `inproc` (this program's epoll server thread).
 *                                  Per round on stderr: when all runs had started,
 *                                  the first answer, the loop thread's CPU time, the
 *                                  resident size then and its peak in the round.
 *                                  BENCH_DETAIL=1: also malloc'd bytes and the Lua
 *                                  heap (the playbook reports collectgarbage("count"));
 *                                  BENCH_STANDIN_STATS=1: the C stand-in prints what
 *                                  it accepted, read and answered every 100 ms.
 *
 * The server: one epoll thread, keep-alive, a fixed 2-byte JSON answer, optional
 * delay per request (a timer list). Everything on 127.0.0.1.
 */
#include "datadir.h"
#include "engine.h"
#include "http.h"
#include "http_scope.h"
#include "playbook.h"
#include "runloop.h"
#include "sandbox.h"
#include "store.h"

#include <lauxlib.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int server_port;
static int delay_ms;

/* CPU seconds of the calling thread (the run loop's): what the loop costs, less
 * swayed by a busy machine than wall time. */
static double thread_cpu(void)
{
	struct rusage u;
	getrusage(RUSAGE_THREAD, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MAXFD 65536
static double due[MAXFD];          /* when to answer fd (0 = nothing pending) */
static int max_fd;

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 2\r\n\r\n{}";

static void *server(void *arg)
{
	(void)arg;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4096) != 0)
		abort();
	getsockname(ls, (struct sockaddr *)&a, &al);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	__atomic_store_n(&server_port, ntohs(a.sin_port), __ATOMIC_RELEASE);
	struct epoll_event evs[256];
	char buf[8192];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, delay_ms ? 1 : 100);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= MAXFD) {
						close(c);
						continue;
					}
					if (c > max_fd)
						max_fd = c;
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				due[fd] = 0;
				close(fd);
				continue;
			}
			/* one request per read: good enough for curl's small GETs */
			if (delay_ms)
				due[fd] = now() + delay_ms / 1000.0;
			else if (write(fd, reply, sizeof reply - 1) < 0)
				close(fd);
		}
		if (delay_ms) {
			double t = now();
			for (int fd = 0; fd <= max_fd; fd++)
				if (due[fd] && due[fd] <= t) {
					due[fd] = 0;
					if (write(fd, reply, sizeof reply - 1) < 0)
						close(fd);
				}
		}
	}
	return NULL;
}

static void start_server(void)
{
	pthread_t t;
	pthread_create(&t, NULL, server, NULL);
	while (!__atomic_load_n(&server_port, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return s * n;
}

static double bare(const char *url, double secs)
{
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	long n = 0;
	double t0 = now();
	while (now() - t0 < secs) {
		if (curl_easy_perform(c) != CURLE_OK)
			abort();
		n++;
	}
	double rate = (double)n / (now() - t0);
	curl_easy_cleanup(c);
	return rate;
}

static double wrapped(const char *url, double secs)
{
	long n = 0;
	double t0 = now();
	char detail[256];
	while (now() - t0 < secs) {
		struct http_request req = { .url = url, .retries = -1, .backoff = -1 };
		struct http_response r;
		if (http_perform(&req, &r, detail, sizeof detail) != HTTP_OK)
			abort();
		http_response_clear(&r);
		n++;
	}
	return (double)n / (now() - t0);
}

/* A sandboxed run doing http.request in a loop through a scope that allows
 * 127.0.0.1 (what an integration's http is). */
struct lua_job {
	struct run_info info;
	const char *url;
	double secs;
	long n;
};

static int prepare(lua_State *L, int env, void *ud)
{
	struct lua_job *j = ud;
	struct http_scope *s = http_scope_push(L);
	char err[128];
	egress_add(&s->egress, "127.0.0.1", err, sizeof err);
	snprintf(s->egress.who, sizeof s->egress.who, "bench");
	http_push_namespace(L, lua_gettop(L));
	lua_setfield(L, env, "http");
	lua_pop(L, 1);
	const char *code =
		"local url, secs = ... local n, t0 = 0, os.clock() local deadline = os.time() + secs "
		"local start = os.time() while os.time() < deadline or n == 0 do "
		"local r = http.request{ url = url } assert(r.status == 200) n = n + 1 end return n";
	if (luaL_loadstring(L, code) != 0)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	lua_pushstring(L, j->url);
	lua_pushnumber(L, j->secs);
	return 2;
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct lua_job *j = ud;
	j->n = nres ? (long)lua_tonumber(L, -1) : 0;
	return 0;
}

static double in_lua(const char *url, double secs)
{
	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	if (!sb) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	struct lua_job j;
	memset(&j, 0, sizeof j);
	j.url = url;
	j.secs = secs;
	struct sandbox_job job = { prepare, finish, &j };
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.wall_seconds = secs + 30;
	lim.cpu_seconds = secs + 30;
	struct sandbox_outcome out;
	double t0 = now();
	if (sandbox_exec(sb, &job, &lim, &out) != SANDBOX_OK) {
		fprintf(stderr, "lua run failed: %s\n", out.message);
		exit(1);
	}
	double rate = (double)j.n / (now() - t0);
	sandbox_outcome_clear(&out);
	sandbox_free(sb);
	return rate;
}

static char wait_url[128];

static void *one_wait(void *arg)
{
	(void)arg;
	char detail[256];
	struct http_request req = { .url = wait_url, .retries = 0, .timeout = 30 };
	struct http_response r;
	if (http_perform(&req, &r, detail, sizeof detail) != HTTP_OK) {
		fprintf(stderr, "request failed: %s\n", detail);
		return (void *)1;
	}
	http_response_clear(&r);
	return NULL;
}

/* ---- loop: durable runs on one run loop against a stand-in process ---- */

static pid_t standin_pid;

/* The stand-in in its own process, so that it does not share our memory figure; the
 * C one by default: slow.py spent seconds accepting 10,000 connections, time that
 * would be counted as the runtime's. */
static int start_standin(int python)
{
	char path[4096];
	if (python) {
		snprintf(path, sizeof path, "%s/../tools/standins/slow.py", SOAR_SOURCE_LUA_DIR);
	} else {
		/* built next to us: BUILD/tools/bench/bench_http, BUILD/tools/standins/ */
		char self[2048];
		ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
		if (k <= 0)
			return 0;
		self[k] = 0;
		char *slash = strrchr(self, '/');
		*slash = 0;
		snprintf(path, sizeof path, "%s/../standins/standin_slow", self);
	}
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	standin_pid = fork();
	if (standin_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);     /* never outlives us */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (python)
			execlp("python3", "python3", path, (char *)NULL);
		else if (getenv("BENCH_STANDIN_STATS"))
			execl(path, path, "--stats", (char *)NULL);
		else
			execl(path, path, (char *)NULL);
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

static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256], fmt[64];
	long kib = -1;
	snprintf(fmt, sizeof fmt, "%s: %%ld", field);
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, fmt, &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static long rss_kib(void)
{
	return status_kib("VmRSS");
}

/* The peak resident size (VmHWM) counts from here: the kernel resets it. */
static void reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

/* Bytes malloc hands out now (arenas and mmap'd blocks): libcurl, the runs'
 * C state, the journal. The Lua heap is not in it (sandbox/heap.c maps its own). */
static double malloc_mib(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (double)(mi.uordblks + mi.hblkhd) / (1 << 20);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median5(double *v)
{
	qsort(v, 5, sizeof *v, cmp_double);
	return v[2];
}

/* The median of n (sorts v). */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int loop_ok, loop_failed, loop_detail;
static double loop_first_end, loop_lua_kib, loop_first_rss, loop_first_malloc;
static long loop_anon_kib, loop_file_kib;

static void loop_done(struct engine_run *e, int status, void *ud)
{
	(void)ud;
	if (!loop_first_end) {
		/* every other run connected and waiting for its answer */
		loop_first_end = now();
		/* Resident memory splits into the process's own (anonymous: malloc, the
		 * Lua heap) and file pages: the store's map, which grows with the runs
		 * recorded round after round. */
		loop_anon_kib = status_kib("RssAnon");
		loop_file_kib = status_kib("RssFile");
		if (loop_detail) {
			loop_first_rss = (double)rss_kib() / 1024;
			loop_first_malloc = malloc_mib();
		}
	}
	/* BENCH_DETAIL: the playbook returns the Lua heap it saw before its request;
	 * the largest is the heap with (nearly) every run waiting */
	const char *kb = loop_detail && e->pb.result_json ? strstr(e->pb.result_json, "\"kb\":") : NULL;
	if (kb && atof(kb + 5) > loop_lua_kib)
		loop_lua_kib = atof(kb + 5);
	if (status == RUN_SUCCEEDED) {
		loop_ok++;
	} else {
		if (loop_failed++ < 3)
			fprintf(stderr, "run ended %d: %s\n", status, e->pb.outcome.message);
	}
}

struct sync_worker {
	struct store *st;
	struct playbook_src *src;
	int runs, failed;
	pthread_barrier_t *go;
};

static void *sync_worker(void *arg)
{
	struct sync_worker *w = arg;
	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	pthread_barrier_wait(w->go);
	for (int i = 0; i < w->runs; i++) {
		struct engine_run e;
		if (!sb || engine_start(sb, w->st, w->src, NULL, 0, NULL, NULL, &e) != RUN_SUCCEEDED)
			w->failed++;
		if (sb)
			engine_run_clear(&e);
	}
	pthread_barrier_wait(w->go);    /* all done: the main thread reads memory */
	pthread_barrier_wait(w->go);
	sandbox_free(sb);
	return NULL;
}

static void stop_standin(void)
{
	if (standin_pid > 0) {
		kill(standin_pid, SIGTERM);
		waitpid(standin_pid, NULL, 0);
		standin_pid = 0;
	}
}

enum standin { STANDIN_C, STANDIN_PY, STANDIN_INPROC };

static int bench_loop(int n, int ms, int sync_threads, enum standin which)
{
	int inproc = which == STANDIN_INPROC;
	signal(SIGPIPE, SIG_IGN);
	int port;
	if (inproc) {
		delay_ms = ms;
		start_server();
		port = server_port;
	} else {
		port = start_standin(which == STANDIN_PY);
		atexit(stop_standin);
	}
	if (!port) {
		fprintf(stderr, "cannot start the stand-in (%s)\n", which == STANDIN_PY ?
			"tools/standins/slow.py, python3" : "standin_slow, built with the benches");
		return 1;
	}
	char dir[256], err[512];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/soarctl-bench-http-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	char code[512];
	loop_detail = getenv("BENCH_DETAIL") != NULL;
	if (loop_detail)
		snprintf(code, sizeof code,
			 "return { name = 'wait', hosts = { '127.0.0.1' }, run = function()\n"
			 "  local kb = collectgarbage('count')\n"
			 "  local r, err = http.get('http://127.0.0.1:%d/delay?ms=%d')\n"
			 "  assert(r and r.status == 200, err) return { body = r.body, kb = kb } end }\n",
			 port, ms);
	else
		snprintf(code, sizeof code,
			 "return { name = 'wait', hosts = { '127.0.0.1' }, run = function()\n"
			 "  local r, err = http.get('http://127.0.0.1:%d/delay?ms=%d')\n"
			 "  assert(r and r.status == 200, err) return r.body end }\n", port, ms);
	struct playbook_src src;
	playbook_load_string("wait.lua", code, strlen(code), &src);
	long base = rss_kib();
	struct runloop *rl = runloop_new(st, NULL, err, sizeof err);
	if (!rl) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* BENCH_ROUNDS (default 5, at most 50): more rounds on one loop show whether
	 * memory settles */
	int rounds = getenv("BENCH_ROUNDS") ? atoi(getenv("BENCH_ROUNDS")) : 5;
	if (rounds < 1 || rounds > 50)
		rounds = 5;
	double t_loop[50], rss_loop[50], hwm_loop[50], cpu_loop[50], anon_loop[50], t_sync[5], rss_sync[5];
	for (int r = 0; r < rounds; r++) {
		loop_ok = loop_failed = 0;
		loop_first_end = 0;
		loop_lua_kib = 0;
		reset_peak();
		double t0 = now(), c0 = thread_cpu();
		for (int i = 0; i < n; i++)
			runloop_start(rl, &src, NULL, NULL, loop_done, NULL);
		double started = now() - t0;
		rss_loop[r] = (double)rss_kib();      /* every run suspended on its request */
		double malloc_started = loop_detail ? malloc_mib() : 0;
		runloop_run(rl);
		t_loop[r] = now() - t0;
		cpu_loop[r] = thread_cpu() - c0;
		anon_loop[r] = (double)loop_anon_kib;
		hwm_loop[r] = (double)status_kib("VmHWM");
		if (loop_detail)
			fprintf(stderr, "  (malloc'd %.0f MiB when all started, %.0f MiB and %.0f MiB "
				"resident at the first answer; Lua heap %.0f MiB)\n", malloc_started,
				loop_first_malloc, loop_first_rss, loop_lua_kib / 1024);
		fprintf(stderr, "  (started at %.3f s monotonic; all started after %.3f s, first ended "
			"after %.3f s)\n", t0, started, loop_first_end - t0);
		if (loop_ok != n) {
			fprintf(stderr, "only %d of %d runs succeeded\n", loop_ok, n);
			return 1;
		}
		fprintf(stderr, "loop round %d: %.3f s (loop thread CPU %.3f s), %.0f MiB resident when "
			"all started, peak %.0f MiB; at the first answer %.0f MiB anonymous + %.0f MiB "
			"file (the store's map)\n", r + 1, t_loop[r], cpu_loop[r], rss_loop[r] / 1024,
			hwm_loop[r] / 1024, anon_loop[r] / 1024, (double)loop_file_kib / 1024);
	}
	runloop_free(rl);
	double med = median(t_loop, rounds), med_rss = median(rss_loop, rounds);
	double med_hwm = median(hwm_loop, rounds), med_cpu = median(cpu_loop, rounds);
	double med_anon = median(anon_loop, rounds);
	printf("%d concurrent durable runs, one http.get each to a stand-in answering after %d ms:\n", n, ms);
	printf("  run loop, one thread:     all done in %.3f s (median of %d; min %.3f, max %.3f), "
	       "%.0f MiB resident with all %d started, peak %.0f MiB in a round (max %.0f; "
	       "%.0f MiB before the loop), %.0f MiB anonymous with all waiting (max %.0f); "
	       "loop thread CPU %.3f s a round (median)\n",
	       med, rounds, t_loop[0], t_loop[rounds - 1], med_rss / 1024, n, med_hwm / 1024,
	       hwm_loop[rounds - 1] / 1024, (double)base / 1024, med_anon / 1024,
	       anon_loop[rounds - 1] / 1024, med_cpu);
	if (sync_threads <= 0)
		return 0;
	int threads = sync_threads < n ? sync_threads : n;
	for (int r = 0; r < 5; r++) {
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
		struct sync_worker *w = calloc((size_t)threads, sizeof *w);
		pthread_t *t = calloc((size_t)threads, sizeof *t);
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 1 << 20);
		for (int i = 0; i < threads; i++) {
			w[i] = (struct sync_worker){ st, &src, n / threads + (i < n % threads), 0, &go };
			pthread_create(&t[i], &attr, sync_worker, &w[i]);
		}
		pthread_barrier_wait(&go);            /* every interpreter made */
		double t0 = now();
		pthread_barrier_wait(&go);            /* every run done */
		t_sync[r] = now() - t0;
		rss_sync[r] = (double)rss_kib();
		pthread_barrier_wait(&go);
		int failed = 0;
		for (int i = 0; i < threads; i++) {
			pthread_join(t[i], NULL);
			failed += w[i].failed;
		}
		pthread_barrier_destroy(&go);
		free(w);
		free(t);
		if (failed) {
			fprintf(stderr, "sync: %d runs failed\n", failed);
			return 1;
		}
		fprintf(stderr, "sync round %d: %.3f s, %.0f MiB resident\n", r + 1, t_sync[r], rss_sync[r] / 1024);
	}
	med = median5(t_sync);
	med_rss = median5(rss_sync);
	printf("  sync, %d threads (one interpreter each, blocking http): all done in %.3f s "
	       "(median of 5; min %.3f, max %.3f), %.0f MiB resident\n", threads,
	       med, t_sync[0], t_sync[4], med_rss / 1024);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "rate";
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(mode, "rate") == 0) {
		double secs = argc > 2 ? atof(argv[2]) : 2;
		start_server();
		char url[128];
		snprintf(url, sizeof url, "http://127.0.0.1:%d/x", server_port);
		double a = bare(url, secs), b = wrapped(url, secs), c = in_lua(url, secs);
		printf("bare libcurl        %8.0f req/s  %6.1f us/req\n", a, 1e6 / a);
		printf("http_perform        %8.0f req/s  %6.1f us/req\n", b, 1e6 / b);
		printf("http.request (Lua)  %8.0f req/s  %6.1f us/req  (step overhead %.1f us)\n", c, 1e6 / c,
		       1e6 / c - 1e6 / a);
		return 0;
	}
	if (strcmp(mode, "loop") == 0) {
		int n = argc > 2 ? atoi(argv[2]) : 1000;
		const char *which = argc > 5 ? argv[5] : "c";
		enum standin w = strcmp(which, "inproc") == 0 ? STANDIN_INPROC :
				 strcmp(which, "py") == 0 ? STANDIN_PY : STANDIN_C;
		if (w == STANDIN_C && strcmp(which, "c") != 0) {
			fprintf(stderr, "bench_http loop: stand-in is c, py or inproc\n");
			return 2;
		}
		return bench_loop(n, argc > 3 ? atoi(argv[3]) : 200, argc > 4 ? atoi(argv[4]) : n, w);
	}
	int n = argc > 2 ? atoi(argv[2]) : 1000;
	delay_ms = argc > 3 ? atoi(argv[3]) : 200;
	start_server();
	snprintf(wait_url, sizeof wait_url, "http://127.0.0.1:%d/slow", server_port);
	pthread_t *t = calloc((size_t)n, sizeof *t);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	double t0 = now();
	int started = 0;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, one_wait, NULL) == 0)
			started++;
	int failed = 0;
	for (int i = 0; i < started; i++) {
		void *rv;
		pthread_join(t[i], &rv);
		failed += rv != NULL;
	}
	printf("%d concurrent requests (%d threads), each answered after %d ms: all done in %.3f s, "
	       "%d failed\n", n, started, delay_ms, now() - t0, failed + (n - started));
	free(t);
	return 0;
}
