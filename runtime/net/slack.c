/* slack.c - see slack.h. HMAC-SHA256 (RFC 2104) on mbedTLS's SHA-256 context:
 * no allocation, so no no-interrupt region is needed around it. */
#include "slack.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

static void hmac_sha256(const unsigned char *key, size_t klen, const char *parts[], const size_t lens[],
			int nparts, unsigned char out[32])
{
	unsigned char k0[64] = { 0 }, pad[64], inner[32];
	mbedtls_sha256_context c;
	if (klen > 64)
		mbedtls_sha256_ret(key, klen, k0, 0);
	else
		memcpy(k0, key, klen);
	mbedtls_sha256_init(&c);
	for (int i = 0; i < 64; i++)
		pad[i] = k0[i] ^ 0x36;
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, pad, 64);
	for (int i = 0; i < nparts; i++)
		mbedtls_sha256_update_ret(&c, (const unsigned char *)parts[i], lens[i]);
	mbedtls_sha256_finish_ret(&c, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k0[i] ^ 0x5c;
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, pad, 64);
	mbedtls_sha256_update_ret(&c, inner, 32);
	mbedtls_sha256_finish_ret(&c, out);
	mbedtls_sha256_free(&c);
	mbedtls_platform_zeroize(k0, sizeof k0);
	mbedtls_platform_zeroize(pad, sizeof pad);
}

enum slack_verdict slack_verify(const char *secret, size_t secret_len, const char *timestamp,
				const char *body, size_t body_len, const char *signature, int64_t now)
{
	if (!timestamp || !*timestamp)
		return SLACK_MALFORMED;
	for (const char *p = timestamp; *p; p++)
		if (!isdigit((unsigned char)*p))
			return SLACK_MALFORMED;
	errno = 0;
	long long ts = strtoll(timestamp, NULL, 10);
	if (errno || strlen(timestamp) > 12)
		return SLACK_MALFORMED;
	if (ts > now + SLACK_MAX_SKEW || ts < now - SLACK_MAX_SKEW)
		return SLACK_STALE;
	if (!signature || strlen(signature) != 67 || memcmp(signature, "v0=", 3) != 0)
		return SLACK_BAD_SIGNATURE;
	const char *parts[] = { "v0:", timestamp, ":", body ? body : "" };
	const size_t lens[] = { 3, strlen(timestamp), 1, body ? body_len : 0 };
	unsigned char mac[32];
	hmac_sha256((const unsigned char *)secret, secret_len, parts, lens, 4, mac);
	static const char hexd[] = "0123456789abcdef";
	/* Constant time: every byte is compared whatever came before; the given
	 * signature's hex may be in either case. */
	unsigned diff = 0;
	for (int i = 0; i < 32; i++) {
		unsigned char hi = (unsigned char)tolower((unsigned char)signature[3 + 2 * i]);
		unsigned char lo = (unsigned char)tolower((unsigned char)signature[4 + 2 * i]);
		diff |= (unsigned)(hi ^ (unsigned char)hexd[mac[i] >> 4]);
		diff |= (unsigned)(lo ^ (unsigned char)hexd[mac[i] & 15]);
	}
	mbedtls_platform_zeroize(mac, sizeof mac);
	return diff == 0 ? SLACK_OK : SLACK_BAD_SIGNATURE;
}

const char *slack_verdict_name(enum slack_verdict v)
{
	switch (v) {
	case SLACK_OK: return "ok";
	case SLACK_BAD_SIGNATURE: return "bad signature";
	case SLACK_STALE: return "stale timestamp";
	case SLACK_MALFORMED: return "malformed timestamp";
	}
	return "?";
}
