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

/* Digit value + 1 by byte, 0 for a non-digit: one load per character. */
static const unsigned char value1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int hex_digit(int c)
{
	return c >= 0 && c < 256 ? (int)value1[c] - 1 : -1;
}

int hex_decode(const char *in, size_t len, unsigned char *out, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	for (; i + 2 <= len; i += 2) {
		unsigned hi = value1[s[i]], lo = value1[s[i + 1]];
		if (!hi || !lo) {
			*bad = !hi ? i : i + 1;
			return -1;
		}
		out[i / 2] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	if (i < len) { /* odd length */
		*bad = !value1[s[i]] ? i : len;
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
