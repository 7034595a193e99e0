/* hmac.h - the one HMAC-SHA256 (RFC 2104): mbedTLS's mbedtls_md_hmac_*, not a
 * hand-written pad-and-hash. Used by secrets (the master key check), audit
 * (keyed hashes of hidden values), the Slack signature check and the
 * `crypto.hmac_sha256` primitive. Plain C, no Lua, no store.
 *
 * mbedTLS allocates its context on the C heap (calloc in mbedtls_md_setup): a
 * Lua primitive calls these inside prim_noint_enter/leave, so that the
 * watchdog's hard stop cannot jump out of the allocator.
 */
#ifndef SOAR_HMAC_H
#define SOAR_HMAC_H

#include <stddef.h>

#define HMAC_SHA256_LEN 32

/* HMAC-SHA256 of msg under key into out. Returns 0, or -1 when mbedTLS cannot
 * allocate its context (then out holds zeroes). */
int hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		unsigned char out[HMAC_SHA256_LEN]);

/* The same over the concatenation of n parts (no copy to join them). */
int hmac_sha256_parts(const void *key, size_t klen, const void *const parts[],
		      const size_t lens[], int n, unsigned char out[HMAC_SHA256_LEN]);

#endif
