/* test_httpd.c - the libmicrohttpd-on-libev glue in-process: routing to the
 * handler, keep-alive, a suspended request answered later from a loop timer,
 * the smuggling shapes (400), a body over the limit (413 before it is read),
 * request-target and head limits (414, 431 in JSON), JSON errors. A client thread speaks raw HTTP; the test thread runs the loop. */
#include "check.h"
#include "httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct ev_loop *loop;
static ev_async done_async;
static unsigned port;
static struct httpd_req *held;
static ev_timer later;

static void on_later(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	httpd_reply(held, 202, "application/json", "{\"later\":true}", 14, NULL);
	held = NULL;
}

static void handler(struct httpd_req *r, void *ud)
{
	(void)ud;
	size_t len;
	const char *body = httpd_body(r, &len);
	if (strcmp(httpd_path(r), "/later") == 0) {
		httpd_suspend(r);
		held = r;
		ev_timer_init(&later, on_later, 0.05, 0.);
		ev_timer_start(loop, &later);
		return;
	}
	if (strcmp(httpd_path(r), "/echo") == 0) {
		char buf[256];
		int n = snprintf(buf, sizeof buf, "%s %zu %s", httpd_method(r), len,
				 httpd_query(r, "q") ? httpd_query(r, "q") : "-");
		if (n >= (int)sizeof buf)
			n = (int)sizeof buf - 1;        /* a long query: its start is enough */
		httpd_reply(r, 200, "text/plain", buf, (size_t)n, "X-Test: yes");
		return;
	}
	(void)body;
	httpd_error(r, 404, "not_found", "no \"such\" thing", NULL);
}

/* Sends req on a new connection (or `fd`), returns the whole first response. */
static int conn(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {3, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void ask(int fd, const char *req, char *out, size_t outlen)
{
	out[0] = 0;
	if (write(fd, req, strlen(req)) < 0)
		return;
	size_t n = 0;
	for (;;) {
		ssize_t k = read(fd, out + n, outlen - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		out[n] = 0;
		char *hdr_end = strstr(out, "\r\n\r\n");
		const char *cl = strstr(out, "Content-Length: ");
		if (hdr_end && cl && (size_t)(hdr_end + 4 - out) + strtoul(cl + 16, NULL, 10) <= n)
			break;
	}
}

static void *client(void *arg)
{
	(void)arg;
	char out[4096];
	int fd = conn();
	/* keep-alive: two requests on one connection */
	ask(fd, "GET /echo?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
	CHECK(strstr(out, "GET 0 a b") != NULL);
	CHECK(strstr(out, "X-Test: yes") != NULL);
	ask(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", out, sizeof out);
	CHECK(strstr(out, "POST 5 -") != NULL);
	ask(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", out, sizeof out);
	CHECK(strstr(out, "POST 5 -") != NULL);
	ask(fd, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 202", 12) == 0);
	CHECK(strstr(out, "{\"later\":true}") != NULL);
	ask(fd, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 404", 12) == 0);
	CHECK(strstr(out, "{\"error\":{\"code\":\"not_found\",\"message\":\"no \\\"such\\\" thing\"}}") != NULL);
	close(fd);

	fd = conn();
	ask(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
		"0\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
	close(fd);
	fd = conn();
	ask(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
	    out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
	close(fd);
	fd = conn();
	ask(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 413", 12) == 0);
	CHECK(strstr(out, "\"too_large\"") != NULL);
	close(fd);
	/* A chunked body past the limit: 413 as soon as it passes. */
	fd = conn();
	char big[1600];
	memset(big, 'x', sizeof big);
	char req[2000];
	int n = snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "%x\r\n%.*s\r\n0\r\n\r\n", (unsigned)sizeof big, (int)sizeof big, big);
	(void)n;
	ask(fd, req, out, sizeof out);
	if (strncmp(out, "HTTP/1.1 413", 12) != 0)
		fprintf(stderr, "chunked over the limit: %.200s\n", out);
	CHECK(strncmp(out, "HTTP/1.1 413", 12) == 0);
	close(fd);
	/* Head limits (8 KiB, the request-target 4 KiB): JSON answers from us, also
	 * for heads well past the limit, inside MHD's pool (4x the limit). */
	static char huge[40000];
	memset(huge, 'a', sizeof huge - 1);
	static char hreq[42000];
	fd = conn();
	snprintf(hreq, sizeof hreq, "GET /echo?q=%.4000s HTTP/1.1\r\nHost: x\r\n\r\n", huge);
	ask(fd, hreq, out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);          /* under the limit */
	close(fd);
	size_t sizes[] = {5000, 20000};
	for (size_t i = 0; i < 2; i++) {
		fd = conn();
		snprintf(hreq, sizeof hreq, "GET /echo?q=%.*s HTTP/1.1\r\nHost: x\r\n\r\n",
			 (int)sizes[i], huge);
		ask(fd, hreq, out, sizeof out);
		CHECK(strncmp(out, "HTTP/1.1 414", 12) == 0);
		CHECK(strstr(out, "Content-Type: application/json") != NULL);
		CHECK(strstr(out, "{\"error\":{\"code\":\"uri_too_long\"") != NULL);
		close(fd);
		fd = conn();
		snprintf(hreq, sizeof hreq, "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: %.*s\r\n\r\n",
			 (int)sizes[i] + 4000, huge);
		ask(fd, hreq, out, sizeof out);
		CHECK(strncmp(out, "HTTP/1.1 431", 12) == 0);
		CHECK(strstr(out, "{\"error\":{\"code\":\"headers_too_large\"") != NULL);
		close(fd);
	}
	/* Many headers, each small, adding up past the limit. */
	fd = conn();
	size_t off = (size_t)snprintf(hreq, sizeof hreq, "GET /echo HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 300; i++)
		off += (size_t)snprintf(hreq + off, sizeof hreq - off, "X-H%d: %.20s\r\n", i, huge);
	snprintf(hreq + off, sizeof hreq - off, "\r\n");
	ask(fd, hreq, out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 431", 12) == 0);
	CHECK(strstr(out, "\"headers_too_large\"") != NULL);
	close(fd);
	ev_async_send(loop, &done_async);
	return NULL;
}

static void on_done(struct ev_loop *l, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ALL);
}

int main(void)
{
	loop = ev_loop_new(EVFLAG_AUTO);
	struct httpd_limits lim = {1024, 8192, 5, 16, 0, 0, 0, 0, 0};
	char err[256];
	struct httpd *h = httpd_start(loop, "127.0.0.1:0", &lim, handler, NULL, err, sizeof err);
	CHECK(h != NULL);
	if (!h) {
		fprintf(stderr, "%s\n", err);
		return CHECK_DONE();
	}
	port = httpd_port(h);
	CHECK(port > 0);
	CHECK(httpd_start(loop, "nonsense", &lim, handler, NULL, err, sizeof err) == NULL);
	ev_async_init(&done_async, on_done);
	ev_async_start(loop, &done_async);
	pthread_t th;
	pthread_create(&th, NULL, client, NULL);
	ev_run(loop, 0);
	pthread_join(th, NULL);
	httpd_stop(h);
	ev_loop_destroy(loop);
	return CHECK_DONE();
}
