/* secret_crypto.c - mbedTLS under a narrow interface (see secret_crypto.h). */
#include "secret_crypto.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* One DRBG for the process: seeding costs a read of the entropy source, and a
 * shared generator under a mutex is far below the cost of a store write. */
static pthread_mutex_t drbg_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static pid_t drbg_pid; /* 0 = not seeded; another pid = inherited over fork */

static int drbg_seed(void)
{
	if (drbg_pid) {
		mbedtls_ctr_drbg_free(&drbg);
		mbedtls_entropy_free(&entropy);
	}
	drbg_pid = 0;
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	static const char pers[] = "soarctl secret drbg";
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
				  (const unsigned char *)pers, sizeof pers - 1) != 0)
		return -1;
	/* Reseed on every request is too slow; mbedTLS reseeds every 10,000 calls
	 * by default, and a fork forces a fresh seed (drbg_pid). */
	drbg_pid = getpid();
	return 0;
}

int sc_random(void *buf, size_t len, char *err, size_t errlen)
{
	pthread_mutex_lock(&drbg_lock);
	int rc = 0;
	if (drbg_pid != getpid())
		rc = drbg_seed();
	unsigned char *p = buf;
	while (rc == 0 && len > 0) {
		size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		rc = mbedtls_ctr_drbg_random(&drbg, p, n);
		p += n;
		len -= n;
	}
	pthread_mutex_unlock(&drbg_lock);
	if (rc != 0) {
		snprintf(err, errlen, "random numbers: the system entropy source failed "
			 "(is /dev/urandom readable?)");
		return -1;
	}
	return 0;
}

int sc_seal(const unsigned char key[SC_KEY_LEN], const unsigned char nonce[SC_NONCE_LEN],
	    const void *aad, size_t aadlen, const void *pt, size_t len,
	    unsigned char *ct, unsigned char tag[SC_TAG_LEN])
{
	mbedtls_gcm_context g;
	mbedtls_gcm_init(&g);
	int rc = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, SC_KEY_LEN * 8);
	if (rc == 0)
		rc = mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, len, nonce, SC_NONCE_LEN,
					       aad, aadlen, pt, ct, SC_TAG_LEN, tag);
	mbedtls_gcm_free(&g); /* zeroises the key schedule */
	return rc == 0 ? 0 : -1;
}

int sc_open(const unsigned char key[SC_KEY_LEN], const unsigned char nonce[SC_NONCE_LEN],
	    const void *aad, size_t aadlen, const void *ct, size_t len,
	    const unsigned char tag[SC_TAG_LEN], unsigned char *pt)
{
	mbedtls_gcm_context g;
	mbedtls_gcm_init(&g);
	int rc = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, SC_KEY_LEN * 8);
	if (rc == 0)
		rc = mbedtls_gcm_auth_decrypt(&g, len, nonce, SC_NONCE_LEN, aad, aadlen,
					      tag, SC_TAG_LEN, ct, pt);
	mbedtls_gcm_free(&g);
	if (rc != 0) {
		sc_zero(pt, len);
		return -1;
	}
	return 0;
}

void sc_sha256(const void *data, size_t len, unsigned char out[SC_KEY_LEN])
{
	mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), data, len, out);
}

void sc_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
		 unsigned char out[SC_KEY_LEN])
{
	mbedtls_md_context_t md;
	mbedtls_md_init(&md);
	mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 0);
	mbedtls_md_starts(&md);
	mbedtls_md_update(&md, a, alen);
	mbedtls_md_update(&md, b, blen);
	mbedtls_md_finish(&md, out);
	mbedtls_md_free(&md);
}

int sc_pbkdf2(const void *pass, size_t passlen, const void *salt, size_t saltlen,
	      unsigned iterations, unsigned char out[SC_KEY_LEN])
{
	mbedtls_md_context_t md;
	mbedtls_md_init(&md);
	int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	if (rc == 0)
		rc = mbedtls_pkcs5_pbkdf2_hmac(&md, pass, passlen, salt, saltlen,
					       iterations, SC_KEY_LEN, out);
	mbedtls_md_free(&md);
	return rc == 0 ? 0 : -1;
}

int sc_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void sc_zero(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
}

void sc_harden_process(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
