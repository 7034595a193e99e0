/* egress.c - see egress.h. */
#include "egress.h"
#include "http.h"
#include "idn.h"
#include "log.h"
#include "store_buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A host name label character, or what an IPv4/IPv6 literal holds. */
static int host_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_';
}

/* An internationalised name (or an A-label) to its one ASCII form (idn.h), the
 * "*." of a wildcard kept, so that a pattern and a request's host compare in the
 * same form however either was spelled. Returns 0 with out set, or -1. */
static int host_ascii(const char *p, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t skip = p[0] == '*' && p[1] == '.' ? 2 : 0;
	if (!idn_needed(p + skip)) {
		snprintf(out, outlen, "%s", p);
		return 0;
	}
	if (outlen <= skip)
		return -1;
	memcpy(out, p, skip);
	if (idn_to_ascii(p + skip, out + skip, outlen - skip, err, errlen) != 0)
		return -1;
	return 0;
}

static int pattern_check(const char *p, char *err, size_t errlen);

int egress_pattern_check(const char *p, char *err, size_t errlen)
{
	char a[EGRESS_HOST_LEN];
	char why[300];
	if (host_ascii(p, a, sizeof a, why, sizeof why) != 0) {
		snprintf(err, errlen, "host %s", why);
		return -1;
	}
	return pattern_check(a, err, errlen);
}

static int pattern_check(const char *p, char *err, size_t errlen)
{
	size_t n = strlen(p);
	const char *name = p;
	if (n == 0) {
		snprintf(err, errlen, "an empty host");
		return -1;
	}
	if (n >= EGRESS_HOST_LEN - 1) {
		snprintf(err, errlen, "host '%.40s...' is too long", p);
		return -1;
	}
	if (p[0] == '*') {
		if (p[1] != '.' || p[2] == 0 || strchr(p + 2, '*')) {
			snprintf(err, errlen, "host '%s': a wildcard must be '*.' followed by a domain", p);
			return -1;
		}
		name = p + 2;
		if (!strchr(name, '.')) {
			snprintf(err, errlen, "host '%s': a wildcard needs a domain with a dot ('*.example.com')", p);
			return -1;
		}
	}
	for (const char *c = name; *c; c++)
		if (!host_char((unsigned char)*c)) {
			snprintf(err, errlen, "host '%s': '%c' is not allowed (give a host name, no scheme, "
				 "port or path)", p, *c);
			return -1;
		}
	return 0;
}

static void lower_copy(char *dst, const char *src)
{
	size_t n = 0;
	for (; src[n] && n < EGRESS_HOST_LEN - 1; n++)
		dst[n] = (char)tolower((unsigned char)src[n]);
	while (n > 1 && dst[n - 1] == '.')
		n--;
	dst[n] = 0;
}

int egress_add(struct egress_scope *s, const char *pattern, char *err, size_t errlen)
{
	char a[EGRESS_HOST_LEN];
	if (egress_pattern_check(pattern, err, errlen) != 0 ||
	    host_ascii(pattern, a, sizeof a, err, errlen) != 0)
		return -1;
	char low[EGRESS_HOST_LEN];
	lower_copy(low, a);
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i], low) == 0)
			return 0;
	if (s->nhosts == EGRESS_MAX_HOSTS) {
		snprintf(err, errlen, "more than %d hosts", EGRESS_MAX_HOSTS);
		return -1;
	}
	memcpy(s->hosts[s->nhosts++], low, sizeof low);
	return 0;
}

void egress_copy(struct egress_scope *dst, const struct egress_scope *src)
{
	memcpy(dst, src, EGRESS_SCOPE_SIZE(src->nhosts));
}

int egress_add_url_host(struct egress_scope *s, const char *url, char *err, size_t errlen)
{
	char host[EGRESS_HOST_LEN];
	if (http_url_host(url, host, sizeof host) != 0) {
		snprintf(err, errlen, "'%s' is not an http(s) URL with a host", url);
		return -1;
	}
	return egress_add(s, host, err, errlen);
}

int egress_allows(const struct egress_scope *s, const char *host)
{
	char low[EGRESS_HOST_LEN], a[EGRESS_HOST_LEN], why[300];
	if (host_ascii(host, a, sizeof a, why, sizeof why) != 0)
		return 0; /* not a name IDNA2008 allows: nothing lists it */
	lower_copy(low, a);
	size_t hl = strlen(low);
	for (size_t i = 0; i < s->nhosts; i++) {
		const char *p = s->hosts[i];
		if (p[0] == '*') {
			size_t sl = strlen(p + 1);        /* ".example.com" */
			if (hl > sl && memcmp(low + hl - sl, p + 1, sl) == 0)
				return 1;
		} else if (strcmp(p, low) == 0) {
			return 1;
		}
	}
	return 0;
}

void egress_log_denied(const struct egress_scope *s, const char *run_id, const char *host)
{
	struct store_buf b = { 0 };
	char msg[512];
	int n = snprintf(msg, sizeof msg, "egress denied: %s may not reach %s", s->who, host);
	store_buf_str(&b, "{\"host\":");
	store_buf_json(&b, host);
	store_buf_str(&b, ",\"who\":");
	store_buf_json(&b, s->who);
	store_buf_str(&b, "}");
	const char *fields = store_buf_cstr(&b);
	log_emit(LOG_WARN, "egress", run_id, msg, n > 0 && (size_t)n < sizeof msg ? (size_t)n : strlen(msg),
		 fields);
	store_buf_free(&b);
}
