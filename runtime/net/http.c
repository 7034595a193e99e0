/* http.c - see http.h. */
#include "http.h"
#include "hex.h"
#include "store_buf.h"

#include <curl/curl.h>
#include "curl_lazy.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const err_names[] = {
	[HTTP_OK] = "ok", [HTTP_ETIMEOUT] = "timeout", [HTTP_EREFUSED] = "refused",
	[HTTP_EDNS] = "dns", [HTTP_ETLS] = "tls", [HTTP_ETOO_LARGE] = "too_large",
	[HTTP_EDENIED] = "denied", [HTTP_EPROTO] = "http", [HTTP_ENOMEM] = "out of memory",
};

const char *http_err_name(enum http_err e)
{
	return (unsigned)e < sizeof err_names / sizeof err_names[0] ? err_names[e] : "http";
}

/* ---- one easy handle per thread (its connection cache gives keep-alive) ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static pthread_key_t easy_key;

static void easy_destroy(void *p)
{
	curl_easy_cleanup(p);
}

/* ---- the easy handles of finished transfers, kept for the thread's next ----
 *
 * Making and freeing a handle per transfer cost a run loop about 4% of its CPU
 * (curl_easy_init, curl_easy_cleanup), though the connection itself is reused
 * (it is the multi handle's). A freed transfer's handle is reset instead
 * (curl_easy_reset: every option back to its default; what a request leaves in
 * the handle goes, test_http_reuse.c) and kept by the thread that frees it. */

/* Handles a thread keeps; beyond: freed. A loop's burst of runs has a thousand
 * or more requests in flight (a 20,000-run bench); a kept handle is about 13 KB,
 * and never more are kept than were in use at once. */
#define EASY_POOL 1024

struct easy_pool {
	int n;
	CURL *h[EASY_POOL];
};

static pthread_key_t pool_key;

static void pool_destroy(void *p)
{
	struct easy_pool *pool = p;
	for (int i = 0; i < pool->n; i++)
		curl_easy_cleanup(pool->h[i]);
	free(pool);
}

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_key_create(&easy_key, easy_destroy);
	pthread_key_create(&pool_key, pool_destroy);
}

/* A reset handle of the thread's, or a new one; NULL when out of memory. */
static CURL *pool_get(void)
{
	struct easy_pool *pool = pthread_getspecific(pool_key);
	if (pool && pool->n)
		return pool->h[--pool->n];
	return curl_easy_init();
}

/* Keeps c, which is in no multi handle, for the thread's next transfer. */
static void pool_put(CURL *c)
{
	struct easy_pool *pool = pthread_getspecific(pool_key);
	if (!pool) {
		pool = malloc(sizeof *pool);
		if (pool) {
			pool->n = 0;
			if (pthread_setspecific(pool_key, pool) != 0) {
				free(pool);
				pool = NULL;
			}
		}
	}
	if (!pool || pool->n == EASY_POOL) {
		curl_easy_cleanup(c);
		return;
	}
	curl_easy_reset(c);
	pool->h[pool->n++] = c;
}

static CURL *thread_easy(void)
{
	pthread_once(&global_once, global_init);
	CURL *c = pthread_getspecific(easy_key);
	if (!c) {
		c = curl_easy_init();
		if (c)
			pthread_setspecific(easy_key, c);
	} else {
		curl_easy_reset(c);   /* options go; connections and DNS cache stay */
	}
	return c;
}

/* ---- receiving ---- */

struct recv {
	struct store_buf body;
	size_t max_bytes;
	int too_large;
	struct http_header *headers;
	size_t nheaders, cap_headers, header_bytes;
	int oom;
};

static void clear_headers(struct recv *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->nheaders = 0;
	r->header_bytes = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct recv *r = ud;
	size_t len = size * n;
	if (r->body.len + len > r->max_bytes) {
		r->too_large = 1;
		return 0;                 /* libcurl stops with CURLE_WRITE_ERROR */
	}
	store_buf_add(&r->body, p, len);
	if (r->body.oom) {
		r->oom = 1;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct recv *r = ud;
	size_t len = size * n;
	/* A status line starts a new response (a 100 Continue, a redirect hop):
	 * only the last response's headers are kept. */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		clear_headers(r);
		return len;
	}
	r->header_bytes += len;
	if (r->header_bytes > HTTP_MAX_HEADER_BYTES) {
		r->too_large = 1;
		return 0;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return len;               /* the blank line, or a malformed one */
	const char *v = colon + 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (r->nheaders == r->cap_headers) {
		size_t cap = r->cap_headers ? r->cap_headers * 2 : 16;
		struct http_header *h = realloc(r->headers, cap * sizeof *h);
		if (!h) {
			r->oom = 1;
			return 0;
		}
		r->headers = h;
		r->cap_headers = cap;
	}
	size_t nlen = (size_t)(colon - p);
	char *name = strndup(p, nlen), *value = strndup(v, (size_t)(end - v));
	if (!name || !value) {
		free(name);
		free(value);
		r->oom = 1;
		return 0;
	}
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
	return len;
}

static enum http_err map_curl(CURLcode rc, const struct recv *r)
{
	if (r->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return HTTP_ETOO_LARGE;
	if (r->oom)
		return HTTP_ENOMEM;
	switch (rc) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ETIMEOUT;
	case CURLE_COULDNT_CONNECT:
		return HTTP_EREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_EDNS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return HTTP_ETLS;
	case CURLE_OUT_OF_MEMORY:
		return HTTP_ENOMEM;
	default:
		return HTTP_EPROTO;
	}
}

/* ---- one request: exchanges, redirect hops and retries ----
 *
 * A transfer (struct http_xfer) is the state of one http_perform: the blocking
 * path drives it with curl_easy_perform, a run loop with its multi handle. Both
 * make the same decisions (http_xfer_done), so they behave the same. */

struct http_xfer {
	CURL *c;
	int own_easy;                 /* the transfer's (async): back to the pool with it */
	char *url, *method, *body, *ca_file;
	size_t body_len;
	int has_body;
	struct curl_slist *hdrs;
	double timeout, ctimeout;
	int retries, follow, hops, attempt;
	double cap, backoff, waited, delay;
	http_host_check check;
	void *check_ud;
	struct recv r;
	long status;
	enum http_err e;
	int attempts;
	char ebuf[CURL_ERROR_SIZE];
	char detail[256];
	struct http_xfer_slot slot;
};

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void xfer_release(struct http_xfer *x)
{
	if (x->c) {
		/* The handle may stay (the thread's, with its connections): it must not
		 * keep pointers to what is freed here. */
		curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(x->c, CURLOPT_ERRORBUFFER, NULL);
		/* A handle still in a multi handle (a transfer freed without
		 * http_multi_remove) is not kept: curl_easy_cleanup takes it out. */
		if (x->own_easy && x->slot.shard < 0)
			pool_put(x->c);
		else if (x->own_easy)
			curl_easy_cleanup(x->c);
		x->c = NULL;
	}
	clear_headers(&x->r);
	free(x->r.headers);
	x->r.headers = NULL;
	store_buf_free(&x->r.body);
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	free(x->url);
	free(x->method);
	free(x->body);
	free(x->ca_file);
	x->url = x->method = x->body = x->ca_file = NULL;
}

/* Fills x from req (copies all it points to but check_ud). 0, or -1: out of memory. */
static int xfer_init(struct http_xfer *x, const struct http_request *req, CURL *c, int own)
{
	memset(x, 0, sizeof *x);
	x->c = c;
	x->own_easy = own;
	x->slot.shard = -1;
	for (size_t i = 0; i < req->nheaders; i++) {
		struct curl_slist *n = curl_slist_append(x->hdrs, req->headers[i]);
		if (!n)
			return -1;
		x->hdrs = n;
	}
	x->url = strdup(req->url);
	x->method = strdup(req->method ? req->method : "GET");
	x->ca_file = dup_opt(req->ca_file);
	if (req->body) {
		x->has_body = 1;
		x->body_len = req->body_len;
		x->body = malloc(req->body_len + 1);
		if (x->body) {
			memcpy(x->body, req->body, req->body_len);
			x->body[req->body_len] = 0;
		}
	}
	if (!x->url || !x->method || (req->ca_file && !x->ca_file) || (req->body && !x->body))
		return -1;
	x->timeout = req->timeout > 0 ? req->timeout : HTTP_DEFAULT_TIMEOUT;
	x->ctimeout = req->connect_timeout > 0 ? req->connect_timeout : HTTP_DEFAULT_CONNECT;
	if (x->ctimeout > x->timeout)
		x->ctimeout = x->timeout;
	x->retries = req->retries >= 0 ? req->retries : HTTP_DEFAULT_RETRIES;
	x->cap = req->retry_cap > 0 ? req->retry_cap : HTTP_DEFAULT_RETRY_CAP;
	x->backoff = req->backoff >= 0 ? req->backoff : HTTP_DEFAULT_BACKOFF;
	x->follow = req->follow;
	x->check = req->check;
	x->check_ud = req->check_ud;
	x->attempt = 1;
	x->r.max_bytes = req->max_bytes ? req->max_bytes : HTTP_DEFAULT_MAX_BYTES;
	return 0;
}

/* Sets the easy handle up for the next exchange. */
static void xfer_setup(struct http_xfer *x)
{
	CURL *c = x->c;
	const char *method = x->method;
	clear_headers(&x->r);
	x->r.body.len = 0;
	x->ebuf[0] = 0;
	curl_easy_setopt(c, CURLOPT_URL, x->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);   /* threads: no SIGALRM for DNS */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->ebuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(x->timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(x->ctimeout * 1000));
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->r.max_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x->r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");    /* what libcurl can decode */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "soarctl/" SOAR_VERSION);
	if (x->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, x->ca_file);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (x->has_body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
		    strcmp(method, "PATCH") == 0) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->has_body ? x->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(x->has_body ? x->body_len : 0));
		} else {
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);   /* e.g. DELETE: no body */
			if (strcmp(method, "POST") != 0)
				curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		}
	}
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int retryable(long status)
{
	return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

static enum http_xfer_next xfer_fail(struct http_xfer *x, enum http_err e, const char *detail)
{
	x->e = e;
	snprintf(x->detail, sizeof x->detail, "%s", detail);
	return HTTP_XFER_DONE;
}

enum http_xfer_next http_xfer_done(struct http_xfer *x, int code)
{
	CURLcode rc = (CURLcode)code;
	x->attempts++;
	enum http_err e = map_curl(rc, &x->r);
	if (e != HTTP_OK) {
		x->e = e;
		if (e == HTTP_ETOO_LARGE)
			snprintf(x->detail, sizeof x->detail, "response larger than %zu bytes", x->r.max_bytes);
		else
			snprintf(x->detail, sizeof x->detail, "%s", x->ebuf[0] ? x->ebuf : curl_easy_strerror(rc));
		return HTTP_XFER_DONE;
	}
	long status = 0;
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
	char *loc = NULL;
	if (status >= 300 && status < 400 && x->hops < x->follow &&
	    curl_easy_getinfo(x->c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
		char host[256];
		if (http_url_host(loc, host, sizeof host) != 0)
			return xfer_fail(x, HTTP_EPROTO, "redirect to an unusable URL");
		if (x->check && !x->check(host, x->check_ud)) {
			snprintf(x->detail, sizeof x->detail, "redirect to host %.200s is not allowed", host);
			x->e = HTTP_EDENIED;
			return HTTP_XFER_DONE;
		}
		char *next = strdup(loc);
		if (!next)
			return xfer_fail(x, HTTP_ENOMEM, "out of memory");
		x->hops++;                    /* a hop is not an attempt */
		free(x->url);
		x->url = next;
		/* 303, and 301/302 after a POST, become a GET without a body (what
		 * browsers and libcurl do); 307/308 repeat the request as it was. */
		if (status == 303 || ((status == 301 || status == 302) && strcmp(x->method, "GET") != 0
				      && strcmp(x->method, "HEAD") != 0)) {
			char *get = strdup("GET");
			if (!get)
				return xfer_fail(x, HTTP_ENOMEM, "out of memory");
			free(x->method);
			x->method = get;
			free(x->body);
			x->body = NULL;
			x->body_len = 0;
			x->has_body = 0;
		}
		xfer_setup(x);
		return HTTP_XFER_AGAIN;
	}
	if (retryable(status) && x->attempt <= x->retries) {
		double wait = x->backoff * pow(2, x->attempt - 1);
		const char *ra = NULL;
		for (size_t i = 0; i < x->r.nheaders; i++)
			if (strcmp(x->r.headers[i].name, "retry-after") == 0)
				ra = x->r.headers[i].value;
		if (ra) {
			double s = http_retry_after(ra, (double)time(NULL));
			if (s >= 0)
				wait = s;
		}
		if (x->waited + wait <= x->cap) {
			x->waited += wait;
			x->delay = wait;
			x->attempt++;
			xfer_setup(x);
			return HTTP_XFER_WAIT;
		}
	}
	x->status = status;
	return HTTP_XFER_DONE;
}

double http_xfer_delay(const struct http_xfer *x)
{
	return x->delay;
}

void *http_xfer_easy(struct http_xfer *x)
{
	return x->c;
}

struct http_xfer_slot *http_xfer_slot(struct http_xfer *x)
{
	return &x->slot;
}

/* Moves the outcome into resp (see http_perform). */
static enum http_err xfer_result(struct http_xfer *x, struct http_response *resp, char *detail,
				 size_t detaillen)
{
	memset(resp, 0, sizeof *resp);
	enum http_err e = x->e;
	snprintf(detail, detaillen, "%s", x->detail);
	resp->attempts = x->attempts;
	if (e != HTTP_OK)
		goto out;
	resp->status = x->status;
	resp->headers = x->r.headers;
	resp->nheaders = x->r.nheaders;
	x->r.headers = NULL;
	x->r.nheaders = 0;
	x->r.cap_headers = 0;
	resp->body_len = x->r.body.len;
	resp->body = store_buf_cstr(&x->r.body);
	if (!resp->body) {
		e = HTTP_ENOMEM;
		http_response_clear(resp);
		resp->attempts = x->attempts;
		goto out;
	}
	x->r.body.p = NULL;
	x->r.body.len = 0;
	resp->final_url = x->url;
	x->url = NULL;
out:
	if (e == HTTP_ENOMEM && !detail[0])
		snprintf(detail, detaillen, "out of memory");
	return e;
}

struct http_xfer *http_xfer_new(const struct http_request *req)
{
	pthread_once(&global_once, global_init);
	struct http_xfer *x = malloc(sizeof *x);
	if (!x)
		return NULL;
	/* Its receive buffer's size is chosen when it joins a set (http_multi.c). */
	CURL *c = pool_get();
	if (!c || xfer_init(x, req, c, 1) != 0) {
		if (!c)
			memset(x, 0, sizeof *x);
		xfer_release(x);
		free(x);
		return NULL;
	}
	xfer_setup(x);
	return x;
}

enum http_err http_xfer_result(struct http_xfer *x, struct http_response *resp, char *detail,
			       size_t detaillen)
{
	return xfer_result(x, resp, detail, detaillen);
}

void http_xfer_free(struct http_xfer *x)
{
	if (!x)
		return;
	xfer_release(x);
	free(x);
}

enum http_err http_perform(const struct http_request *req, struct http_response *resp,
			   char *detail, size_t detaillen)
{
	memset(resp, 0, sizeof *resp);
	detail[0] = 0;
	CURL *c = thread_easy();
	if (!c) {
		snprintf(detail, detaillen, "cannot start libcurl");
		return HTTP_ENOMEM;
	}
	struct http_xfer x;
	enum http_err e;
	if (xfer_init(&x, req, c, 0) != 0) {
		xfer_release(&x);
		snprintf(detail, detaillen, "out of memory");
		return HTTP_ENOMEM;
	}
	xfer_setup(&x);
	for (;;) {
		CURLcode rc = curl_easy_perform(c);
		enum http_xfer_next next = http_xfer_done(&x, rc);
		if (next == HTTP_XFER_DONE)
			break;
		if (next == HTTP_XFER_WAIT)
			sleep_seconds(x.delay);
	}
	e = xfer_result(&x, resp, detail, detaillen);
	xfer_release(&x);
	return e;
}

void http_response_clear(struct http_response *resp)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	free(resp->body);
	free(resp->final_url);
	memset(resp, 0, sizeof *resp);
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int http_url_host(const char *url, char *host, size_t hostlen)
{
	pthread_once(&global_once, global_init);
	CURLU *u = curl_url();
	char *h = NULL, *scheme = NULL;
	int rc = -1;
	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h[0]) {
		const char *p = h;
		size_t n = strlen(h);
		if (p[0] == '[' && n > 2 && p[n - 1] == ']') {
			p++;
			n -= 2;
		}
		/* A zone id (fe80::1%25eth0) is not part of what a policy names. */
		const char *pct = memchr(p, '%', n);
		if (pct)
			n = (size_t)(pct - p);
		if (n < hostlen) {
			for (size_t i = 0; i < n; i++)
				host[i] = (char)tolower((unsigned char)p[i]);
			host[n] = 0;
			while (n > 1 && host[n - 1] == '.')   /* "example.com." is example.com */
				host[--n] = 0;
			rc = 0;
		}
	}
	curl_free(h);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

double http_retry_after(const char *value, double now)
{
	while (*value == ' ')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		errno = 0;
		double s = strtod(value, &end);
		while (*end == ' ')
			end++;
		if (*end || errno || !isfinite(s))
			return -1;
		return s;
	}
	time_t t = curl_getdate(value, NULL);
	if (t < 0)
		return -1;
	return (double)t > now ? (double)t - now : 0;
}

void http_urlencode(struct store_buf *b, const char *s, size_t len, int form)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			store_buf_add(b, &s[i], 1);
		} else if (form && ch == ' ') {
			store_buf_add(b, "+", 1);
		} else {
			char pct[3] = { '%', hex_upper[ch >> 4], hex_upper[ch & 15] };
			store_buf_add(b, pct, 3);
		}
	}
}
