/* idn.c - see idn.h. libidn2 (and the libunistring it pulls in) is loaded
 * with dlopen on the first internationalised name, like libcurl (curl_lazy.c):
 * linked, the two cost every process ~0.5 ms of relocations at start (measured
 * with LD_DEBUG=statistics: 0.38 -> 1.99 M cycles in the dynamic loader), and
 * most runs never meet a non-ASCII name. */
#include "idn.h"
#include "json.h"

#include <dlfcn.h>
#include <idn2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct {
	int (*to_ascii_8z)(const char *, char **, int);
	const char *(*strerror)(int);
	void (*free)(void *);
} lib;
static char lib_error[200];
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_load(void)
{
	void *h = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(lib_error, sizeof lib_error,
			 "cannot load libidn2 for internationalised domain names (install libidn2-0): %s",
			 dlerror());
		return;
	}
	*(void **)&lib.to_ascii_8z = dlsym(h, "idn2_to_ascii_8z");
	*(void **)&lib.strerror = dlsym(h, "idn2_strerror");
	*(void **)&lib.free = dlsym(h, "idn2_free");
	if (!lib.to_ascii_8z || !lib.strerror || !lib.free) {
		snprintf(lib_error, sizeof lib_error, "libidn2 lacks idn2_to_ascii_8z (older than 2.0?)");
		lib.to_ascii_8z = NULL;
	}
}

/* Length of a label separator at p: '.', or U+3002, U+FF0E, U+FF61 in UTF-8. */
static size_t dot_len(const unsigned char *p)
{
	if (p[0] == '.')
		return 1;
	if ((p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x82) ||   /* U+3002 */
	    (p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x8E) ||   /* U+FF0E */
	    (p[0] == 0xEF && p[1] == 0xBD && p[2] == 0xA1))     /* U+FF61 */
		return 3;
	return 0;
}

static int is_alabel(const char *s, size_t n)
{
	return n >= 4 && strncasecmp(s, "xn--", 4) == 0;
}

int idn_needed(const char *s)
{
	const char *label = s;
	for (const char *p = s;; p++) {
		if ((unsigned char)*p >= 0x80)
			return 1;
		if (*p == '.' || !*p) {
			if (is_alabel(label, (size_t)(p - label)))
				return 1;
			if (!*p)
				return 0;
			label = p + 1;
		}
	}
}

/* Shows at most 64 bytes of a label in a message, cut at a character. */
static int shown(const char *s, size_t n)
{
	if (n <= 64)
		return (int)n;
	n = 64;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

int idn_to_ascii(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	if (outlen == 0)
		return -1;
	while (*p) {
		const unsigned char *start = p;
		size_t dl = 0;
		int ascii = 1;
		while (*p && !(dl = dot_len(p))) {
			if (*p >= 0x80) {
				size_t k = json_utf8_seq(p, strlen((const char *)p));
				if (!k) {
					snprintf(err, errlen, "a domain name must be UTF-8: byte %zu "
						 "(0x%02x) is not valid UTF-8", (size_t)(p - (const unsigned char *)in) + 1, *p);
					return -1;
				}
				ascii = 0;
				p += k;
				continue;
			}
			if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
			    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_') {
				snprintf(err, errlen, "'%c' is not allowed in a domain name (letters, digits, "
					 "'-', '_')", *p);
				return -1;
			}
			p++;
		}
		size_t n = (size_t)(p - start);
		char label[256];
		if (n >= sizeof label) {
			snprintf(err, errlen, "'%s': a label is %zu bytes long; at most 63 once encoded",
				 in, n);
			return -1;
		}
		memcpy(label, start, n);
		label[n] = 0;
		char *conv = NULL;
		const char *res = label;
		if (n && (!ascii || is_alabel(label, n))) {
			pthread_once(&lib_once, lib_load);
			if (!lib.to_ascii_8z) {
				snprintf(err, errlen, "'%s': %s", in, lib_error);
				return -1;
			}
			int rc = lib.to_ascii_8z(label, &conv, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
			if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT ||
			    rc == IDN2_TOO_BIG_DOMAIN) {
				snprintf(err, errlen, "label '%.*s' is longer than 63 bytes once encoded "
					 "in ASCII", shown(label, n), label);
				return -1;
			}
			if (rc != IDN2_OK) {
				snprintf(err, errlen, "'%s': label '%.*s' is not a valid internationalised "
					 "domain name (%s)", in, shown(label, n), label, lib.strerror(rc));
				return -1;
			}
			if (strchr(conv, '.')) { /* mapped to a full stop: not one label */
				snprintf(err, errlen, "'%s': label '%.*s' maps to more than one label",
					 in, shown(label, n), label);
				lib.free(conv);
				return -1;
			}
			res = conv;
		}
		size_t rn = strlen(res);
		for (size_t i = 0; i < rn; i++) {
			char c = res[i];
			/* UTS #46 maps some characters to ASCII a name may not hold
			 * (a full-width bracket to ']'): refused as the ASCII would be */
			if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
			    c != '-' && c != '_') {
				snprintf(err, errlen, "'%s': label '%.*s' maps to '%c', which is not allowed "
					 "in a domain name (letters, digits, '-', '_')", in, shown(label, n),
					 label, c);
				if (conv)
					lib.free(conv);
				return -1;
			}
		}
		if (n && !rn) {  /* only characters UTS #46 maps to nothing (a soft hyphen) */
			snprintf(err, errlen, "'%s': label '%.*s' has no characters once normalised",
				 in, shown(label, n), label);
			if (conv)
				lib.free(conv);
			return -1;
		}
		if (o + rn + 1 >= outlen) {
			if (conv)
				lib.free(conv);
			snprintf(err, errlen, "'%s' is too long once encoded in ASCII", in);
			return -1;
		}
		for (size_t i = 0; i < rn; i++) {
			char c = res[i];
			out[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		if (conv)
			lib.free(conv);
		if (dl) {
			out[o++] = '.';
			p += dl;
		}
	}
	out[o] = 0;
	return 0;
}
