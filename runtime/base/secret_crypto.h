/* secret_crypto.h - the few cryptographic operations the security modules use,
 * over mbedTLS, in one place so that each has one implementation to review:
 * a process-wide CTR-DRBG, AES-256-GCM seal/open, SHA-256 (HMAC is hmac.h),
 * PBKDF2-HMAC-SHA256, constant-time comparison, zeroising, and hardening a
 * process that holds keys. Prefix sc_ = "secret crypto". No store, no Lua. */
#ifndef SOAR_SECRET_CRYPTO_H
#define SOAR_SECRET_CRYPTO_H

#include <stddef.h>

#define SC_KEY_LEN 32   /* AES-256 keys, HMAC keys, SHA-256 digests */
#define SC_NONCE_LEN 12 /* GCM nonces: 96 bits, from the DRBG */
#define SC_TAG_LEN 16   /* GCM tags: 128 bits */

/* Fills `buf` from the process-wide CTR-DRBG (AES-256), seeded from the system
 * entropy source on first use and again in a child after fork(). Thread-safe.
 * Returns 0, or -1 with a message in `err`. */
int sc_random(void *buf, size_t len, char *err, size_t errlen);

/* AES-256-GCM. `ct` receives `len` bytes (it may be `pt`), `tag` 16 bytes.
 * Returns 0, or -1 when mbedTLS fails (never expected with valid sizes). */
int sc_seal(const unsigned char key[SC_KEY_LEN], const unsigned char nonce[SC_NONCE_LEN],
	    const void *aad, size_t aadlen, const void *pt, size_t len,
	    unsigned char *ct, unsigned char tag[SC_TAG_LEN]);

/* Checks the tag and decrypts. Returns 0, or -1 when authentication fails (wrong
 * key, wrong associated data, any changed byte); then `pt` holds only zeroes. */
int sc_open(const unsigned char key[SC_KEY_LEN], const unsigned char nonce[SC_NONCE_LEN],
	    const void *aad, size_t aadlen, const void *ct, size_t len,
	    const unsigned char tag[SC_TAG_LEN], unsigned char *pt);

void sc_sha256(const void *data, size_t len, unsigned char out[SC_KEY_LEN]);
/* SHA-256 of a || b (a domain string and data, without a copy). */
void sc_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
		 unsigned char out[SC_KEY_LEN]);

/* PBKDF2-HMAC-SHA256 into a 32-byte key. Returns 0 or -1. */
int sc_pbkdf2(const void *pass, size_t passlen, const void *salt, size_t saltlen,
	      unsigned iterations, unsigned char out[SC_KEY_LEN]);

/* 1 when the n bytes are equal; time depends on n only. */
int sc_equal(const void *a, const void *b, size_t n);

/* Zeroes memory in a way the compiler may not drop. */
void sc_zero(void *p, size_t n);

/* For a process about to hold keys: no core dumps (RLIMIT_CORE 0) and not
 * dumpable (PR_SET_DUMPABLE 0: no ptrace attach by same-uid processes, no core,
 * /proc/PID/mem closed to others). Idempotent; safe from any thread. */
void sc_harden_process(void);

#endif
