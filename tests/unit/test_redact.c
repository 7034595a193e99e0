/* test_redact.c - scrubbing secret values: raw, base64 (standard and URL-safe,
 * padded or not, and inside a longer base64 text at each byte alignment), URL
 * and form encoding, JSON escaping; overlaps; many secrets; speed. The
 * expected encodings come from mbedTLS and a hand-written percent-encoder, not
 * from the code under test. */
#include "check.h"

#include "redact.h"

#include <mbedtls/base64.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char SECRET[] = "s3cr3t/Value+with=Odd&chars~ok";

/* mbedTLS base64, optionally URL-safe and unpadded. */
static void b64(const char *in, size_t n, int url, int pad, char *out, size_t cap)
{
	size_t olen;
	mbedtls_base64_encode((unsigned char *)out, cap, &olen, (const unsigned char *)in, n);
	out[olen] = '\0';
	for (char *p = out; *p; p++) {
		if (url && *p == '+') *p = '-';
		if (url && *p == '/') *p = '_';
	}
	if (!pad)
		while (olen && out[olen - 1] == '=')
			out[--olen] = '\0';
}

/* Runs redact on `text`; returns a malloc'd result (the input copied when
 * nothing matched). */
static char *scrub(struct redact_set *rs, const char *text, int *spans)
{
	char *out;
	size_t len;
	int rc = redact(rs, text, strlen(text), &out, &len);
	if (spans)
		*spans = rc;
	if (rc == 0)
		return strdup(text);
	CHECK(rc > 0 && strlen(out) == len);
	return out;
}

static void expect(struct redact_set *rs, const char *text, const char *want)
{
	char *got = scrub(rs, text, NULL);
	CHECK_STR(got, want);
	free(got);
}

/* The scrubbed text must not contain the needle. */
static void hidden(struct redact_set *rs, const char *text, const char *needle)
{
	char *got = scrub(rs, text, NULL);
	if (strstr(got, needle)) {
		check_failures++;
		fprintf(stderr, "not hidden: '%s' in '%s'\n", needle, got);
	}
	check_count++;
	free(got);
}

static void test_forms(void)
{
	struct redact_set *rs = redact_new();
	CHECK(redact_add(rs, "vt.api_key", SECRET, strlen(SECRET)) == 0);
	CHECK(redact_add(rs, "vt.api_key", SECRET, strlen(SECRET)) == 0);
	CHECK(redact_count(rs) == 1);
	char text[1024], enc[256];
	int spans;
	/* nothing to hide: 0, out NULL */
	char *out = (char *)1;
	size_t olen;
	CHECK(redact(rs, "nothing here", 12, &out, &olen) == 0 && out == NULL);
	CHECK(redact(NULL, "x", 1, &out, &olen) == 0 && out == NULL);

	snprintf(text, sizeof text, "key=%s;", SECRET);
	expect(rs, text, "key=[secret:vt.api_key];");
	snprintf(text, sizeof text, "%s", SECRET);
	expect(rs, text, "[secret:vt.api_key]");
	snprintf(text, sizeof text, "a %s b %s c", SECRET, SECRET);
	char *got = scrub(rs, text, &spans);
	CHECK_STR(got, "a [secret:vt.api_key] b [secret:vt.api_key] c");
	CHECK(spans == 2);
	free(got);

	for (int url = 0; url < 2; url++)
		for (int pad = 0; pad < 2; pad++) {
			b64(SECRET, strlen(SECRET), url, pad, enc, sizeof enc);
			snprintf(text, sizeof text, "X-Auth: %s\n", enc);
			expect(rs, text, "X-Auth: [secret:vt.api_key]\n");
		}
	/* inside longer base64: HTTP Basic auth "user:secret", every alignment, and
	 * with text after the secret */
	const char *prefixes[] = { "", "a", "ab", "abc", "api:", "user1:", NULL };
	for (int i = 0; prefixes[i]; i++)
		for (int url = 0; url < 2; url++) {
			char plain[256];
			snprintf(plain, sizeof plain, "%s%s%s", prefixes[i], SECRET, i % 2 ? "" : "!tail");
			b64(plain, strlen(plain), url, 1, enc, sizeof enc);
			snprintf(text, sizeof text, "Authorization: Basic %s", enc);
			got = scrub(rs, text, &spans);
			CHECK(spans >= 1);
			CHECK(strstr(got, "[secret:vt.api_key]") != NULL);
			/* what is left of the encoding cannot rebuild the secret: at most the
			 * characters mixing it with its neighbours remain (<= 2 each side) */
			size_t left = strlen(got) - strlen("Authorization: Basic [secret:vt.api_key]");
			size_t pre = (strlen(prefixes[i]) * 4 + 2) / 3 + 1;
			CHECK(left <= pre + 2 + 8 + 2);
			free(got);
		}
	/* URL encoding: upper and lower hex, form encoding */
	char pct[256], *p = pct;
	for (const char *s = SECRET; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~", *s))
			*p++ = *s;
		else
			p += sprintf(p, "%%%02X", (unsigned char)*s);
	}
	*p = '\0';
	snprintf(text, sizeof text, "GET /x?apikey=%s&y=1", pct);
	expect(rs, text, "GET /x?apikey=[secret:vt.api_key]&y=1");
	for (p = pct; *p; p++)
		if (*p >= 'A' && *p <= 'F' && p > pct && (p[-1] == '%' || (p > pct + 1 && p[-2] == '%')))
			*p = (char)(*p + 32);
	snprintf(text, sizeof text, "GET /x?apikey=%s&y=1", pct);
	expect(rs, text, "GET /x?apikey=[secret:vt.api_key]&y=1");
	redact_free(rs);

	/* form encoding of a value with spaces, JSON escaping of quotes */
	rs = redact_new();
	const char *pw = "pass word \"quoted\"\\end";
	CHECK(redact_add(rs, "mail.password", pw, strlen(pw)) == 0);
	expect(rs, "body: pass+word+%22quoted%22%5Cend!", "body: [secret:mail.password]!");
	expect(rs, "{\"pw\":\"pass word \\\"quoted\\\"\\\\end\"}", "{\"pw\":\"[secret:mail.password]\"}");
	redact_free(rs);
}

static void test_overlaps_and_many(void)
{
	struct redact_set *rs = redact_new();
	/* two secrets overlapping in the text: one span, no tail of the second left */
	CHECK(redact_add(rs, "a.one", "ALPHA-1234", 10) == 0);
	CHECK(redact_add(rs, "b.two", "1234-OMEGA-99", 13) == 0);
	expect(rs, "x ALPHA-1234-OMEGA-99 y", "x [secret:a.one] y");
	hidden(rs, "x ALPHA-1234-OMEGA-99 y", "OMEGA");
	/* a secret inside another: the longer one wins at the same position */
	CHECK(redact_add(rs, "c.long", "ALPHA-1234-LONGER", 17) == 0);
	expect(rs, "ALPHA-1234-LONGER", "[secret:c.long]");
	/* a one-byte secret still redacts (and mangles: documented) */
	CHECK(redact_add(rs, "d.tiny", "#", 1) == 0);
	expect(rs, "a#b", "a[secret:d.tiny]b");
	/* binary values with NUL bytes */
	const char bin[] = { 'k', 0, 'e', 'y', (char)0xff, 'Z' };
	CHECK(redact_add(rs, "e.bin", bin, sizeof bin) == 0);
	char in[32] = "<<";
	memcpy(in + 2, bin, sizeof bin);
	memcpy(in + 2 + sizeof bin, ">>", 2);
	char *out;
	size_t olen;
	CHECK(redact(rs, in, 4 + sizeof bin, &out, &olen) == 1);
	CHECK(out && strcmp(out, "<<[secret:e.bin]>>") == 0 && olen == strlen(out));
	free(out);
	redact_free(rs);

	/* fifty secrets: each one found among the others */
	rs = redact_new();
	char name[32], val[64], text[256];
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "int%d.key", i);
		snprintf(val, sizeof val, "tok-%d-%08x-Zq", i, (unsigned)(i * 2654435761u));
		CHECK(redact_add(rs, name, val, strlen(val)) == 0);
	}
	for (int i = 0; i < 50; i += 7) {
		snprintf(name, sizeof name, "int%d.key", i);
		snprintf(val, sizeof val, "tok-%d-%08x-Zq", i, (unsigned)(i * 2654435761u));
		snprintf(text, sizeof text, "[%s]", val);
		char want[64];
		snprintf(want, sizeof want, "[[secret:%s]]", name);
		expect(rs, text, want);
	}
	redact_free(rs);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_speed(void)
{
	struct redact_set *rs = redact_new();
	char name[32], val[64];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "int%d.key", i);
		snprintf(val, sizeof val, "Secret-%d-%08xQ", i, (unsigned)(i * 40503u));
		CHECK(redact_add(rs, name, val, strlen(val)) == 0);
	}
	/* 8 MiB of log-like text, with one secret every 64 KiB */
	size_t n = 8u << 20;
	char *text = malloc(n + 1);
	const char line[] = "2024-05-01T10:00:00Z info step=http.request url=https://api.example/v3 "
			    "status=200 bytes=1234 Secret-notreally ABCDEFGHIJKLMNOPQRSTUVWXYZ\n";
	for (size_t i = 0; i < n; i++)
		text[i] = line[i % (sizeof line - 1)];
	int planted = 0;
	for (size_t at = 1000; at + 40 < n; at += 65536) {
		snprintf(val, sizeof val, "Secret-%d-%08xQ", planted % 10,
			 (unsigned)((planted % 10) * 40503u));
		memcpy(text + at, val, strlen(val));
		planted++;
	}
	text[n] = '\0';
	double t0 = now_s();
	char *out;
	size_t olen;
	int spans = redact(rs, text, n, &out, &olen);
	double dt = now_s() - t0;
	CHECK(spans == planted);
	CHECK(out && !strstr(out, "Secret-3-"));
	/* about 1 GB/s optimised on these machines; generous for sanitizer builds */
	fprintf(stderr, "redact: %zu MiB, %d secrets found, %.1f ms (%.0f MB/s)\n", n >> 20,
		spans, dt * 1e3, (double)n / dt / 1e6);
	CHECK(dt < 2.0);
	/* short strings: the common case of log lines */
	t0 = now_s();
	int found = 0;
	for (int i = 0; i < 200000; i++) {
		char *o;
		size_t ol;
		found += redact(rs, line, sizeof line - 1, &o, &ol);
	}
	dt = now_s() - t0;
	fprintf(stderr, "redact: 200000 lines of %zu bytes in %.1f ms\n", sizeof line - 1, dt * 1e3);
	CHECK(found == 0);
	CHECK(dt < 3.0);
	free(out);
	free(text);
	redact_free(rs);
}

int main(void)
{
	test_forms();
	test_overlaps_and_many();
	test_speed();
	return CHECK_DONE();
}
