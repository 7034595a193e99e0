/* httpd_head.h - the RFC 9112 checks on a request head that libmicrohttpd
 * (0.9.75) does not make, run on the head as MHD parsed it, before any body is
 * read. Requests a proxy in front could read differently (request smuggling)
 * are refused, never guessed at:
 *   400: a NUL in the request-target (raw, or %00), control characters in it;
 *        a header name that is not a token (a space before the colon), a
 *        control character in a value (a bare CR), a folded Transfer-Encoding
 *        or Content-Length (obs-fold: MHD 0.9.75 appends the continuation to the
 *        name, "Transfer-Encodingchunked"); more than one Transfer-Encoding or
 *        Content-Length, both together, Transfer-Encoding in HTTP/1.0, chunked
 *        not the final coding or given twice, a Content-Length that is not
 *        digits only;
 *   501: a transfer coding other than chunked (gzip, chunked).
 * Pure: no MHD here (httpd.c gathers the head), so it is tested directly. */
#ifndef SOAR_HTTPD_HEAD_H
#define SOAR_HTTPD_HEAD_H

#include <stddef.h>

struct head_hdr {
	const char *name, *value;
};

struct head_view {
	const char *version;      /* "HTTP/1.1" */
	const char *target;       /* the request-target as received, query included */
	int target_cut;           /* the parser's view of the target ended early: a NUL in it */
	const struct head_hdr *hdr;
	size_t n;
};

#define HEAD_NO_LENGTH (-1LL)
#define HEAD_CHUNKED (-2LL)

/* What is wrong with a raw request-target (as received, before any decoding):
 * a static message, or NULL when nothing. */
const char *head_target_bad(const char *target);

/* 0 when the head may be served, with *clen the body's Content-Length,
 * HEAD_NO_LENGTH or HEAD_CHUNKED; else 400 or 501 with why in msg. */
unsigned head_check(const struct head_view *v, long long *clen, char *msg, size_t msglen);

#endif
