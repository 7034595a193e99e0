/* base64.h - the one base64 codec (RFC 4648): standard and URL-safe alphabets,
 * padded or not. Plain C, no allocation: the caller gives the output buffer, so
 * the Lua bindings can write into a userdata and the secret scrubber into memory
 * it zeroes.
 *
 * Decoding is strict, so that every byte string has exactly one encoding: one
 * alphabet, no whitespace or line breaks, padding either absent or exactly what
 * the length calls for, unused trailing bits zero. (mbedtls_base64_* has no
 * URL-safe alphabet, skips whitespace and does not say where bad input is.)
 */
#ifndef SOAR_BASE64_H
#define SOAR_BASE64_H

#include <stddef.h>

#define BASE64_URL 1 /* "-_" for "+/" (RFC 4648 section 5) */
#define BASE64_PAD 2 /* end with '=' to a multiple of 4 characters */

/* Characters that base64_encode writes for n bytes with these flags, or 0 when
 * that would overflow a size_t (only then, or for n = 0). */
size_t base64_encoded_len(size_t n, int flags);

/* Encodes n bytes of in into out (base64_encoded_len(n, flags) characters; no
 * NUL is written). Returns the number of characters written. */
size_t base64_encode(const void *in, size_t n, char *out, int flags);

/* Upper bound of the bytes base64_decode writes for len characters. */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 2)

/* Decodes len characters (alphabet chosen by flags & BASE64_URL; padding is
 * accepted whatever BASE64_PAD says) into out (BASE64_DECODED_MAX(len) bytes).
 * Returns 0 with *outlen set, or -1 with *bad the offset of the first wrong
 * character counted from 0 (len when the text ends too early). */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen,
		  int flags, size_t *bad);

#endif
