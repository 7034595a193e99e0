/* http.c - see http.h. */
#include "http.h"
#include "store_buf.h"

#include <curl/curl.h>
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

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_key_create(&easy_key, easy_destroy);
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

/* ---- one exchange ---- */

static enum http_err exchange(CURL *c, const struct http_request *req, const char *method,
			      const char *url, const char *body, size_t body_len,
			      struct curl_slist *hdrs, struct recv *r, long *status,
			      char **redirect, char *detail, size_t detaillen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	double timeout = req->timeout > 0 ? req->timeout : HTTP_DEFAULT_TIMEOUT;
	double ctimeout = req->connect_timeout > 0 ? req->connect_timeout : HTTP_DEFAULT_CONNECT;
	if (ctimeout > timeout)
		ctimeout = timeout;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);   /* threads: no SIGALRM for DNS */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(ctimeout * 1000));
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");    /* what libcurl can decode */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "soarctl/" SOAR_VERSION);
	if (req->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
		    strcmp(method, "PATCH") == 0) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		}
	}
	CURLcode rc = curl_easy_perform(c);
	enum http_err e = map_curl(rc, r);
	if (e != HTTP_OK) {
		if (e == HTTP_ETOO_LARGE)
			snprintf(detail, detaillen, "response larger than %zu bytes", r->max_bytes);
		else
			snprintf(detail, detaillen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
		return e;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	char *loc = NULL;
	*redirect = NULL;
	if (*status >= 300 && *status < 400 &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
		*redirect = strdup(loc);
		if (!*redirect)
			return HTTP_ENOMEM;
	}
	return HTTP_OK;
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
	struct curl_slist *hdrs = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		struct curl_slist *n = curl_slist_append(hdrs, req->headers[i]);
		if (!n) {
			curl_slist_free_all(hdrs);
			return HTTP_ENOMEM;
		}
		hdrs = n;
	}
	const char *method = req->method ? req->method : "GET";
	const char *body = req->body;
	size_t body_len = req->body_len;
	int retries = req->retries >= 0 ? req->retries : HTTP_DEFAULT_RETRIES;
	double cap = req->retry_cap > 0 ? req->retry_cap : HTTP_DEFAULT_RETRY_CAP;
	double backoff = req->backoff >= 0 ? req->backoff : HTTP_DEFAULT_BACKOFF;
	double waited = 0;
	int hops = 0;
	char *url = strdup(req->url);
	char *method_now = strdup(method);
	enum http_err e = HTTP_OK;
	struct recv r;
	memset(&r, 0, sizeof r);
	r.max_bytes = req->max_bytes ? req->max_bytes : HTTP_DEFAULT_MAX_BYTES;
	if (!url || !method_now) {
		e = HTTP_ENOMEM;
		goto out;
	}
	for (int attempt = 1;; attempt++) {
		long status = 0;
		char *redirect = NULL;
		clear_headers(&r);
		r.body.len = 0;
		e = exchange(c, req, method_now, url, body, body_len, hdrs, &r, &status, &redirect,
			     detail, detaillen);
		resp->attempts++;
		if (e != HTTP_OK)
			goto out;
		if (redirect && hops < req->follow) {
			char host[256];
			if (http_url_host(redirect, host, sizeof host) != 0) {
				snprintf(detail, detaillen, "redirect to an unusable URL");
				free(redirect);
				e = HTTP_EPROTO;
				goto out;
			}
			if (req->check && !req->check(host, req->check_ud)) {
				snprintf(detail, detaillen, "redirect to host %s is not allowed", host);
				free(redirect);
				e = HTTP_EDENIED;
				goto out;
			}
			hops++;
			attempt--;                    /* a hop is not an attempt */
			free(url);
			url = redirect;
			/* 303, and 301/302 after a POST, become a GET without a body (what
			 * browsers and libcurl do); 307/308 repeat the request as it was. */
			if (status == 303 || ((status == 301 || status == 302) && strcmp(method_now, "GET") != 0
					      && strcmp(method_now, "HEAD") != 0)) {
				free(method_now);
				method_now = strdup("GET");
				if (!method_now) {
					e = HTTP_ENOMEM;
					goto out;
				}
				body = NULL;
				body_len = 0;
			}
			continue;
		}
		free(redirect);
		if (retryable(status) && attempt <= retries) {
			double wait = backoff * pow(2, attempt - 1);
			const char *ra = NULL;
			for (size_t i = 0; i < r.nheaders; i++)
				if (strcmp(r.headers[i].name, "retry-after") == 0)
					ra = r.headers[i].value;
			if (ra) {
				double s = http_retry_after(ra, (double)time(NULL));
				if (s >= 0)
					wait = s;
			}
			if (waited + wait <= cap) {
				sleep_seconds(wait);
				waited += wait;
				continue;
			}
		}
		resp->status = status;
		break;
	}
	resp->headers = r.headers;
	resp->nheaders = r.nheaders;
	r.headers = NULL;
	r.nheaders = 0;
	resp->body_len = r.body.len;
	resp->body = store_buf_cstr(&r.body);
	if (!resp->body) {
		e = HTTP_ENOMEM;
		http_response_clear(resp);
		goto out;
	}
	r.body.p = NULL;
	resp->final_url = url;
	url = NULL;
out:
	if (e == HTTP_ENOMEM && !detail[0])
		snprintf(detail, detaillen, "out of memory");
	clear_headers(&r);
	free(r.headers);
	store_buf_free(&r.body);
	curl_slist_free_all(hdrs);
	free(url);
	free(method_now);
	/* The handle stays (with its connections); it must not keep pointers to
	 * what this call frees. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	if (e != HTTP_OK) {
		int attempts = resp->attempts;
		http_response_clear(resp);
		resp->attempts = attempts;
	}
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
	static const char hexd[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			store_buf_add(b, &s[i], 1);
		} else if (form && ch == ' ') {
			store_buf_add(b, "+", 1);
		} else {
			char pct[3] = { '%', hexd[ch >> 4], hexd[ch & 15] };
			store_buf_add(b, pct, 3);
		}
	}
}
