/* hmac.c - see hmac.h. */
#include "hmac.h"

#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

int hmac_sha256_parts(const void *key, size_t klen, const void *const parts[],
		      const size_t lens[], int n, unsigned char out[HMAC_SHA256_LEN])
{
	mbedtls_md_context_t md;
	mbedtls_md_init(&md);
	int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	if (rc == 0)
		rc = mbedtls_md_hmac_starts(&md, key, klen);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = mbedtls_md_hmac_update(&md, parts[i], lens[i]);
	if (rc == 0)
		rc = mbedtls_md_hmac_finish(&md, out);
	mbedtls_md_free(&md); /* zeroizes the keyed pads */
	if (rc != 0) {
		mbedtls_platform_zeroize(out, HMAC_SHA256_LEN);
		return -1;
	}
	return 0;
}

int hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		unsigned char out[HMAC_SHA256_LEN])
{
	const void *parts[] = { msg };
	const size_t lens[] = { mlen };
	return hmac_sha256_parts(key, klen, parts, lens, 1, out);
}
