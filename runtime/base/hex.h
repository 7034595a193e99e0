/* hex.h - the one hex codec (RFC 4648 section 8, "base16") and the digit tables
 * that percent-encoders use. Plain C, no allocation. Decoding accepts either
 * case; encoding writes lowercase (hex_encode) unless told otherwise.
 */
#ifndef SOAR_HEX_H
#define SOAR_HEX_H

#include <stddef.h>

/* "0123456789abcdef" and "0123456789ABCDEF", for code that writes one byte
 * at a time into its own form (%XX percent-encoding, \u00XX escapes). */
extern const char hex_lower[17];
extern const char hex_upper[17];

/* Lowercase hex of n bytes into out: 2n characters and a NUL (2n + 1 bytes). */
void hex_encode(const void *in, size_t n, char *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

/* Decodes len characters into len / 2 bytes of out. Returns 0, or -1 with *bad
 * the offset of the first character that is not a hex digit (len when len is
 * odd and every digit is good: the text ends too early). */
int hex_decode(const char *in, size_t len, unsigned char *out, size_t *bad);

/* Exactly 2n hex digits into n bytes (fixed-size keys, digests, ids). Returns 0,
 * or -1 when slen is not 2n or a character is not a hex digit. */
int hex_decode_n(const char *s, size_t slen, unsigned char *out, size_t n);

#endif
