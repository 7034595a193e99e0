/* prompt_link.c - per-prompt link tokens (see prompt_link.h). */
#include "prompt_link.h"

#include "base64.h"
#include "hmac.h"
#include "secret.h"
#include "secret_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_MAX 254

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

/* The link key: HMAC(master, purpose). Never kept: derived per use, zeroised. */
static int link_key(unsigned char key[32], char *err, size_t errlen)
{
	pthread_mutex_lock(&key_mu);
	struct secret_vault *v = secret_vault_default(err, errlen);
	int rc = -1;
	if (v) {
		static const char purpose[] = "soarctl derived key v1: prompt links";
		rc = hmac_sha256(v->master, sizeof v->master, purpose, sizeof purpose - 1, key);
	}
	pthread_mutex_unlock(&key_mu);
	if (rc != 0 && v)
		snprintf(err, errlen, "cannot derive the prompt link key");
	return rc;
}

int64_t prompt_link_ttl(void)
{
	const char *s = getenv("SOARCTL_PROMPT_LINK_TTL");
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 ? (int64_t)v : PROMPT_LINK_TTL_DEFAULT;
}

int64_t prompt_link_expiry(int64_t created_ms, int64_t timeout_ms)
{
	int64_t e = created_ms / 1000 + prompt_link_ttl();
	if (timeout_ms > 0 && timeout_ms / 1000 + 1 < e)
		e = timeout_ms / 1000 + 1;
	return e;
}

static int mac_of(const unsigned char key[32], const char *id, const char *addr, const char *exp,
		  unsigned char mac[32])
{
	static const char tag[] = "soarctl prompt link v1";
	const void *parts[] = { tag, id, "", addr, "", exp };
	const size_t lens[] = { sizeof tag, strlen(id), 1, strlen(addr), 1, strlen(exp) };
	/* tag's NUL separates it from the id */
	return hmac_sha256_parts(key, 32, parts, lens, 6, mac);
}

int prompt_link_make(const char *prompt_id, const char *addressee, int64_t expires_s,
		     char out[PROMPT_LINK_MAX], char *err, size_t errlen)
{
	unsigned char key[32], mac[32];
	size_t al = strlen(addressee);
	if (al == 0 || al > ADDR_MAX) {
		snprintf(err, errlen, "a link's addressee is 1 to %d bytes", ADDR_MAX);
		return PROMPT_LINK_BAD;
	}
	if (link_key(key, err, errlen) != 0)
		return PROMPT_LINK_NO_KEY;
	char exp[24];
	snprintf(exp, sizeof exp, "%" PRId64, expires_s);
	int rc = mac_of(key, prompt_id, addressee, exp, mac);
	explicit_bzero(key, sizeof key);
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		return PROMPT_LINK_NO_KEY;
	}
	size_t n = (size_t)snprintf(out, PROMPT_LINK_MAX, "v1.%s.", exp);
	n += base64_encode(addressee, al, out + n, BASE64_URL);
	out[n++] = '.';
	n += base64_encode(mac, sizeof mac, out + n, BASE64_URL);
	out[n] = 0;
	return PROMPT_LINK_OK;
}

int prompt_link_check(const char *prompt_id, const char *token, int64_t now_s,
		      char *addressee, size_t alen, char *err, size_t errlen)
{
	static const char bad[] = "this link is not valid for this prompt: open the link from "
				  "the prompt's own message, as it was sent";
	const char *p1 = strchr(token, '.'), *p2 = p1 ? strchr(p1 + 1, '.') : NULL;
	const char *p3 = p2 ? strchr(p2 + 1, '.') : NULL;
	if (strncmp(token, "v1.", 3) != 0 || !p3 || strlen(token) >= PROMPT_LINK_MAX) {
		snprintf(err, errlen, "%s", bad);
		return PROMPT_LINK_BAD;
	}
	char exp[24], addr[ADDR_MAX + 1];
	unsigned char given[BASE64_DECODED_MAX(PROMPT_LINK_MAX)];
	unsigned char ab[BASE64_DECODED_MAX(PROMPT_LINK_MAX)];
	size_t el = (size_t)(p2 - p1 - 1), gl = 0, dl = 0, where;
	if (el == 0 || el >= sizeof exp || strspn(p1 + 1, "0123456789") != el ||
	    base64_decode(p2 + 1, (size_t)(p3 - p2 - 1), ab, &dl, BASE64_URL, &where) != 0 ||
	    dl == 0 || dl > ADDR_MAX || memchr(ab, 0, dl) ||
	    base64_decode(p3 + 1, strlen(p3 + 1), given, &gl, BASE64_URL, &where) != 0 || gl != 32) {
		snprintf(err, errlen, "%s", bad);
		return PROMPT_LINK_BAD;
	}
	memcpy(exp, p1 + 1, el);
	exp[el] = 0;
	memcpy(addr, ab, dl);
	addr[dl] = 0;
	unsigned char key[32], mac[32];
	if (link_key(key, err, errlen) != 0)
		return PROMPT_LINK_NO_KEY;
	int rc = mac_of(key, prompt_id, addr, exp, mac);
	explicit_bzero(key, sizeof key);
	unsigned diff = rc != 0;
	for (size_t i = 0; i < 32; i++)
		diff |= (unsigned)(mac[i] ^ given[i]);
	if (diff) {
		snprintf(err, errlen, "%s", bad);
		return PROMPT_LINK_BAD;
	}
	if (strtoll(exp, NULL, 10) <= now_s) {
		snprintf(err, errlen, "this link has expired: ask whoever sent it for a new one "
			 "(or answer with `soarctl prompt answer %s`)", prompt_id);
		return PROMPT_LINK_EXPIRED;
	}
	snprintf(addressee, alen, "%s", addr);
	return PROMPT_LINK_OK;
}
