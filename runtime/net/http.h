/* http.h - HTTP(S) requests on libcurl, with no knowledge of Lua.
 *
 * One call, http_perform(), does what a playbook's `http.request` needs: connect
 * and total timeouts, a cap on the response body enforced while receiving, TLS
 * verification against the system CA bundle (or a given CA file), proxies from
 * the usual environment variables (libcurl reads http_proxy, https_proxy,
 * no_proxy), retries with exponential backoff on 429 and 5xx that honour
 * Retry-After under a total cap, and redirects followed here (not by libcurl) so
 * that every hop's host passes the caller's egress check.
 *
 * Only http and https are spoken. Failures of the world map to a small fixed
 * vocabulary (enum http_err) with a detail sentence for logs; a detail never
 * holds request headers or bodies (they may carry credentials).
 *
 * Threads: any number at once. Each thread keeps one easy handle (and so its
 * connection cache, for keep-alive) until it exits. A run loop drives the same
 * requests without blocking (http_xfer_*, below; runloop.h).
 */
#ifndef SOAR_HTTP_H
#define SOAR_HTTP_H

#include <stddef.h>

enum http_err {
	HTTP_OK = 0,
	HTTP_ETIMEOUT,    /* "timeout": connect or total time ran out */
	HTTP_EREFUSED,    /* "refused": nothing listens, or the connection was reset */
	HTTP_EDNS,        /* "dns": the name does not resolve */
	HTTP_ETLS,        /* "tls": handshake or certificate verification failed */
	HTTP_ETOO_LARGE,  /* "too_large": the body (or headers) passed the cap */
	HTTP_EDENIED,     /* "denied": the egress check refused a host (redirects) */
	HTTP_EPROTO,      /* "http": anything else (bad URL, protocol error...) */
	HTTP_ENOMEM,      /* "out of memory" */
};

/* The word a playbook sees for `e` ("timeout", "tls"...). Static storage. */
const char *http_err_name(enum http_err e);

/* Redirect and egress check: return nonzero to allow `host` (lowercase, no port,
 * IPv6 without brackets). */
typedef int (*http_host_check)(const char *host, void *ud);

#define HTTP_DEFAULT_TIMEOUT       30.0
#define HTTP_DEFAULT_CONNECT       10.0
#define HTTP_DEFAULT_MAX_BYTES     ((size_t)16 << 20)
#define HTTP_DEFAULT_RETRIES       2
#define HTTP_DEFAULT_RETRY_CAP     30.0   /* seconds of waiting between attempts, in all */
#define HTTP_DEFAULT_BACKOFF       0.5    /* first wait; doubles each attempt */
#define HTTP_MAX_HEADER_BYTES      ((size_t)64 << 10)

struct http_request {
	const char *method;          /* "GET", "POST"... (NULL = GET) */
	const char *url;             /* absolute http(s) URL with its query */
	const char *const *headers;  /* "Name: value" lines, nheaders of them */
	size_t nheaders;
	const char *body;            /* may be NULL */
	size_t body_len;
	double timeout;              /* seconds for one attempt, in all; 0 = default */
	double connect_timeout;      /* 0 = default */
	size_t max_bytes;            /* body cap; 0 = default */
	int retries;                 /* extra attempts on 429/5xx; <0 = default */
	double retry_cap;            /* 0 = default */
	double backoff;              /* first wait in seconds; <0 = default, 0 = none */
	int follow;                  /* redirects to follow (0: return the 3xx) */
	const char *ca_file;         /* PEM bundle instead of the system's, or NULL */
	http_host_check check;       /* for redirect targets; NULL allows all */
	void *check_ud;
};

struct http_header {
	char *name;                  /* lowercase */
	char *value;                 /* trimmed */
};

/* Filled by http_perform; free with http_response_clear. All malloc'd. */
struct http_response {
	long status;
	struct http_header *headers; /* of the last response (after redirects) */
	size_t nheaders;
	char *body;                  /* NUL-terminated (not counted in body_len) */
	size_t body_len;
	int attempts;                /* 1 + retries made */
	char *final_url;             /* after redirects */
};

/* Performs the request. Returns HTTP_OK with `resp` filled (any status, including
 * 4xx/5xx left after the retries), or an error with a detail in `detail`
 * ("connect to 127.0.0.1 port 9 failed: Connection refused") and `resp` holding
 * nothing to free. */
enum http_err http_perform(const struct http_request *req, struct http_response *resp,
			   char *detail, size_t detaillen);

/* ---- asynchronous transfers (a run loop's libcurl multi handle drives them) ----
 *
 * The same request as http_perform, in steps, for an event loop: http_xfer_new
 * copies what `req` points to (URL, headers, body, CA file; not check_ud, which
 * must outlive the transfer) and makes the transfer's own easy handle
 * (http_xfer_easy, a CURL *), set up for the first exchange. Add it to a multi
 * handle; when libcurl reports it done, remove it and call http_xfer_done with
 * the transfer's CURLcode. It answers:
 *   HTTP_XFER_DONE   finished: http_xfer_result gives what http_perform would
 *   HTTP_XFER_AGAIN  a redirect hop (host checked): add the handle again now
 *   HTTP_XFER_WAIT   a retry (429/5xx): add it again after http_xfer_delay() s
 * Redirects, retries with Retry-After, timeouts, max_bytes and TLS behave as in
 * http_perform, which is this same machine driven by curl_easy_perform. */
struct http_xfer;
enum http_xfer_next { HTTP_XFER_DONE = 0, HTTP_XFER_AGAIN, HTTP_XFER_WAIT };

/* NULL when out of memory. Free with http_xfer_free (after removing its handle
 * from any multi handle). */
struct http_xfer *http_xfer_new(const struct http_request *req);
void *http_xfer_easy(struct http_xfer *x);
enum http_xfer_next http_xfer_done(struct http_xfer *x, int curl_code);
double http_xfer_delay(const struct http_xfer *x);
/* After HTTP_XFER_DONE: as http_perform returns (resp then owned by the caller). */
enum http_err http_xfer_result(struct http_xfer *x, struct http_response *resp, char *detail,
			       size_t detaillen);
void http_xfer_free(struct http_xfer *x);

/* Room in a transfer for what drives it (http_multi.c): its own, untouched here. */
struct http_xfer_slot {
	void *ud;
	int shard;                   /* -1: in no set */
};
struct http_xfer_slot *http_xfer_slot(struct http_xfer *x);

void http_response_clear(struct http_response *resp);

/* The value of header `name` (any case), or NULL. Owned by resp. */
const char *http_response_header(const struct http_response *resp, const char *name);

/* Splits an absolute URL: host lowercased (IPv6 without brackets) into `host`.
 * Returns 0, or -1 if the URL is not an absolute http(s) URL with a host. */
int http_url_host(const char *url, char *host, size_t hostlen);

/* Seconds to wait from a Retry-After value (delta seconds or an HTTP date), or
 * -1 when it cannot be read. `now` is the Unix time to measure a date from. */
double http_retry_after(const char *value, double now);

/* Appends `s` percent-encoded for a query component (RFC 3986 unreserved kept). */
struct store_buf;
void http_urlencode(struct store_buf *b, const char *s, size_t len, int form);

#endif
