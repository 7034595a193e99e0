/* httpd_head.c - see httpd_head.h. */
#include "httpd_head.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar. */
static int tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static unsigned refuse(char *msg, size_t len, unsigned status, const char *why)
{
	snprintf(msg, len, "%s", why);
	return status;
}

static int prefix_ci(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* The transfer codings of one Transfer-Encoding value: chunked, final, once. */
static unsigned codings(const char *v, char *msg, size_t len)
{
	int chunked = 0, n = 0, last_chunked = 0;
	for (const char *p = v;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ',')
			p++;
		const char *e = p;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s)
			return refuse(msg, len, 400, "an empty transfer coding in Transfer-Encoding");
		n++;
		last_chunked = (size_t)(e - s) == 7 && strncasecmp(s, "chunked", 7) == 0;
		if (last_chunked && chunked++)
			return refuse(msg, len, 400, "chunked given twice in Transfer-Encoding");
		if (!*p)
			break;
		p++;
	}
	/* RFC 9112 6.3: chunked not final, the length is unknowable: 400, close. */
	if (!last_chunked)
		return refuse(msg, len, 400, "Transfer-Encoding without chunked as the final coding");
	if (n > 1)
		return refuse(msg, len, 501, "a transfer coding other than chunked (only chunked is "
			      "done)");
	return 0;
}

const char *head_target_bad(const char *target)
{
	for (const unsigned char *p = (const unsigned char *)target; *p; p++) {
		if (*p <= 0x20 || *p == 0x7F)
			return "a control character or space in the request-target";
		if (*p == '%' && p[1] == '0' && p[2] == '0')
			return "%00 (NUL) in the request-target";
	}
	return NULL;
}

unsigned head_check(const struct head_view *v, long long *clen, char *msg, size_t msglen)
{
	*clen = HEAD_NO_LENGTH;
	if (v->target_cut)
		return refuse(msg, msglen, 400, "a NUL in the request-target");
	const char *why = v->target ? head_target_bad(v->target) : NULL;
	if (why)
		return refuse(msg, msglen, 400, why);
	int http10 = v->version && strcmp(v->version, "HTTP/1.0") == 0;
	const char *te = NULL, *cl = NULL;
	int nte = 0, ncl = 0;
	for (size_t i = 0; i < v->n; i++) {
		const char *k = v->hdr[i].name, *val = v->hdr[i].value ? v->hdr[i].value : "";
		if (!*k)
			return refuse(msg, msglen, 400, "a header without a name");
		for (const unsigned char *p = (const unsigned char *)k; *p; p++)
			if (!tchar(*p))
				return refuse(msg, msglen, 400, "a header name with a character a name cannot "
					      "hold (whitespace before the colon?)");
		for (const unsigned char *p = (const unsigned char *)val; *p; p++)
			if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
				return refuse(msg, msglen, 400, "a control character (bare CR?) in a header "
					      "value");
		int is_te = strcasecmp(k, "Transfer-Encoding") == 0;
		int is_cl = strcasecmp(k, "Content-Length") == 0;
		if ((!is_te && prefix_ci(k, "Transfer-Encoding")) || (!is_cl && prefix_ci(k, "Content-Length")))
			return refuse(msg, msglen, 400, "a malformed Transfer-Encoding or Content-Length "
				      "header (folded over lines?)");
		if (is_te)
			nte++, te = val;
		if (is_cl)
			ncl++, cl = val;
	}
	if (nte > 1)
		return refuse(msg, msglen, 400, "more than one Transfer-Encoding");
	if (ncl > 1)
		return refuse(msg, msglen, 400, "more than one Content-Length");
	if (nte && ncl)
		return refuse(msg, msglen, 400, "both Content-Length and Transfer-Encoding");
	if (nte) {
		if (http10)
			return refuse(msg, msglen, 400, "Transfer-Encoding in an HTTP/1.0 request");
		unsigned st = codings(te, msg, msglen);
		if (st)
			return st;
		*clen = HEAD_CHUNKED;
	}
	if (ncl) {
		const char *p = cl;
		while (*p == ' ' || *p == '\t')
			p++;
		unsigned long long n = 0;
		int digits = 0;
		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (n > (~0ULL >> 1) / 10 - 1)
				return refuse(msg, msglen, 400, "a Content-Length too large to be one");
			n = n * 10 + (unsigned)(*p - '0');
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (!digits || *p)
			return refuse(msg, msglen, 400, "a Content-Length that is not a number of bytes");
		*clen = (long long)n;
	}
	return 0;
}
