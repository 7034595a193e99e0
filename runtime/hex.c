/* hex.c - see hex.h. */
#include "hex.h"

const char hex_lower[17] = "0123456789abcdef";
const char hex_upper[17] = "0123456789ABCDEF";

void hex_encode(const void *in, size_t n, char *out)
{
	const unsigned char *b = in;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_lower[b[i] >> 4];
		out[2 * i + 1] = hex_lower[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20; /* ASCII lowercase; digits and other bytes stay out of a-f */
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hex_decode(const char *in, size_t len, unsigned char *out, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	for (; i + 2 <= len; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0) {
			*bad = hi < 0 ? i : i + 1;
			return -1;
		}
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	if (i < len) { /* odd length */
		*bad = hex_digit(s[i]) < 0 ? i : len;
		return -1;
	}
	return 0;
}

int hex_decode_n(const char *s, size_t slen, unsigned char *out, size_t n)
{
	size_t bad;
	if (slen != 2 * n)
		return -1;
	return hex_decode(s, slen, out, &bad);
}
