/* edl.c - validating and normalising EDL entries (see edl.h for the formats).
 * Single addresses, CIDR blocks and domains go through the indicator
 * normalisers so that an EDL entry and an indicator of the same value are
 * written the same way. */
#include "edl.h"
#include "idn.h"
#include "indicator.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static const char *const names[] = { "?", "ip", "domain", "url" };

const char *edl_type_name(int type)
{
	return type >= EDL_IP && type <= EDL_URL ? names[type] : "?";
}

int edl_type_parse(const char *s)
{
	for (int i = EDL_IP; i <= EDL_URL; i++)
		if (s && strcmp(s, names[i]) == 0)
			return i;
	return 0;
}

int edl_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > EDL_MAX_NAME || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(islower(c) || isdigit(c) || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int trim(const char *in, char *out, size_t cap, char *err, size_t errlen)
{
	while (*in == ' ' || *in == '\t')
		in++;
	size_t n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0)
		FAIL("an empty entry");
	if (n >= cap)
		FAIL("entry is %zu bytes long; at most %zu", n, cap - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			FAIL("entry contains a control character (a list has one entry a line)");
	memcpy(out, in, n);
	out[n] = 0;
	return 0;
}

/* "a-b": both addresses of one family, a <= b. */
static int norm_range(const char *v, const char *dash, char *out, char *err, size_t errlen)
{
	char a[64], b[64];
	size_t an = (size_t)(dash - v), bn = strlen(dash + 1);
	if (an == 0 || an >= sizeof a || bn == 0 || bn >= sizeof b)
		FAIL("'%s' is not a range: write first-last, e.g. 192.0.2.1-192.0.2.20", v);
	memcpy(a, v, an);
	a[an] = 0;
	memcpy(b, dash + 1, bn + 1);
	int af = strchr(a, ':') ? AF_INET6 : AF_INET;
	if ((strchr(b, ':') ? AF_INET6 : AF_INET) != af)
		FAIL("range '%s' mixes IPv4 and IPv6", v);
	unsigned char ba[16], bb[16];
	if (inet_pton(af, a, ba) != 1)
		FAIL("range '%s': '%s' is not an %s address", v, a, af == AF_INET ? "IPv4" : "IPv6");
	if (inet_pton(af, b, bb) != 1)
		FAIL("range '%s': '%s' is not an %s address", v, b, af == AF_INET ? "IPv4" : "IPv6");
	if (memcmp(ba, bb, af == AF_INET ? 4 : 16) > 0)
		FAIL("range '%s' ends before it starts", v);
	char sa[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN];
	inet_ntop(af, ba, sa, sizeof sa);
	inet_ntop(af, bb, sb, sizeof sb);
	snprintf(out, EDL_MAX_VALUE + 1, "%s-%s", sa, sb);
	return 0;
}

static int norm_ip(const char *v, char *out, char *err, size_t errlen)
{
	char why[400], tmp[IND_MAX_VALUE + 1];
	const char *dash = strchr(v, '-');
	if (dash)
		return norm_range(v, dash, out, err, errlen);
	int type = strchr(v, '/') ? IND_CIDR : strchr(v, ':') ? IND_IPV6 : IND_IPV4;
	if (indicator_normalise(type, v, tmp, why, sizeof why) != 0)
		FAIL("%s", why);
	snprintf(out, EDL_MAX_VALUE + 1, "%s", tmp);
	return 0;
}

static int norm_domain(const char *v, char *out, char *err, size_t errlen)
{
	char why[400], tmp[IND_MAX_VALUE + 1];
	int wild = v[0] == '*';
	if (wild && v[1] != '.')
		FAIL("'%s': a wildcard must be the whole leftmost label ('*.example.com')", v);
	if (strchr(v + wild, '*'))
		FAIL("'%s': a wildcard may only be the leftmost label ('*.example.com')", v);
	if (strstr(v, "://") || strchr(v, '/'))
		FAIL("'%s' is a URL; a domain list takes host names (use a url list for paths)", v);
	/* digits and dots only: meant as an address, but not a valid one (a new
	 * list guessed "domain" for it, as no IP type accepts it) */
	if (v[strspn(v, "0123456789.")] == '\0')
		FAIL("'%s': not an IPv4 address (four numbers 0-255) and "
		     "not a host name", v);
	if (indicator_normalise(IND_DOMAIN, v + (wild ? 2 : 0), tmp, why, sizeof why) != 0)
		FAIL("%s", why);
	size_t n = strlen(tmp);
	if (n + 2 > EDL_MAX_VALUE)
		FAIL("domain too long");
	memcpy(out, "*.", 2);
	memcpy(out + (wild ? 2 : 0), tmp, n + 1);
	return 0;
}

/* host[:port][/path]. The host: a name (with '*' or '^' labels allowed) or an
 * address; lower-cased. The path is kept as given (PAN-OS matches it). */
static int norm_url(const char *v, char *out, char *err, size_t errlen)
{
	const char *scheme = strstr(v, "://");
	if (scheme)
		FAIL("'%s': drop the scheme (%.*s://); PAN-OS URL lists take host/path", v,
		     (int)(scheme - v), v);
	size_t hn = strcspn(v, "/");
	for (const char *c = v; *c; c++)
		if (*c == ' ' || *c == 0x7f || ((unsigned char)*c > 0x7f && (size_t)(c - v) >= hn))
			FAIL("'%s': spaces and non-ASCII characters in the path must be percent-encoded", v);
	if (hn == 0)
		FAIL("'%s' has no host", v);
	char host[300];
	if (hn >= sizeof host)
		FAIL("'%s': the host is too long", v);
	memcpy(host, v, hn);
	host[hn] = 0;
	if (strlen(host) > 253 + 6)
		FAIL("'%s': the host is too long", v);
	/* a port, unless the host is a bracketed IPv6 address */
	char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
	if (colon) {
		char *port = colon + (host[0] == '[' ? 2 : 1);
		if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
			FAIL("'%s': the port must be a number", v);
		if (host[0] == '[')
			colon[1] = 0;
		else
			*colon = 0;
	}
	/* An internationalised host in its one ASCII form (idn.h), as a domain list's
	 * entries are; what follows it in v (port, path) is kept as given. */
	size_t name_len = strlen(host);
	if (idn_needed(host)) {
		char ahost[300], why[300];
		if (strpbrk(host, "*^"))
			FAIL("'%s': write an internationalised host with wildcards in its ASCII form "
			     "(xn--...)", v);
		if (idn_to_ascii(host, ahost, sizeof ahost, why, sizeof why) != 0)
			FAIL("%s", why);
		if (strlen(ahost) > 253)   /* the limit holds for the form that is kept */
			FAIL("'%s': the host is too long once encoded in ASCII (%zu bytes, at most 253)",
			     v, strlen(ahost));
		snprintf(host, sizeof host, "%s", ahost);
	}
	for (char *c = host; *c; c++) {
		*c = (char)tolower((unsigned char)*c);
		if (!isalnum((unsigned char)*c) && !strchr("-._*^[]:", *c))
			FAIL("'%s': '%c' is not allowed in the host", v, *c);
	}
	for (const char *lab = host; *lab;) {
		size_t ln = strcspn(lab, ".");
		if (ln == 0)
			FAIL("'%s': the host has an empty label", v);
		if (memchr(lab, '*', ln) && !(ln == 1))
			FAIL("'%s': '*' must be a whole label of the host ('*.example.com')", v);
		lab += ln;
		if (*lab == '.')
			lab++;
	}
	/* the host lower-cased, then port and path exactly as given */
	snprintf(out, EDL_MAX_VALUE + 1, "%s%s", host, v + name_len);
	return 0;
}

int edl_normalise(int type, const char *in, char *out, char *err, size_t errlen)
{
	char v[EDL_MAX_VALUE + 1];
	if (trim(in, v, sizeof v, err, errlen) != 0)
		return -1;
	switch (type) {
	case EDL_IP:
		return norm_ip(v, out, err, errlen);
	case EDL_DOMAIN:
		return norm_domain(v, out, err, errlen);
	case EDL_URL:
		return norm_url(v, out, err, errlen);
	default:
		FAIL("unknown list type");
	}
}

int edl_guess_type(const char *v)
{
	unsigned char b[16];
	char tmp[EDL_MAX_VALUE + 1], why[8];
	if (strchr(v, '/') && norm_ip(v, tmp, why, sizeof why) != 0)
		return EDL_URL;
	if (inet_pton(AF_INET, v, b) == 1 || inet_pton(AF_INET6, v, b) == 1 ||
	    norm_ip(v, tmp, why, sizeof why) == 0)
		return EDL_IP;
	if (strstr(v, "://"))
		return EDL_URL;                  /* refused later, with the reason */
	return EDL_DOMAIN;
}
