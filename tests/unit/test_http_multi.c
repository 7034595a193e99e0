/* test_http_multi.c - the transfers' set of a run loop (http_multi.h), against a
 * server thread in this process:
 * - hundreds of transfers at once, over several multi handles (shards), all come
 *   back once, with their own answers;
 * - a body far larger than the 1 KiB receive buffer of a crowded set arrives
 *   whole, and the max_bytes cap still holds;
 * - a few transfers one after another reuse one connection (keep-alive is not
 *   lost to sharding);
 * - transfers taken out mid-flight leave nothing behind (ASan), and those left
 *   finish;
 * - a refused connection comes back as a failure, not a hang;
 * - a server that never answers ends in a timeout: libcurl's timers fire with no
 *   socket event (http_multi_timeout/drive). */
#include "check.h"
#include "http.h"
#include "http_multi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, accepts;

/* GET /size/N answers N bytes of 'x'; /id/N answers "N"; /hold never answers.
 * One request per read is enough for libcurl's small GETs. */
static void *server(void *arg)
{
	(void)arg;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4096) != 0)
		abort();
	getsockname(ls, (struct sockaddr *)&a, &al);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	__atomic_store_n(&port, ntohs(a.sin_port), __ATOMIC_RELEASE);
	static char big[1 << 20];
	memset(big, 'x', sizeof big);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c = accept(ls, NULL, NULL);
				if (c >= 0) {
					__atomic_add_fetch(&accepts, 1, __ATOMIC_RELAXED);
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			char req[4096];
			ssize_t r = read(fd, req, sizeof req - 1);
			if (r <= 0) {
				close(fd);
				continue;
			}
			req[r] = 0;
			char head[256];
			const char *body = NULL;
			size_t len = 0;
			char idb[32];
			if (strncmp(req, "GET /size/", 10) == 0) {
				len = strtoul(req + 10, NULL, 10);
				body = big;
			} else if (strncmp(req, "GET /id/", 8) == 0) {
				len = (size_t)snprintf(idb, sizeof idb, "%ld", strtol(req + 8, NULL, 10));
				body = idb;
			} else {
				continue;            /* /hold */
			}
			int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", len);
			/* blocking writes: the client reads while it drives its set */
			if (write(fd, head, (size_t)hl) < 0)
				continue;
			for (size_t off = 0; off < len;) {
				ssize_t w = write(fd, body + off, len - off);
				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A transfer of a test: the ud given to the set, where drive() puts its outcome. */
struct slot {
	struct http_xfer *x;
	int done;
	enum http_err e;
	struct http_response resp;
};

/* Drives until `want` transfers came back or `secs` passed. */
static int drive(struct http_multi *m, int want, double secs)
{
	int got = 0;
	double end = now() + secs;
	while (got < want && now() < end) {
		struct pollfd p = { .fd = http_multi_fd(m), .events = POLLIN };
		int t = http_multi_timeout(m);
		poll(&p, 1, t < 0 || t > 50 ? 50 : t);
		http_multi_drive(m);
		struct http_xfer *x;
		int code;
		void *ud;
		while ((x = http_multi_done(m, &code, &ud))) {
			struct slot *s = ud;
			CHECK(s->x == x);
			CHECK(!s->done);               /* once */
			enum http_xfer_next next = http_xfer_done(x, code);
			CHECK(next == HTTP_XFER_DONE);
			char detail[256];
			s->e = http_xfer_result(x, &s->resp, detail, sizeof detail);
			s->done = 1;
			got++;
		}
	}
	return got;
}

static struct http_xfer *new_xfer(const char *path, size_t max_bytes)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	struct http_request req = { .url = url, .retries = 0, .backoff = -1, .timeout = 20,
				    .max_bytes = max_bytes };
	return http_xfer_new(&req);
}

static void clear(struct slot *s, int n)
{
	for (int i = 0; i < n; i++) {
		http_response_clear(&s[i].resp);
		http_xfer_free(s[i].x);
		memset(&s[i], 0, sizeof s[i]);
	}
}

/* More transfers than HTTP_MULTI_SMALL_BUFFERS, so that the last ones get 1 KiB
 * buffers, and more than one shard; one of the last fetches 300 KB, one 300 KB
 * under a 100 KB cap. */
static void test_many(struct http_multi *m)
{
	enum { N = HTTP_MULTI_SMALL_BUFFERS + 100 };
	static struct slot s[N];
	char path[64];
	for (int i = 0; i < N; i++) {
		if (i == N - 2)
			snprintf(path, sizeof path, "/size/300000");
		else if (i == N - 1)
			snprintf(path, sizeof path, "/size/300001");
		else
			snprintf(path, sizeof path, "/id/%d", i);
		s[i].x = new_xfer(path, i == N - 1 ? 100000 : 0);
		CHECK(s[i].x != NULL);
		CHECK(http_multi_add(m, s[i].x, &s[i]) == 0);
	}
	CHECK(drive(m, N, 60) == N);
	int wrong = 0;
	for (int i = 0; i < N - 2; i++) {
		char want[32];
		snprintf(want, sizeof want, "%d", i);
		if (s[i].e != HTTP_OK || s[i].resp.status != 200 || !s[i].resp.body ||
		    strcmp(s[i].resp.body, want) != 0)
			wrong++;
	}
	CHECK(wrong == 0);
	CHECK(s[N - 2].e == HTTP_OK);
	CHECK(s[N - 2].resp.body_len == 300000);
	int xs = 1;
	for (size_t k = 0; s[N - 2].resp.body && k < s[N - 2].resp.body_len; k++)
		xs &= s[N - 2].resp.body[k] == 'x';
	CHECK(xs);
	CHECK(s[N - 1].e == HTTP_ETOO_LARGE);
	clear(s, N);
}

/* One after another: one connection. */
static void test_keepalive(struct http_multi *m)
{
	int before = __atomic_load_n(&accepts, __ATOMIC_RELAXED);
	for (int i = 0; i < 5; i++) {
		struct slot s = { 0 };
		s.x = new_xfer("/id/7", 0);
		CHECK(http_multi_add(m, s.x, &s) == 0);
		CHECK(drive(m, 1, 10) == 1);
		CHECK(s.e == HTTP_OK && s.resp.body && strcmp(s.resp.body, "7") == 0);
		clear(&s, 1);
	}
	/* The first may find a connection left by test_many; at most one new. */
	CHECK(__atomic_load_n(&accepts, __ATOMIC_RELAXED) - before <= 1);
}

/* Taken out before an answer: gone for good; the rest still finish. */
static void test_remove(struct http_multi *m)
{
	enum { N = 300 };
	static struct slot s[N];
	for (int i = 0; i < N; i++) {
		s[i].x = new_xfer(i % 2 ? "/hold" : "/id/1", 0);
		CHECK(http_multi_add(m, s[i].x, &s[i]) == 0);
	}
	/* let them connect and send */
	drive(m, N + 1, 0.3);
	for (int i = 1; i < N; i += 2) {
		http_multi_remove(m, s[i].x);
		http_multi_remove(m, s[i].x);      /* twice: harmless */
		http_xfer_free(s[i].x);
		s[i].x = NULL;
	}
	int done = 0;
	for (int i = 0; i < N; i += 2)
		done += s[i].done;
	CHECK(drive(m, N / 2 - done, 20) == N / 2 - done);
	for (int i = 1; i < N; i += 2)
		CHECK(!s[i].done);
	clear(s, N);
}

static void test_refused(struct http_multi *m)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	bind(fd, (struct sockaddr *)&a, sizeof a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);                              /* nothing listens there now */
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
	struct http_request req = { .url = url, .retries = 0, .backoff = -1, .timeout = 5 };
	struct slot s = { 0 };
	s.x = http_xfer_new(&req);
	CHECK(http_multi_add(m, s.x, &s) == 0);
	CHECK(drive(m, 1, 10) == 1);
	CHECK(s.e == HTTP_EREFUSED);
	clear(&s, 1);
}

static void test_timeout(struct http_multi *m)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hold", port);
	struct http_request req = { .url = url, .retries = 0, .backoff = -1, .timeout = 0.5 };
	struct slot s = { 0 };
	s.x = http_xfer_new(&req);
	double t0 = now();
	CHECK(http_multi_add(m, s.x, &s) == 0);
	CHECK(http_multi_timeout(m) >= 0);          /* libcurl wants to start it */
	CHECK(drive(m, 1, 10) == 1);
	double took = now() - t0;
	CHECK(s.e == HTTP_ETIMEOUT);
	CHECK(took >= 0.45 && took < 3);
	clear(&s, 1);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	pthread_t t;
	pthread_create(&t, NULL, server, NULL);
	while (!__atomic_load_n(&port, __ATOMIC_ACQUIRE))
		usleep(1000);
	struct http_multi *m = http_multi_new();
	CHECK(m != NULL);
	if (!m)
		return CHECK_DONE();
	CHECK(http_multi_timeout(m) == -1);       /* nothing to wait for */
	test_many(m);
	test_keepalive(m);
	test_remove(m);
	test_refused(m);
	test_timeout(m);
	http_multi_free(m);
	return CHECK_DONE();
}
