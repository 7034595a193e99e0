/* slack.c - see slack.h. The HMAC is hmac.h's (mbedTLS): it callocs, so the
 * `slack.verify` primitive calls slack_verify in a non-interruptible region. */
#include "slack.h"
#include "hex.h"
#include "hmac.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

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
	const void *parts[] = { "v0:", timestamp, ":", body ? body : "" };
	const size_t lens[] = { 3, strlen(timestamp), 1, body ? body_len : 0 };
	unsigned char mac[HMAC_SHA256_LEN];
	if (hmac_sha256_parts(secret, secret_len, parts, lens, 4, mac) != 0)
		return SLACK_BAD_SIGNATURE; /* out of memory: refuse, never accept */
	/* Constant time: every byte is compared whatever came before; the given
	 * signature's hex may be in either case. */
	unsigned diff = 0;
	for (int i = 0; i < 32; i++) {
		unsigned char hi = (unsigned char)tolower((unsigned char)signature[3 + 2 * i]);
		unsigned char lo = (unsigned char)tolower((unsigned char)signature[4 + 2 * i]);
		diff |= (unsigned)(hi ^ (unsigned char)hex_lower[mac[i] >> 4]);
		diff |= (unsigned)(lo ^ (unsigned char)hex_lower[mac[i] & 15]);
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
