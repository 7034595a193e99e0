/* base64.c - see base64.h. */
#include "base64.h"

#include <stdint.h>

static const char alphabet[2][65] = {
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
};

/* Decoding tables: value + 1, so that 0 (every character not listed) is "not in
 * this alphabet". Written out rather than built at run time: no init, no lock. */
#define COMMON_62 \
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8, \
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, \
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, \
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, \
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, \
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, \
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, \
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62

static const unsigned char value1[2][256] = {
	{ COMMON_62, ['+'] = 63, ['/'] = 64 },
	{ COMMON_62, ['-'] = 63, ['_'] = 64 },
};

size_t base64_encoded_len(size_t n, int flags)
{
	if (n / 3 >= (SIZE_MAX - 4) / 4)
		return 0;
	if (flags & BASE64_PAD)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t base64_encode(const void *in, size_t n, char *out, int flags)
{
	const unsigned char *s = in;
	const char *abc = alphabet[flags & BASE64_URL];
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		out[o] = abc[v >> 18];
		out[o + 1] = abc[(v >> 12) & 63];
		out[o + 2] = abc[(v >> 6) & 63];
		out[o + 3] = abc[v & 63];
		o += 4;
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = abc[(v >> 6) & 63];
		else if (flags & BASE64_PAD)
			out[o++] = '=';
		if (flags & BASE64_PAD)
			out[o++] = '=';
	}
	return o;
}

int base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen,
		  int flags, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)in;
	const unsigned char *val = value1[flags & BASE64_URL];
	size_t o = 0, i = 0;
	/* Whole quads first: the common case, without per-character bookkeeping. */
	for (; i + 4 <= len; i += 4) {
		unsigned a = val[s[i]], b = val[s[i + 1]], c = val[s[i + 2]], d = val[s[i + 3]];
		if (!a || !b || !c || !d)
			break;
		unsigned v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
		out[o] = (unsigned char)(v >> 16);
		out[o + 1] = (unsigned char)(v >> 8);
		out[o + 2] = (unsigned char)v;
		o += 3;
	}
	/* The tail (or the quad that stopped the loop): at most 3 data characters,
	 * then padding. */
	unsigned acc = 0;
	size_t m = 0; /* data characters in this last group */
	for (; i < len && s[i] != '='; i++) {
		unsigned v = val[s[i]];
		if (!v) { /* m < 3 here: a fourth good one would have made a whole quad */
			*bad = i;
			return -1;
		}
		acc = acc << 6 | (v - 1);
		m++;
	}
	if (m == 1) {
		*bad = i;
		return -1;
	}
	if (i < len) { /* padding: exactly what the length calls for, then the end */
		size_t want = m == 2 ? 2 : m == 3 ? 1 : 0;
		for (size_t j = 0; j < want; j++)
			if (i + j >= len || s[i + j] != '=') {
				*bad = i + j;
				return -1;
			}
		if (want == 0 || i + want < len) {
			*bad = i + want;
			return -1;
		}
	}
	/* Unused low bits of the last character must be zero (one encoding per text). */
	if ((m == 2 && (acc & 0xF)) || (m == 3 && (acc & 0x3))) {
		*bad = i - 1;
		return -1;
	}
	if (m == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (m == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	*outlen = o;
	return 0;
}
