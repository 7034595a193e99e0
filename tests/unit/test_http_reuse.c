/* test_http_reuse.c - a transfer's easy handle, kept for the thread's next
 * transfer (http.c), carries nothing of its previous request into the next one.
 * A hostile previous request sets all it can: method, body, request headers
 * (an Authorization, a Cookie, an Expect), a short timeout, a tiny max_bytes, a
 * HEAD (no body wanted); its answer sets a cookie. The next transfer, a plain
 * GET made on the same handle (checked: else this test proves nothing), must
 * go out as a bare GET and read its whole answer. A server thread in this
 * process records each request as it came on the wire. */
#include "check.h"
#include "http.h"
#include "http_multi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char last[8192];              /* the last request: head and body */

/* One thread per connection, one request at a time (keep-alive). Every answer
 * sets a cookie and has a 2,000-byte body of 'y' (none for HEAD). */
static void *conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[8192];
	size_t have = 0;
	for (;;) {
		char *end;
		while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			ssize_t r = have < sizeof buf ? read(fd, buf + have, sizeof buf - have) : -1;
			if (r <= 0)
				goto out;
			have += (size_t)r;
		}
		size_t head = (size_t)(end + 4 - buf), clen = 0;
		const char *cl = strcasestr(buf, "\r\ncontent-length:");
		if (cl && cl < end)
			clen = strtoul(cl + 17, NULL, 10);
		while (have < head + clen) {
			ssize_t r = have < sizeof buf ? read(fd, buf + have, sizeof buf - have) : -1;
			if (r <= 0)
				goto out;
			have += (size_t)r;
		}
		pthread_mutex_lock(&mu);
		memcpy(last, buf, head + clen);
		last[head + clen] = 0;
		pthread_mutex_unlock(&mu);
		int is_head = strncmp(buf, "HEAD ", 5) == 0;
		if (strncmp(buf, "GET /hold", 9) == 0)
			usleep(600000);           /* past the hostile request's timeout */
		static char body[2000];
		memset(body, 'y', sizeof body);
		char h[256];
		int hl = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nSet-Cookie: sess=stolen; Path=/\r\n"
				  "Content-Length: %zu\r\n\r\n", sizeof body);
		if (write(fd, h, (size_t)hl) < 0 || (!is_head && write(fd, body, sizeof body) < 0))
			goto out;
		memmove(buf, buf + head + clen, have - head - clen);
		have -= head + clen;
	}
out:
	close(fd);
	return NULL;
}

static void *server(void *arg)
{
	(void)arg;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0)
		abort();
	getsockname(ls, (struct sockaddr *)&a, &al);
	__atomic_store_n(&port, ntohs(a.sin_port), __ATOMIC_RELEASE);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		pthread_t t;
		pthread_create(&t, NULL, conn, (void *)(intptr_t)c);
		pthread_detach(t);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs x alone in m to its end; its outcome in resp. */
static enum http_err run(struct http_multi *m, struct http_xfer *x, struct http_response *resp)
{
	int tag, code = -1;
	CHECK(http_multi_add(m, x, &tag) == 0);
	double end = now() + 10;
	struct http_xfer *done = NULL;
	while (!done && now() < end) {
		struct pollfd p = { .fd = http_multi_fd(m), .events = POLLIN };
		int t = http_multi_timeout(m);
		poll(&p, 1, t < 0 || t > 50 ? 50 : t);
		http_multi_drive(m);
		void *ud;
		done = http_multi_done(m, &code, &ud);
	}
	CHECK(done == x);
	if (done != x)
		return HTTP_EPROTO;
	CHECK(http_xfer_done(x, code) == HTTP_XFER_DONE);
	char detail[256];
	return http_xfer_result(x, resp, detail, sizeof detail);
}

static char url[128];

static const char *at(const char *path)
{
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	return url;
}

/* The plain GET after a hostile request `bad` ran on the thread's handle. */
static void check_clean(struct http_multi *m, const struct http_request *bad, int bad_ok)
{
	struct http_response resp;
	struct http_xfer *x = http_xfer_new(bad);
	CHECK(x != NULL);
	if (!x)
		return;
	void *easy = http_xfer_easy(x);
	enum http_err e = run(m, x, &resp);
	CHECK(bad_ok ? e == HTTP_OK : e != HTTP_OK);
	http_response_clear(&resp);
	http_xfer_free(x);

	struct http_request good = { .url = at("/good"), .retries = 0, .backoff = -1, .timeout = 10 };
	x = http_xfer_new(&good);
	CHECK(x != NULL);
	if (!x)
		return;
	CHECK(http_xfer_easy(x) == easy);     /* the same handle, else nothing is tested */
	e = run(m, x, &resp);
	CHECK(e == HTTP_OK);
	CHECK(resp.status == 200);
	CHECK(resp.body_len == 2000);         /* not a HEAD, not cut to max_bytes */
	http_response_clear(&resp);
	http_xfer_free(x);

	pthread_mutex_lock(&mu);
	char req[sizeof last];
	memcpy(req, last, sizeof req);
	pthread_mutex_unlock(&mu);
	CHECK(strncmp(req, "GET /good HTTP/1.1\r\n", 20) == 0);
	static const char *const never[] = {
		"authorization", "cookie", "x-secret", "content-length", "content-type",
		"expect", "transfer-encoding", "secret-body", "stolen", "evil-agent",
	};
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
		if (strcasestr(req, never[i])) {
			fprintf(stderr, "carried over: %s in\n%s\n", never[i], req);
			CHECK(0);
		}
	}
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

	/* A PUT with a body and secrets in its headers. */
	const char *hdrs[] = { "Authorization: Basic c2VjcmV0OnNlY3JldA==", "Cookie: a=secret",
			       "X-Secret: 1", "Expect: 100-continue", "User-Agent: evil-agent",
			       "Content-Type: text/secret" };
	struct http_request put = { .url = at("/put"), .method = "PUT", .headers = hdrs,
				    .nheaders = 6, .body = "secret-body", .body_len = 11,
				    .retries = 0, .backoff = -1, .timeout = 10 };
	check_clean(m, &put, 1);
	/* A POST, and a DELETE (a custom method). */
	put.url = at("/post");
	put.method = "POST";
	check_clean(m, &put, 1);
	struct http_request del = { .url = at("/del"), .method = "DELETE", .headers = hdrs,
				    .nheaders = 6, .retries = 0, .backoff = -1, .timeout = 10 };
	check_clean(m, &del, 1);
	/* A HEAD: the next one wants its body. */
	struct http_request head = { .url = at("/head"), .method = "HEAD", .retries = 0,
				     .backoff = -1, .timeout = 10 };
	check_clean(m, &head, 1);
	/* A tiny max_bytes: too_large; the next one reads 2,000 bytes. */
	struct http_request small = { .url = at("/small"), .max_bytes = 10, .retries = 0,
				      .backoff = -1, .timeout = 10 };
	check_clean(m, &small, 0);
	/* A short timeout: the next one, to a path that answers after 0.6 s, must not
	 * inherit it. */
	struct http_request quick = { .url = at("/hold"), .timeout = 0.2, .retries = 0,
				      .backoff = -1 };
	check_clean(m, &quick, 0);
	struct http_request slow = { .url = at("/hold"), .timeout = 10, .retries = 0, .backoff = -1 };
	struct http_xfer *x = http_xfer_new(&slow);
	struct http_response resp;
	CHECK(x && run(m, x, &resp) == HTTP_OK);
	if (x)
		http_response_clear(&resp);
	http_xfer_free(x);

	http_multi_free(m);
	return CHECK_DONE();
}
