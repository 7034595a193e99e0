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

/* Forms issue 12 found leaking: MIME-wrapped base64 (76 columns, CRLF or LF,
 * the break anywhere inside the secret's part), per-byte %XX of every byte,
 * \uXXXX JSON escapes (all bytes, or only the slash), hex in both cases. */
static void strip_breaks(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++)
		if (*r != '\r' && *r != '\n')
			*w++ = *r;
	*w = '\0';
}

static void test_encodings(void)
{
	struct redact_set *rs = redact_new();
	CHECK(redact_add(rs, "vt.api_key", SECRET, strlen(SECRET)) == 0);
	size_t sl = strlen(SECRET);
	char text[4096], enc[2048], plain[1024];
	/* MIME: base64 of prefix + secret + tail, wrapped at 76 columns; every
	 * prefix length from 0 to 80 moves the break through the secret's part. */
	for (int crlf = 0; crlf < 2; crlf++)
		for (size_t pre = 0; pre <= 80; pre++) {
			memset(plain, 'p', pre);
			memcpy(plain + pre, SECRET, sl);
			memcpy(plain + pre + sl, "-tail-of-the-mail", 17);
			size_t pl = pre + sl + 17;
			b64(plain, pl, 0, 1, enc, sizeof enc);
			char *w = text;
			w += sprintf(w, "Content-Transfer-Encoding: base64\r\n\r\n");
			for (size_t i = 0, n = strlen(enc); i < n; i += 76)
				w += sprintf(w, "%.*s%s", (int)(n - i < 76 ? n - i : 76), enc + i,
					     crlf ? "\r\n" : "\n");
			char *got = scrub(rs, text, NULL);
			if (!strstr(got, "[secret:vt.api_key]")) {
				check_failures++;
				fprintf(stderr, "MIME base64 (prefix %zu, %s) not redacted:\n%s\n", pre,
					crlf ? "CRLF" : "LF", got);
			}
			check_count++;
			/* what is left, unwrapped, holds no 8 characters of the secret's part */
			strip_breaks(got);
			size_t start = (pre * 4 + 2) / 3 + 2;
			char core[16];
			snprintf(core, sizeof core, "%.8s", enc + start);
			if (strstr(got, core)) {
				check_failures++;
				fprintf(stderr, "MIME base64 (prefix %zu): '%s' left in %s\n", pre, core, got);
			}
			check_count++;
			free(got);
		}
	/* a folded header: line break plus a leading space */
	b64(SECRET, sl, 0, 1, enc, sizeof enc);
	snprintf(text, sizeof text, "X-Token: %.10s\r\n %s\r\n", enc, enc + 10);
	expect(rs, text, "X-Token: [secret:vt.api_key]\r\n");

	/* every byte percent-encoded, lower- and upper-case hex */
	for (int upper = 0; upper < 2; upper++) {
		char *w = enc;
		for (size_t i = 0; i < sl; i++)
			w += sprintf(w, upper ? "%%%02X" : "%%%02x", (unsigned char)SECRET[i]);
		snprintf(text, sizeof text, "GET /x?k=%s&y=1", enc);
		expect(rs, text, "GET /x?k=[secret:vt.api_key]&y=1");
	}
	/* hex of the bytes, both cases (seen in an EDL comment) */
	for (int upper = 0; upper < 2; upper++) {
		char *w = enc;
		for (size_t i = 0; i < sl; i++)
			w += sprintf(w, upper ? "%02X" : "%02x", (unsigned char)SECRET[i]);
		snprintf(text, sizeof text, "10.0.0.1 # seen with %s", enc);
		expect(rs, text, "10.0.0.1 # seen with [secret:vt.api_key]");
	}
	/* JSON: every byte as \u00XX (both cases), and only the slash escaped */
	for (int upper = 0; upper < 2; upper++) {
		char *w = enc;
		for (size_t i = 0; i < sl; i++)
			w += sprintf(w, upper ? "\\u%04X" : "\\u%04x", (unsigned char)SECRET[i]);
		snprintf(text, sizeof text, "{\"k\":\"%s\"}", enc);
		expect(rs, text, "{\"k\":\"[secret:vt.api_key]\"}");
	}
	const char *slashes[] = { "\\/", "\\u002F", "\\u002f", NULL };
	for (int i = 0; slashes[i]; i++) {
		const char *slash = strchr(SECRET, '/');
		snprintf(text, sizeof text, "{\"k\":\"%.*s%s%s\"}", (int)(slash - SECRET), SECRET,
			 slashes[i], slash + 1);
		expect(rs, text, "{\"k\":\"[secret:vt.api_key]\"}");
	}
	/* a line break inside a raw secret (a wrapped log line) */
	snprintf(text, sizeof text, "key=%.12s\n%s end", SECRET, SECRET + 12);
	expect(rs, text, "key=[secret:vt.api_key] end");
	/* text with line breaks and no secret is left alone */
	char *out;
	size_t ol;
	const char *ml = "line one\nline two\r\nline three\n";
	CHECK(redact(rs, ml, strlen(ml), &out, &ol) == 0 && out == NULL);
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
	test_encodings();
	test_speed();
	return CHECK_DONE();
}
