/* punycode.c - RFC 3492 Punycode (section 6.3, the encoder) and domain names
 * to their ASCII form. Lower-casing uses towlower_l in the C.UTF-8 locale, made
 * once and never installed process-wide. */
#include "punycode.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <wctype.h>

enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72,
       INITIAL_N = 0x80 };

static char digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26)); /* 0..25 a..z, 26..35 0..9 */
}

static uint32_t adapt(uint32_t delta, uint32_t numpoints, int first)
{
	delta = first ? delta / DAMP : delta / 2;
	delta += delta / numpoints;
	uint32_t k = 0;
	while (delta > ((BASE - TMIN) * TMAX) / 2) {
		delta /= BASE - TMIN;
		k += BASE;
	}
	return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t j = 0; j < n; j++) {
		if (cp[j] > 0x10FFFF)
			return -1;
		if (cp[j] < 0x80) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)cp[j];
		}
	}
	uint32_t b = (uint32_t)o, h = b;
	if (b > 0) {
		if (o + 1 >= outlen)
			return -1;
		out[o++] = '-';
	}
	uint32_t nn = INITIAL_N, delta = 0, bias = INITIAL_BIAS;
	while (h < n) {
		uint32_t m = UINT32_MAX;
		for (size_t j = 0; j < n; j++)
			if (cp[j] >= nn && cp[j] < m)
				m = cp[j];
		if ((uint64_t)(m - nn) * (h + 1) > UINT32_MAX - delta)
			return -1; /* overflow: cannot happen for n within a label */
		delta += (m - nn) * (h + 1);
		nn = m;
		for (size_t j = 0; j < n; j++) {
			if (cp[j] < nn && ++delta == 0)
				return -1;
			if (cp[j] != nn)
				continue;
			uint32_t q = delta;
			for (uint32_t k = BASE;; k += BASE) {
				uint32_t t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
				if (q < t)
					break;
				if (o + 1 >= outlen)
					return -1;
				out[o++] = digit(t + (q - t) % (BASE - t));
				q = (q - t) / (BASE - t);
			}
			if (o + 1 >= outlen)
				return -1;
			out[o++] = digit(q);
			bias = adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		nn++;
	}
	out[o] = '\0';
	return (int)o;
}

/* ---- domains ---- */

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decodes one UTF-8 sequence (RFC 3629: no overlong forms, no surrogates).
 * Returns its length, or 0 when invalid. */
static size_t utf8_get(const unsigned char *p, uint32_t *cp)
{
	unsigned c = p[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c < 0xE0) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c < 0xF0) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c < 0xF5) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Why a non-ASCII code point cannot be in a host name, or NULL. */
static const char *refused(uint32_t c)
{
	if ((c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000)
		return "a private-use character";
	if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
		return "a noncharacter";
	if (c == 0xFFFD)
		return "the replacement character (text that was not decoded right)";
	wint_t w = (wint_t)c;
	if (iswspace_l(w, utf8_loc))
		return "a space";
	if (iswcntrl_l(w, utf8_loc) || !iswprint_l(w, utf8_loc))
		return "a control or unassigned character";
	if (!iswalnum_l(w, utf8_loc) && iswpunct_l(w, utf8_loc) &&
	    !(c >= 0x0300 && c <= 0x036F) && /* combining marks are part of letters */
	    !(c >= 0x0900 && c <= 0x0DFF))   /* Indic vowel signs and viramas */
		return "punctuation or a symbol";
	return NULL;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int punycode_domain(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	pthread_once(&utf8_once, utf8_init);
	if (!utf8_loc)
		FAIL("cannot convert internationalised names: the C.UTF-8 locale is missing; "
		     "give the name in punycode (xn--...)");
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	for (;;) {
		/* one label: code points up to '.', U+3002, U+FF0E, U+FF61 or the end */
		uint32_t cp[256];
		size_t n = 0;
		int ascii = 1, end = 0;
		for (;;) {
			uint32_t c;
			size_t l = *p ? utf8_get(p, &c) : 0;
			if (!*p) {
				end = 1;
				break;
			}
			if (!l)
				FAIL("'%s' is not valid UTF-8 (byte 0x%02x at offset %zu)", in, *p,
				     (size_t)(p - (const unsigned char *)in));
			p += l;
			if (c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61)
				break;
			if (c >= 0x80) {
				const char *why = refused(c);
				if (why)
					FAIL("'%s' has U+%04X, %s, which a domain name cannot hold", in,
					     (unsigned)c, why);
				c = (uint32_t)towlower_l((wint_t)c, utf8_loc);
				ascii = ascii && c < 0x80;
			} else if (c >= 'A' && c <= 'Z') {
				c += 'a' - 'A';
			}
			if (n == sizeof cp / sizeof cp[0])
				FAIL("a domain label of '%s' is too long (at most 63 bytes once encoded)", in);
			cp[n++] = c;
		}
		char lab[64];
		int ln;
		if (ascii) {
			if (n > 63)
				FAIL("a domain label of '%s' is %zu bytes long; at most 63", in, n);
			for (size_t i = 0; i < n; i++)
				lab[i] = (char)cp[i];
			ln = (int)n;
		} else {
			memcpy(lab, "xn--", 4);
			ln = punycode_encode(cp, n, lab + 4, sizeof lab - 4);
			if (ln < 0)
				FAIL("a domain label of '%s' is longer than 63 bytes once encoded as "
				     "punycode", in);
			ln += 4;
		}
		if (o + (size_t)ln + 2 > outlen)
			FAIL("domain '%s' is too long once encoded", in);
		memcpy(out + o, lab, (size_t)ln);
		o += (size_t)ln;
		if (end)
			break;
		out[o++] = '.';
	}
	out[o] = '\0';
	return 0;
}
