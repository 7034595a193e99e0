/* test_base64_hex.c - the one base64 and hex codec in C (base64.h, hex.h):
 * RFC 4648 section 10 vectors, the URL-safe alphabet, every byte value, and
 * invalid input refused at the right offset. The Lua bindings over them are
 * tested in test_codec.c. */
#include "check.h"
#include "base64.h"
#include "hex.h"

#include <stdlib.h>
#include <string.h>

static const char *enc(const char *in, size_t n, int flags)
{
	static char out[1024];
	size_t len = base64_encode(in, n, out, flags);
	CHECK(len == base64_encoded_len(n, flags) || n == 0);
	out[len] = '\0';
	return out;
}

/* Decoded text, or "ERR@N" with the offset of the first bad character. */
static const char *dec(const char *in, int flags)
{
	static char out[1024];
	size_t n = 0, bad = 0;
	memset(out, 0, sizeof out);
	if (base64_decode(in, strlen(in), (unsigned char *)out, &n, flags, &bad) != 0) {
		snprintf(out, sizeof out, "ERR@%zu", bad);
		return out;
	}
	CHECK(n <= BASE64_DECODED_MAX(strlen(in)));
	out[n] = '\0';
	return out;
}

static const char *hexdec(const char *in)
{
	static char out[512];
	size_t bad = 0;
	memset(out, 0, sizeof out);
	if (hex_decode(in, strlen(in), (unsigned char *)out, &bad) != 0)
		snprintf(out, sizeof out, "ERR@%zu", bad);
	return out;
}

static void test_rfc4648_base64(void)
{
	static const char *v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK_STR(enc(v[i][0], strlen(v[i][0]), BASE64_PAD), v[i][1]);
		CHECK_STR(dec(v[i][1], 0), v[i][0]);
		CHECK_STR(dec(v[i][1], BASE64_URL), v[i][0]); /* no '+' or '/' in these */
	}
	/* Unpadded: encode and decode. */
	CHECK_STR(enc("foob", 4, 0), "Zm9vYg");
	CHECK_STR(enc("fooba", 5, BASE64_URL), "Zm9vYmE");
	CHECK_STR(dec("Zm9vYg", 0), "foob");
	CHECK_STR(dec("Zm9vYmE", 0), "fooba");
	CHECK(base64_encoded_len(4, 0) == 6 && base64_encoded_len(4, BASE64_PAD) == 8);
	CHECK(base64_encoded_len((size_t)-1, BASE64_PAD) == 0); /* overflow said, not wrapped */
}

static void test_alphabets_and_all_bytes(void)
{
	CHECK_STR(enc("\xfb\xff\xbf", 3, BASE64_PAD), "+/+/");
	CHECK_STR(enc("\xfb\xff\xbf", 3, BASE64_URL), "-_-_");
	CHECK_STR(dec("-_-_", BASE64_URL), "\xfb\xff\xbf");
	CHECK_STR(dec("-_-_", 0), "ERR@0");      /* the other alphabet is refused */
	CHECK_STR(dec("+/+/", BASE64_URL), "ERR@0");
	unsigned char all[256], back[256 + 2];
	char text[400];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (int flags = 0; flags < 4; flags++)
		for (size_t n = 0; n <= 256; n += (n < 8 ? 1 : 61)) {
			size_t len = base64_encode(all, n, text, flags), got = 0, bad = 0;
			CHECK(base64_decode(text, len, back, &got, flags, &bad) == 0);
			CHECK(got == n && memcmp(back, all, n) == 0);
		}
}

static void test_base64_invalid(void)
{
	CHECK_STR(dec("Zm9v!A==", 0), "ERR@4");   /* not in the alphabet */
	CHECK_STR(dec("Zm 9v", 0), "ERR@2");      /* no whitespace */
	CHECK_STR(dec("Zm9v\nYg==", 0), "ERR@4"); /* no line breaks */
	CHECK_STR(dec("Z", 0), "ERR@1");          /* one character is no byte: ends too early */
	CHECK_STR(dec("Zm9vY", 0), "ERR@5");
	CHECK_STR(dec("Zg=", 0), "ERR@3");        /* short padding: ends too early */
	CHECK_STR(dec("Zg===", 0), "ERR@4");      /* too much padding */
	CHECK_STR(dec("Zm8==", 0), "ERR@4");
	CHECK_STR(dec("Zm9v=", 0), "ERR@4");      /* padding after a whole quad */
	CHECK_STR(dec("=", 0), "ERR@0");
	CHECK_STR(dec("Zg==Zg==", 0), "ERR@4");   /* data after padding */
	CHECK_STR(dec("Zh==", 0), "ERR@1");       /* nonzero unused bits: not the one encoding */
	CHECK_STR(dec("Zm9=", 0), "ERR@2");
	CHECK_STR(dec("Zm9vZm9vZm9v\x80", 0), "ERR@12"); /* bytes >= 0x80 */
}

static void test_hex(void)
{
	/* RFC 4648 section 10, BASE16 (decoding accepts either case; we write lowercase). */
	static const char *v[][2] = {
		{ "", "" }, { "f", "66" }, { "fo", "666F" }, { "foo", "666F6F" },
		{ "foob", "666F6F62" }, { "fooba", "666F6F6261" }, { "foobar", "666F6F626172" },
	};
	char out[64];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK_STR(hexdec(v[i][1]), v[i][0]);
		hex_encode(v[i][0], strlen(v[i][0]), out);
		for (char *p = out; *p; p++)
			*p = (char)(*p >= 'a' ? *p - 32 : *p);
		CHECK_STR(out, v[i][1]);
	}
	hex_encode("\x00\xff\x10", 3, out);
	CHECK_STR(out, "00ff10");
	CHECK_STR(hexdec("0g"), "ERR@1");
	CHECK_STR(hexdec("g0"), "ERR@0");
	CHECK_STR(hexdec("abc"), "ERR@3");   /* odd: ends too early */
	CHECK_STR(hexdec("abg"), "ERR@2");   /* odd, and the last one is bad */
	CHECK_STR(hexdec("ab cd"), "ERR@2");
	CHECK_STR(hexdec("0x10"), "ERR@1");
	CHECK(hex_digit('F') == 15 && hex_digit('a') == 10 && hex_digit('G') == -1 &&
	      hex_digit('&') == -1 && hex_digit(0x86) == -1 && hex_digit(0xC6) == -1);
	unsigned char k[2];
	CHECK(hex_decode_n("aBcD", 4, k, 2) == 0 && k[0] == 0xab && k[1] == 0xcd);
	CHECK(hex_decode_n("abc", 3, k, 2) == -1);
	CHECK(hex_decode_n("abcdef", 6, k, 2) == -1); /* exactly 2n */
	CHECK(hex_decode_n("abzd", 4, k, 2) == -1);
	CHECK(strcmp(hex_lower, "0123456789abcdef") == 0 && strcmp(hex_upper, "0123456789ABCDEF") == 0);
}

int main(void)
{
	test_rfc4648_base64();
	test_alphabets_and_all_bytes();
	test_base64_invalid();
	test_hex();
	return CHECK_DONE();
}
