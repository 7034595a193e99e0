/* audit_details.c - scrubbing secret-looking values out of audit details JSON
 * (see audit.h). A small recursive-descent pass that checks the JSON and copies
 * it, replacing the values to hide by keyed HMACs. */
#include "audit.h"
#include "hmac.h"
#include "hex.h"

#include "secret_crypto.h"
#include "store_buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct scan {
	const unsigned char *p, *end, *start;
	const unsigned char *key; /* HMAC key */
	struct store_buf *out;
	char *err;
	size_t errlen;
	int depth;
};

static int fail(struct scan *s, const char *what)
{
	snprintf(s->err, s->errlen, "audit details are not a JSON object: %s at offset %zu",
		 what, (size_t)(s->p - s->start));
	return -1;
}

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Key names whose values are hidden whatever they look like. */
static int sensitive_key(const unsigned char *k, size_t n)
{
	static const char *const contains[] = {
		"password", "passwd", "secret", "token", "apikey", "api_key", "api-key",
		"access_key", "private_key", "privatekey", "authorization", "credential",
		"cookie", "passphrase", NULL,
	};
	static const char *const exact[] = { "key", "pass", "pwd", "pin", "auth", NULL };
	char low[64];
	if (n >= sizeof low)
		n = sizeof low - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower(k[i]);
	low[n] = '\0';
	for (int i = 0; exact[i]; i++)
		if (strcmp(low, exact[i]) == 0)
			return 1;
	for (int i = 0; contains[i]; i++)
		if (strstr(low, contains[i]))
			return 1;
	return 0;
}

/* Values shaped like credentials: auth scheme prefixes, our API tokens, JWTs,
 * or long base64-alphabet strings mixing upper, lower and digits. Names such as
 * "vt.api_key", uuids, hex digests and sentences are not matched. */
static int looks_secret(const unsigned char *v, size_t n)
{
	if ((n > 7 && strncasecmp((const char *)v, "Bearer ", 7) == 0) ||
	    (n > 6 && strncasecmp((const char *)v, "Basic ", 6) == 0) ||
	    (n > 5 && memcmp(v, "soar_", 5) == 0) || (n > 20 && memcmp(v, "eyJ", 3) == 0))
		return 1;
	if (n < 20)
		return 0;
	int up = 0, lo = 0, dig = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = v[i];
		if (isupper(c)) up = 1;
		else if (islower(c)) lo = 1;
		else if (isdigit(c)) dig = 1;
		else if (!strchr("+/=_-.", (int)c)) return 0;
	}
	return up && lo && dig;
}

static void put_hmac(struct scan *s, const unsigned char *v, size_t n)
{
	unsigned char mac[32];
	char hex[33];
	hmac_sha256(s->key, 32, v, n, mac);
	hex_encode(mac, 16, hex);
	store_buf_printf(s->out, "\"hmac-sha256:%s\"", hex);
}

/* Scans a string at s->p (on the quote); returns its raw inner bytes (escapes
 * kept as written) through v and n. */
static int string(struct scan *s, const unsigned char **v, size_t *n)
{
	s->p++;
	*v = s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p < 0x20)
			return fail(s, "control character in a string");
		if (*s->p == '\\') {
			s->p++;
			if (s->p >= s->end || !strchr("\"\\/bfnrtu", *s->p))
				return fail(s, "bad escape");
		}
		s->p++;
	}
	if (s->p >= s->end)
		return fail(s, "unterminated string");
	*n = (size_t)(s->p - *v);
	s->p++;
	return 0;
}

static int value(struct scan *s, int hide);

static int container(struct scan *s, int hide, int object)
{
	if (++s->depth > 64)
		return fail(s, "nested too deeply");
	store_buf_add(s->out, object ? "{" : "[", 1);
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == (object ? '}' : ']')) {
		s->p++;
		store_buf_add(s->out, object ? "}" : "]", 1);
		s->depth--;
		return 0;
	}
	for (int first = 1;; first = 0) {
		if (!first)
			store_buf_add(s->out, ",", 1);
		ws(s);
		int h = hide;
		if (object) {
			const unsigned char *k;
			size_t kn;
			if (s->p >= s->end || *s->p != '"')
				return fail(s, "expected a key");
			if (string(s, &k, &kn) != 0)
				return -1;
			store_buf_add(s->out, "\"", 1);
			store_buf_add(s->out, k, kn);
			store_buf_add(s->out, "\":", 2);
			h = hide || sensitive_key(k, kn);
			ws(s);
			if (s->p >= s->end || *s->p != ':')
				return fail(s, "expected ':'");
			s->p++;
		}
		if (value(s, h) != 0)
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == (object ? '}' : ']')) {
			s->p++;
			store_buf_add(s->out, object ? "}" : "]", 1);
			s->depth--;
			return 0;
		}
		return fail(s, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct scan *s, int hide)
{
	ws(s);
	if (s->p >= s->end)
		return fail(s, "unexpected end");
	unsigned c = *s->p;
	if (c == '{' || c == '[')
		return container(s, hide, c == '{');
	if (c == '"') {
		const unsigned char *v;
		size_t n;
		if (string(s, &v, &n) != 0)
			return -1;
		if (hide || looks_secret(v, n)) {
			put_hmac(s, v, n);
		} else {
			store_buf_add(s->out, "\"", 1);
			store_buf_add(s->out, v, n);
			store_buf_add(s->out, "\"", 1);
		}
		return 0;
	}
	/* number, true, false, null: one run of literal characters */
	const unsigned char *v = s->p;
	while (s->p < s->end && (isalnum(*s->p) || *s->p == '-' || *s->p == '+' || *s->p == '.'))
		s->p++;
	size_t n = (size_t)(s->p - v);
	if (n == 0)
		return fail(s, "unexpected character");
	int word = (n == 4 && (!memcmp(v, "true", 4) || !memcmp(v, "null", 4))) ||
		   (n == 5 && !memcmp(v, "false", 5));
	if (!word && !(isdigit(*v) || *v == '-'))
		return fail(s, "unexpected word");
	if (hide && !(n == 4 && !memcmp(v, "null", 4)))
		put_hmac(s, v, n);
	else
		store_buf_add(s->out, v, n);
	return 0;
}

int audit_scrub_details(const unsigned char key[32], const char *json, size_t len,
			struct store_buf *out, char *err, size_t errlen)
{
	struct scan s = { (const unsigned char *)json, (const unsigned char *)json + len,
			  (const unsigned char *)json, key, out, err, errlen, 0 };
	ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return fail(&s, "expected '{'");
	if (value(&s, 0) != 0)
		return -1;
	ws(&s);
	if (s.p != s.end)
		return fail(&s, "text after the object");
	if (out->oom) {
		snprintf(err, errlen, "audit details: out of memory");
		return -1;
	}
	return 0;
}
