/* indicator_norm.c - validation and normalisation of indicator values, so that
 * one indicator has one key however it was written ("1.2.3.4", "Example.COM.",
 * "2001:DB8::0:1"). Hostile input gets the reason it was refused. */
#include "indicator.h"

#include "idn.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[IND__MAX] = {
	NULL, "ipv4", "ipv6", "cidr", "domain", "url", "md5", "sha1", "sha256", "email",
};
static const char *const verdict_names[] = { "unknown", "benign", "suspicious", "malicious" };

const char *indicator_type_name(int t)
{
	return t > 0 && t < IND__MAX ? type_names[t] : "?";
}

int indicator_type_parse(const char *s)
{
	for (int i = 1; i < IND__MAX; i++)
		if (s && strcmp(s, type_names[i]) == 0)
			return i;
	return 0;
}

const char *indicator_verdict_name(int v)
{
	return v >= 0 && v <= 3 ? verdict_names[v] : "?";
}

int indicator_verdict_parse(const char *s)
{
	for (int i = 0; i <= 3; i++)
		if (s && strcmp(s, verdict_names[i]) == 0)
			return i;
	return -1;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* A host name: labels of [a-z0-9_-], 1-63 bytes, no leading/trailing hyphen,
 * 253 bytes at most; `min_labels` 2 for a domain indicator. Lower-cases in place
 * (d has room for `cap` bytes); an internationalised name becomes its one ASCII
 * form (idn.h: IDNA2008 with UTS #46 mapping, "Bücher.de", "BU\u0308cher.de"
 * and full-width letters all give "xn--bcher-kva.de"). */
static int check_domain(char *d, size_t cap, int min_labels, char *err, size_t errlen)
{
	size_t n = strlen(d);
	if (n && d[n - 1] == '.')
		d[--n] = '\0';
	if (!n)
		FAIL("empty domain");
	if (idn_needed(d)) {
		char a[512];
		if (idn_to_ascii(d, a, sizeof a, err, errlen) != 0)
			return -1;
		n = strlen(a);
		if (n && a[n - 1] == '.') /* a trailing ideographic full stop */
			a[--n] = '\0';
		if (n >= cap || n > 253)
			FAIL("domain is %zu bytes long once encoded in ASCII; at most 253", n);
		memcpy(d, a, n + 1);
	}
	if (n > 253)
		FAIL("domain is %zu bytes long; at most 253", n);
	int labels = 0, numeric_tld = 1;
	for (char *p = d; *p;) {
		char *start = p;
		numeric_tld = 1;
		for (; *p && *p != '.'; p++) {
			*p = (char)tolower((unsigned char)*p);
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
				FAIL("'%c' is not allowed in a domain name (letters, digits, '-', '_')", *p);
			if (!isdigit((unsigned char)*p))
				numeric_tld = 0;
		}
		size_t ln = (size_t)(p - start);
		if (ln == 0)
			FAIL("domain '%s' has an empty label (two dots in a row, or a leading dot)", d);
		if (ln > 63)
			FAIL("a domain label is %zu bytes long; at most 63", ln);
		if (*start == '-' || p[-1] == '-')
			FAIL("a domain label cannot start or end with '-'");
		labels++;
		/* One trailing dot (the root) was dropped above; another is an empty
		 * last label ("a.com.."), which would key apart from "a.com". */
		if (*p == '.' && !*++p)
			FAIL("domain '%s' has an empty label (two dots in a row, or a leading dot)", d);
	}
	if (labels < min_labels)
		FAIL("'%s' is not a domain: it needs at least two labels (example.com)", d);
	if (numeric_tld)
		FAIL("'%s' ends in a numeric label: an IP address is type ipv4, not domain", d);
	return 0;
}

static int norm_ip(int af, const char *v, char *out, char *err, size_t errlen)
{
	unsigned char buf[16];
	if (strchr(v, '%'))
		FAIL("'%s' has a zone id (%%...): give the address alone", v);
	if (inet_pton(af, v, buf) != 1)
		FAIL("'%s' is not an %s", v, af == AF_INET ? "IPv4 address (dotted quad, no "
		     "leading zeros)" : "IPv6 address");
	inet_ntop(af, buf, out, INET6_ADDRSTRLEN);
	return 0;
}

static int norm_cidr(const char *v, char *out, char *err, size_t errlen)
{
	const char *slash = strchr(v, '/');
	if (!slash)
		FAIL("'%s' is not a CIDR block: write address/prefix, e.g. 10.0.0.0/8", v);
	char addr[64];
	size_t an = (size_t)(slash - v);
	if (an == 0 || an >= sizeof addr)
		FAIL("'%s' is not a CIDR block", v);
	memcpy(addr, v, an);
	addr[an] = '\0';
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET, max = af == AF_INET ? 32 : 128;
	const char *ps = slash + 1;
	if (!*ps || strspn(ps, "0123456789") != strlen(ps) || strlen(ps) > 3 || atoi(ps) > max)
		FAIL("prefix length '%s' must be a number from 0 to %d", ps, max);
	int plen = atoi(ps);
	unsigned char buf[16];
	if (inet_pton(af, addr, buf) != 1)
		FAIL("'%s' is not an %s address", addr, af == AF_INET ? "IPv4" : "IPv6");
	int bytes = max / 8;
	for (int i = 0; i < bytes; i++) {
		int keep = plen - i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		buf[i] &= mask;
	}
	char a[INET6_ADDRSTRLEN];
	inet_ntop(af, buf, a, sizeof a);
	snprintf(out, IND_MAX_VALUE + 1, "%s/%d", a, plen);
	return 0;
}

static int norm_hash(const char *v, size_t want, const char *name, char *out,
		     char *err, size_t errlen)
{
	size_t n = strlen(v);
	if (n != want)
		FAIL("a %s is %zu hex digits; '%.80s' has %zu", name, want, v, n);
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)v[i]))
			FAIL("'%c' is not a hex digit (in %s '%.80s')", v[i], name, v);
		out[i] = (char)tolower((unsigned char)v[i]);
	}
	out[n] = '\0';
	return 0;
}

static int norm_email(const char *v, char *out, char *err, size_t errlen)
{
	const char *at = strrchr(v, '@');
	if (!at || at == v)
		FAIL("'%.80s' is not an email address (local@domain)", v);
	size_t ln = (size_t)(at - v);
	if (ln > 64)
		FAIL("the local part of an email address is at most 64 bytes");
	for (size_t i = 0; i < ln; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= 0x20 || c >= 0x7f || strchr("@\"(),:;<>[\\]", c))
			FAIL("'%c' is not allowed in an email address's local part", c);
	}
	char dom[300];
	if (strlen(at + 1) >= sizeof dom)
		FAIL("the email domain is too long");
	strcpy(dom, at + 1);
	if (check_domain(dom, sizeof dom, 2, err, errlen))
		return -1;
	snprintf(out, IND_MAX_VALUE + 1, "%.*s@%s", (int)ln, v, dom);
	return 0;
}

static int norm_url(const char *v, char *out, char *err, size_t errlen)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			FAIL("a URL cannot contain spaces or control characters (percent-encode them)");
	const char *sep = strstr(v, "://");
	if (!sep || sep == v)
		FAIL("'%.80s' is not a URL: it needs a scheme (http://, https://...)", v);
	size_t sn = (size_t)(sep - v);
	if (!isalpha((unsigned char)v[0]) || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") < sn || sn > 32)
		FAIL("'%.*s' is not a URL scheme", (int)sn, v);
	const char *auth = sep + 3, *aend = auth + strcspn(auth, "/?#");
	const char *hs = auth;
	for (const char *p = auth; p < aend; p++)
		if (*p == '@')
			hs = p + 1; /* skip user info */
	const char *he;
	char host[300];
	if (*hs == '[') {
		he = memchr(hs, ']', (size_t)(aend - hs));
		if (!he)
			FAIL("unclosed '[' in the URL's host");
		size_t hn = (size_t)(he - hs - 1);
		if (hn >= sizeof host)
			FAIL("URL host too long");
		memcpy(host, hs + 1, hn);
		host[hn] = '\0';
		char canon[INET6_ADDRSTRLEN];
		if (norm_ip(AF_INET6, host, canon, err, errlen))
			return -1;
		snprintf(host, sizeof host, "[%s]", canon);
		he++;
	} else {
		he = hs;
		while (he < aend && *he != ':')
			he++;
		size_t hn = (size_t)(he - hs);
		if (!hn || hn >= sizeof host)
			FAIL("'%.80s' has no host", v);
		memcpy(host, hs, hn);
		host[hn] = '\0';
		unsigned char b4[4];
		if (inet_pton(AF_INET, host, b4) != 1 && check_domain(host, sizeof host, 1, err, errlen))
			return -1;
	}
	/* an internationalised host is converted (check_domain); elsewhere, no */
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p >= 0x80 && (p < hs || p >= he))
			FAIL("a URL must be ASCII outside its host: percent-encode the path");
	if (he < aend) {
		if (*he != ':' || he + 1 == aend || strspn(he + 1, "0123456789") != (size_t)(aend - he - 1) ||
		    aend - he - 1 > 5 || atoi(he + 1) < 1 || atoi(he + 1) > 65535)
			FAIL("the URL's port must be a number from 1 to 65535");
	}
	char scheme[40];
	for (size_t i = 0; i < sn; i++)
		scheme[i] = (char)tolower((unsigned char)v[i]);
	scheme[sn] = '\0';
	int n = snprintf(out, IND_MAX_VALUE + 1, "%s://%.*s%s%.*s%s", scheme, (int)(hs - auth), auth,
			 host, (int)(aend - he), he, aend);
	if (n > IND_MAX_VALUE)
		FAIL("URL is longer than %d bytes", IND_MAX_VALUE);
	return 0;
}

int indicator_normalise(int type, const char *value, char *out, char *err, size_t errlen)
{
	if (!value)
		FAIL("no value given");
	size_t n = strlen(value);
	if (n == 0)
		FAIL("empty %s", indicator_type_name(type));
	if (n > IND_MAX_VALUE)
		FAIL("value is %zu bytes; at most %d", n, IND_MAX_VALUE);
	/* Surrounding spaces are a copy-paste accident, not part of the value. */
	char tmp[IND_MAX_VALUE + 1];
	while (*value == ' ' || *value == '\t')
		value++;
	snprintf(tmp, sizeof tmp, "%s", value);
	n = strlen(tmp);
	while (n && (tmp[n - 1] == ' ' || tmp[n - 1] == '\t' || tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = '\0';
	switch (type) {
	case IND_IPV4: return norm_ip(AF_INET, tmp, out, err, errlen);
	case IND_IPV6: return norm_ip(AF_INET6, tmp, out, err, errlen);
	case IND_CIDR: return norm_cidr(tmp, out, err, errlen);
	case IND_DOMAIN:
		if (check_domain(tmp, sizeof tmp, 2, err, errlen))
			return -1;
		strcpy(out, tmp);
		return 0;
	case IND_URL: return norm_url(tmp, out, err, errlen);
	case IND_MD5: return norm_hash(tmp, 32, "md5", out, err, errlen);
	case IND_SHA1: return norm_hash(tmp, 40, "sha1", out, err, errlen);
	case IND_SHA256: return norm_hash(tmp, 64, "sha256", out, err, errlen);
	case IND_EMAIL: return norm_email(tmp, out, err, errlen);
	default:
		FAIL("unknown indicator type: use ipv4, ipv6, cidr, domain, url, md5, sha1, sha256 "
		     "or email");
	}
}
