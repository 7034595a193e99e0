/* test_http.c - the libcurl wrapper (http.c) and the egress rules (egress.c)
 * against the stand-in server (tools/standins/standin.py) on 127.0.0.1, plain
 * and with TLS under a throwaway CA. */
#include "check.h"
#include "egress.h"
#include "http.h"
#include "store_buf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SRC SOAR_SOURCE_LUA_DIR "/.."

static const char *python(void)
{
	/* Debian's python3 has the packages from tools/deps.sh; a pyenv shim may not. */
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

struct standin {
	pid_t pid;
	int port;
};

/* Starts the stand-in (extra args for TLS); reads "PORT n". */
static int standin_start(struct standin *s, const char *cert, const char *key)
{
	int out[2];
	if (pipe(out) != 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		if (cert)
			execlp(python(), python(), SRC "/tools/standins/standin.py", "--tls-cert", cert,
			       "--tls-key", key, (char *)NULL);
		else
			execlp(python(), python(), SRC "/tools/standins/standin.py", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	char line[64] = "";
	FILE *f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof line, f) || sscanf(line, "PORT %d", &s->port) != 1) {
		fprintf(stderr, "stand-in did not start\n");
		return -1;
	}
	fclose(f);
	return 0;
}

static void standin_stop(struct standin *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum http_err get(const char *url, struct http_request *base, struct http_response *r,
			 char *detail)
{
	struct http_request req = *base;
	req.url = url;
	return http_perform(&req, r, detail, 256);
}

static void test_plain(int port)
{
	char url[256], detail[256];
	struct http_response r;
	struct http_request req = { .retries = -1, .backoff = -1 };

	snprintf(url, sizeof url, "http://127.0.0.1:%d/json", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 200);
	CHECK_STR(http_response_header(&r, "Content-Type"), "application/json");
	CHECK(r.body && strstr(r.body, "\"hello\""));
	CHECK(r.attempts == 1);
	http_response_clear(&r);

	/* 404 is a response, not an error */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/status/404", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 404);
	http_response_clear(&r);

	/* body cap while receiving */
	req.max_bytes = 1000;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/big?n=5000", port);
	CHECK(get(url, &req, &r, detail) == HTTP_ETOO_LARGE);
	CHECK(strstr(detail, "1000") != NULL);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/big?n=1000", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.body_len == 1000);
	http_response_clear(&r);
	req.max_bytes = 0;

	/* timeout */
	req.timeout = 0.2;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/delay?ms=1500", port);
	double t0 = now();
	CHECK(get(url, &req, &r, detail) == HTTP_ETIMEOUT);
	CHECK(now() - t0 < 1.0);
	req.timeout = 0;

	/* refused: a port nothing listens on (ours, after a stand-in stopped, would
	 * race; port 1 needs root to bind) */
	CHECK(get("http://127.0.0.1:1/", &req, &r, detail) == HTTP_EREFUSED);
	/* dns: .invalid never resolves (RFC 6761) */
	CHECK(get("http://no-such-host.invalid/", &req, &r, detail) == HTTP_EDNS);
	/* only http and https */
	CHECK(get("file:///etc/passwd", &req, &r, detail) == HTTP_EPROTO);

	/* retries on 503 with a backoff, then success */
	req.backoff = 0.05;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/flaky?key=a&fail=2", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 200);
	CHECK(r.attempts == 3);
	http_response_clear(&r);
	/* retries exhausted: the last response comes back */
	req.retries = 1;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/flaky?key=b&fail=5", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 503);
	CHECK(r.attempts == 2);
	http_response_clear(&r);
	req.retries = -1;
	/* Retry-After honoured: 1 second, although the backoff says 0.05 */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/limited?key=c&after=1", port);
	t0 = now();
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 200);
	CHECK(now() - t0 >= 0.95);
	http_response_clear(&r);
	/* Retry-After beyond the cap: no waiting, the 429 comes back */
	req.retry_cap = 0.5;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/limited?key=d&after=30", port);
	t0 = now();
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 429);
	CHECK(now() - t0 < 0.5);
	http_response_clear(&r);
	req.retry_cap = 0;
	req.backoff = -1;

	/* POST with headers and a body; echo shows what arrived */
	const char *hdrs[] = { "Content-Type: application/json", "X-Test: yes" };
	struct http_request post = { .method = "POST", .headers = hdrs, .nheaders = 2,
				     .body = "{\"a\":1}", .body_len = 7, .retries = 0 };
	snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", port);
	CHECK(get(url, &post, &r, detail) == HTTP_OK);
	CHECK(r.body && strstr(r.body, "\"method\": \"POST\""));
	CHECK(r.body && strstr(r.body, "\"x-test\": \"yes\""));
	CHECK(r.body && strstr(r.body, "{\\\"a\\\":1}"));
	http_response_clear(&r);

	/* repeated headers are all kept */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/multi", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	int cookies = 0;
	for (size_t i = 0; i < r.nheaders; i++)
		cookies += strcmp(r.headers[i].name, "set-cookie") == 0;
	CHECK(cookies == 2);
	http_response_clear(&r);
}

static int only_loopback(const char *host, void *ud)
{
	(void)ud;
	return strcmp(host, "127.0.0.1") == 0;
}

static void test_redirects(int port)
{
	char url[512], detail[256];
	struct http_response r;
	struct http_request req = { .retries = 0, .follow = 3, .check = only_loopback };
	snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect?to=/json", port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 200);
	CHECK(r.final_url && strstr(r.final_url, "/json"));
	http_response_clear(&r);
	/* a hop to a host the check refuses */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect?to=http://localhost:%d/json", port, port);
	CHECK(get(url, &req, &r, detail) == HTTP_EDENIED);
	CHECK(strstr(detail, "localhost") != NULL);
	/* not following: the 3xx itself */
	req.follow = 0;
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 302);
	http_response_clear(&r);
	/* 303 after a POST becomes a GET */
	struct http_request post = { .method = "POST", .body = "x", .body_len = 1, .retries = 0,
				     .follow = 1 };
	snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect?to=/echo&code=303", port);
	CHECK(get(url, &post, &r, detail) == HTTP_OK);
	CHECK(r.body && strstr(r.body, "\"method\": \"GET\""));
	http_response_clear(&r);
}

static void test_tls(const char *dir)
{
	char cert[512], key[512], ca[512], other[512], url[256], detail[256];
	snprintf(cert, sizeof cert, "%s/server.pem", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(other, sizeof other, "%s/other-ca.pem", dir);
	struct standin s;
	if (standin_start(&s, cert, key) != 0) {
		CHECK(!"TLS stand-in started");
		return;
	}
	struct http_response r;
	struct http_request req = { .retries = 0 };
	snprintf(url, sizeof url, "https://127.0.0.1:%d/json", s.port);
	/* the system bundle does not know our CA */
	CHECK(get(url, &req, &r, detail) == HTTP_ETLS);
	req.ca_file = other;
	CHECK(get(url, &req, &r, detail) == HTTP_ETLS);
	req.ca_file = ca;
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	CHECK(r.status == 200);
	http_response_clear(&r);
	/* the name must match too: the certificate is for 127.0.0.1 and localhost */
	snprintf(url, sizeof url, "https://localhost:%d/json", s.port);
	CHECK(get(url, &req, &r, detail) == HTTP_OK);
	http_response_clear(&r);
	standin_stop(&s);
}

static void test_egress(void)
{
	struct egress_scope s;
	char err[256];
	memset(&s, 0, sizeof s);
	CHECK(egress_add(&s, "api.Bonus.ly", err, sizeof err) == 0);
	CHECK(egress_add(&s, "*.slack.com", err, sizeof err) == 0);
	CHECK(egress_add(&s, "127.0.0.1", err, sizeof err) == 0);
	CHECK(egress_add(&s, "::1", err, sizeof err) == 0);
	CHECK(egress_add_url_host(&s, "https://Hooks.Example.org:8443/x?y", err, sizeof err) == 0);
	CHECK(egress_allows(&s, "api.bonus.ly"));
	CHECK(egress_allows(&s, "API.BONUS.LY."));
	CHECK(!egress_allows(&s, "bonus.ly"));
	CHECK(!egress_allows(&s, "evilapi.bonus.ly"));
	CHECK(egress_allows(&s, "hooks.slack.com"));
	CHECK(egress_allows(&s, "a.b.slack.com"));
	CHECK(!egress_allows(&s, "slack.com"));
	CHECK(!egress_allows(&s, "evilslack.com"));
	CHECK(!egress_allows(&s, "slack.com.evil.net"));
	CHECK(egress_allows(&s, "127.0.0.1"));
	CHECK(egress_allows(&s, "::1"));
	CHECK(egress_allows(&s, "hooks.example.org"));
	CHECK(!egress_allows(&s, "127.0.0.2"));
	CHECK(egress_add(&s, "*", err, sizeof err) == -1);
	CHECK(egress_add(&s, "*.com", err, sizeof err) == -1);
	CHECK(egress_add(&s, "a.*.com", err, sizeof err) == -1);
	CHECK(egress_add(&s, "https://x.com", err, sizeof err) == -1);
	CHECK(egress_add(&s, "x.com/path", err, sizeof err) == -1);
	CHECK(egress_add(&s, "", err, sizeof err) == -1);

	/* Internationalised names: one form (IDNA2008, UTS #46) on both sides, so a
	 * spelling neither dodges the list nor misses an allowed host. */
	CHECK(egress_add(&s, "caf\xc3\xa9.example", err, sizeof err) == 0);        /* NFC */
	CHECK(egress_add(&s, "*.B\xc3\xbc" "cher.example", err, sizeof err) == 0);
	CHECK(egress_allows(&s, "xn--caf-dma.example"));
	CHECK(egress_allows(&s, "cafe\xcc\x81.example"));                        /* NFD */
	CHECK(egress_allows(&s, "CAF\xc3\x89.EXAMPLE."));
	CHECK(egress_allows(&s, "\xef\xbd\x83\xef\xbd\x81\xef\xbd\x86\xc3\xa9.example")); /* full width */
	CHECK(egress_allows(&s, "api.xn--bcher-kva.example"));
	CHECK(egress_allows(&s, "api.bu\xcc\x88" "cher.example"));
	CHECK(!egress_allows(&s, "xn--bcher-kva.example"));                      /* the wildcard needs a label */
	CHECK(!egress_allows(&s, "cafe.example"));
	CHECK(!egress_allows(&s, "xn--n3h.example"));                            /* not IDNA2008 */
	CHECK(egress_add(&s, "\xe2\x98\x83.example", err, sizeof err) == -1);
	CHECK_HAS(err, "disallowed character");
	memset(&s, 0, sizeof s);
	CHECK(egress_add(&s, "xn--caf-dma.example", err, sizeof err) == 0);      /* listed as an A-label */
	CHECK(egress_allows(&s, "cafe\xcc\x81.example"));

	char host[256];
	CHECK(http_url_host("http://user:pw@Example.COM:80/x", host, sizeof host) == 0);
	CHECK_STR(host, "example.com");
	CHECK(http_url_host("https://[::1]:8080/", host, sizeof host) == 0);
	CHECK_STR(host, "::1");
	CHECK(http_url_host("ftp://example.com/", host, sizeof host) == -1);
	CHECK(http_url_host("/relative", host, sizeof host) == -1);
}

static void test_helpers(void)
{
	CHECK(http_retry_after("120", 0) == 120);
	CHECK(http_retry_after(" 3 ", 0) == 3);
	CHECK(http_retry_after("soon", 0) == -1);
	/* an HTTP date: seconds from `now` */
	CHECK(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 - 10) == 10);
	CHECK(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 + 10) == 0);
	struct store_buf b = { 0 };
	http_urlencode(&b, "a b&c=d/é", strlen("a b&c=d/é"), 0);
	store_buf_add(&b, "|", 1);
	http_urlencode(&b, "a b", 3, 1);
	CHECK_STR(store_buf_cstr(&b), "a%20b%26c%3Dd%2F%C3%A9|a+b");
	store_buf_free(&b);
	CHECK_STR(http_err_name(HTTP_ETLS), "tls");
	CHECK_STR(http_err_name(HTTP_ETOO_LARGE), "too_large");
}

int main(void)
{
	test_egress();
	test_helpers();
	struct standin s;
	if (standin_start(&s, NULL, NULL) != 0) {
		CHECK(!"stand-in started");
		return CHECK_DONE();
	}
	test_plain(s.port);
	test_redirects(s.port);
	standin_stop(&s);

	char dir[] = "/tmp/soar-test-http-XXXXXX";
	if (mkdtemp(dir)) {
		char cmd[1024];
		snprintf(cmd, sizeof cmd, "sh " SRC "/tools/standins/mkcerts.sh %s", dir);
		if (system(cmd) == 0)
			test_tls(dir);
		else
			CHECK(!"certificates made (is openssl installed?)");
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return CHECK_DONE();
}
