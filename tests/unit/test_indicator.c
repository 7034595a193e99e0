/* test_indicator.c - indicator validation/normalisation per type, upserts,
 * verdict index, case links, and bad input leaving nothing behind; RFC 3492
 * Punycode and internationalised domain names. */
#include "check.h"

#include "case.h"
#include "indicator.h"
#include "punycode.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

static const char *norm(int type, const char *v)
{
	static char out[IND_MAX_VALUE + 1];
	if (indicator_normalise(type, v, out, err, sizeof err) != 0)
		return NULL;
	return out;
}

static void test_normalise(void)
{
	CHECK_STR(norm(IND_IPV4, " 10.0.0.1 "), "10.0.0.1");
	CHECK(norm(IND_IPV4, "10.0.0.256") == NULL);
	CHECK(norm(IND_IPV4, "010.0.0.1") == NULL);
	CHECK(norm(IND_IPV4, "10.1") == NULL);
	CHECK(norm(IND_IPV4, "::1") == NULL);
	CHECK_STR(norm(IND_IPV6, "2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
	CHECK_STR(norm(IND_IPV6, "::ffff:1.2.3.4"), "::ffff:1.2.3.4");
	CHECK(norm(IND_IPV6, "fe80::1%eth0") == NULL);
	CHECK(strstr(err, "zone") != NULL);
	CHECK(norm(IND_IPV6, "2001:db8::g") == NULL);
	CHECK_STR(norm(IND_CIDR, "10.1.2.3/8"), "10.0.0.0/8");
	CHECK_STR(norm(IND_CIDR, "192.168.1.77/30"), "192.168.1.76/30");
	CHECK_STR(norm(IND_CIDR, "2001:DB8::1/32"), "2001:db8::/32");
	CHECK_STR(norm(IND_CIDR, "1.2.3.4/0"), "0.0.0.0/0");
	CHECK(norm(IND_CIDR, "10.0.0.0/33") == NULL);
	CHECK(norm(IND_CIDR, "10.0.0.0") == NULL);
	CHECK(norm(IND_CIDR, "10.0.0.0/-1") == NULL);
	CHECK_STR(norm(IND_DOMAIN, "WWW.Example.COM."), "www.example.com");
	/* internationalised names: lower-cased, then punycode per label */
	CHECK_STR(norm(IND_DOMAIN, "bücher.de"), "xn--bcher-kva.de");
	CHECK_STR(norm(IND_DOMAIN, "BÜCHER.De."), "xn--bcher-kva.de");
	CHECK_STR(norm(IND_DOMAIN, "www.münchen.de"), "www.xn--mnchen-3ya.de");
	CHECK_STR(norm(IND_DOMAIN, "пример.рф"), "xn--e1afmkfd.xn--p1ai");
	CHECK_STR(norm(IND_DOMAIN, "ПРИМЕР.РФ"), "xn--e1afmkfd.xn--p1ai");
	CHECK_STR(norm(IND_DOMAIN, "例え。テスト"), "xn--r8jz45g.xn--zckzah");
	CHECK_STR(norm(IND_URL, "HTTPS://Bücher.de:8443/a?b"), "https://xn--bcher-kva.de:8443/a?b");
	CHECK_STR(norm(IND_EMAIL, "ann@Bücher.de"), "ann@xn--bcher-kva.de");
	CHECK_STR(norm(IND_DOMAIN, "xn--bcher-kva.de"), "xn--bcher-kva.de");
	/* what stays refused, with the reason */
	CHECK(norm(IND_DOMAIN, "b\xfc" "cher.de") == NULL);           /* Latin-1, not UTF-8 */
	CHECK(strstr(err, "not valid UTF-8") != NULL);
	CHECK(norm(IND_DOMAIN, "bad\xe2\x80\x83space.de") == NULL); /* U+2003 em space */
	CHECK(strstr(err, "U+2003") && strstr(err, "space"));
	CHECK(norm(IND_DOMAIN, "a\xe2\x98\x83.de") == NULL);        /* U+2603 snowman */
	CHECK(strstr(err, "symbol") != NULL);
	CHECK(norm(IND_DOMAIN, "\xee\x80\x80.de") == NULL);         /* U+E000 private use */
	CHECK(strstr(err, "private-use") != NULL);
	CHECK(norm(IND_DOMAIN, "bücher!.de") == NULL);
	CHECK(strstr(err, "'!' is not allowed") != NULL);
	CHECK(norm(IND_DOMAIN, "ü.") == NULL);                       /* one label */
	CHECK(norm(IND_DOMAIN, "äöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöüäöü.de") == NULL);
	CHECK(strstr(err, "63") != NULL);
	CHECK(norm(IND_URL, "https://example.com/b\xc3\xbc" "cher") == NULL);
	CHECK(strstr(err, "percent-encode") != NULL);
	CHECK(norm(IND_DOMAIN, "localhost") == NULL);
	CHECK(norm(IND_DOMAIN, "a..b") == NULL);
	CHECK(norm(IND_DOMAIN, "-a.com") == NULL);
	CHECK(norm(IND_DOMAIN, "1.2.3.4") == NULL);
	CHECK(norm(IND_DOMAIN, "exa mple.com") == NULL);
	CHECK_STR(norm(IND_URL, "HTTPS://Evil.EXAMPLE:8443/Path?q=A"), "https://evil.example:8443/Path?q=A");
	CHECK_STR(norm(IND_URL, "http://user@[2001:DB8::1]/x"), "http://user@[2001:db8::1]/x");
	CHECK_STR(norm(IND_URL, "http://10.0.0.1"), "http://10.0.0.1");
	CHECK(norm(IND_URL, "evil.example/path") == NULL);
	CHECK(norm(IND_URL, "http://evil.example:99999/") == NULL);
	CHECK(norm(IND_URL, "http://a b.com/") == NULL);
	CHECK_STR(norm(IND_MD5, "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
	CHECK(norm(IND_MD5, "d41d8cd98f00b204e9800998ecf8427") == NULL);
	CHECK(norm(IND_SHA1, "zz39a3ee5e6b4b0d3255bfef95601890afd80709") == NULL);
	CHECK(norm(IND_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") != NULL);
	CHECK_STR(norm(IND_EMAIL, "Alice.Smith@Example.COM"), "Alice.Smith@example.com");
	CHECK(norm(IND_EMAIL, "alice@") == NULL);
	CHECK(norm(IND_EMAIL, "al ice@example.com") == NULL);
	CHECK(norm(99, "x") == NULL);
	CHECK(indicator_type_parse("sha256") == IND_SHA256);
	CHECK(indicator_verdict_parse("bogus") == -1);
}

/* RFC 3492 section 7.1, the sample strings (A)-(S) but for (H) and (K). The
 * encoder keeps the case of basic code points; domains lower-case first. */
static void test_punycode_samples(void)
{
	static const struct {
		uint32_t cp[48];
		const char *want;
	} s[] = {
		{ { 0x644, 0x64A, 0x647, 0x645, 0x627, 0x628, 0x62A, 0x643, 0x644, 0x645, 0x648,
		    0x634, 0x639, 0x631, 0x628, 0x64A, 0x61F }, "egbpdaj6bu4bxfgehfvwxn" },
		{ { 0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587 },
		  "ihqwcrb4cv8a8dqg056pqjye" },
		{ { 0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587 },
		  "ihqwctvzc91f659drss3x8bo0yb" },
		{ { 0x50, 0x72, 0x6F, 0x10D, 0x70, 0x72, 0x6F, 0x73, 0x74, 0x11B, 0x6E, 0x65, 0x6D,
		    0x6C, 0x75, 0x76, 0xED, 0x10D, 0x65, 0x73, 0x6B, 0x79 },
		  "Proprostnemluvesky-uyb24dma41a" },
		{ { 0x5DC, 0x5DE, 0x5D4, 0x5D4, 0x5DD, 0x5E4, 0x5E9, 0x5D5, 0x5D8, 0x5DC, 0x5D0,
		    0x5DE, 0x5D3, 0x5D1, 0x5E8, 0x5D9, 0x5DD, 0x5E2, 0x5D1, 0x5E8, 0x5D9, 0x5EA },
		  "4dbcagdahymbxekheh6e0a7fei0b" },
		{ { 0x92F, 0x939, 0x932, 0x94B, 0x917, 0x939, 0x93F, 0x928, 0x94D, 0x926, 0x940,
		    0x915, 0x94D, 0x92F, 0x94B, 0x902, 0x928, 0x939, 0x940, 0x902, 0x92C, 0x94B,
		    0x932, 0x938, 0x915, 0x924, 0x947, 0x939, 0x948, 0x902 },
		  "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd" },
		{ { 0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C, 0x8A9E, 0x3092, 0x8A71,
		    0x3057, 0x3066, 0x304F, 0x308C, 0x306A, 0x3044, 0x306E, 0x304B },
		  "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa" },
		{ { 0x43F, 0x43E, 0x447, 0x435, 0x43C, 0x443, 0x436, 0x435, 0x43E, 0x43D, 0x438,
		    0x43D, 0x435, 0x433, 0x43E, 0x432, 0x43E, 0x440, 0x44F, 0x442, 0x43F, 0x43E,
		    0x440, 0x443, 0x441, 0x441, 0x43A, 0x438 },
		  "b1abfaaepdrnnbgefbadotcwatmq2g4l" },
		{ { 0x50, 0x6F, 0x72, 0x71, 0x75, 0xE9, 0x6E, 0x6F, 0x70, 0x75, 0x65, 0x64, 0x65,
		    0x6E, 0x73, 0x69, 0x6D, 0x70, 0x6C, 0x65, 0x6D, 0x65, 0x6E, 0x74, 0x65, 0x68,
		    0x61, 0x62, 0x6C, 0x61, 0x72, 0x65, 0x6E, 0x45, 0x73, 0x70, 0x61, 0xF1, 0x6F,
		    0x6C }, "PorqunopuedensimplementehablarenEspaol-fmd56a" },
		{ { 0x33, 0x5E74, 0x42, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F },
		  "3B-ww4c5e180e575a65lsy2b" },
		{ { 0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x2D, 0x77, 0x69, 0x74, 0x68, 0x2D,
		    0x53, 0x55, 0x50, 0x45, 0x52, 0x2D, 0x4D, 0x4F, 0x4E, 0x4B, 0x45, 0x59, 0x53 },
		  "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n" },
		{ { 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x2D, 0x41, 0x6E, 0x6F, 0x74, 0x68, 0x65, 0x72,
		    0x2D, 0x57, 0x61, 0x79, 0x2D, 0x305D, 0x308C, 0x305E, 0x308C, 0x306E, 0x5834,
		    0x6240 }, "Hello-Another-Way--fc4qua05auwb3674vfr0b" },
		{ { 0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x32 },
		  "2-u9tlzr9756bt3uc0v" },
		{ { 0x4D, 0x61, 0x6A, 0x69, 0x3067, 0x4B, 0x6F, 0x69, 0x3059, 0x308B, 0x35, 0x79D2,
		    0x524D }, "MajiKoi5-783gue6qz075azm5e" },
		{ { 0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x64, 0x65, 0x30EB, 0x30F3, 0x30D0 },
		  "de-jg4avhby1noc0d" },
		{ { 0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067 }, "d9juau41awczczp" },
		{ { 0x2D, 0x3E, 0x20, 0x24, 0x31, 0x2E, 0x30, 0x30, 0x20, 0x3C, 0x2D }, "-> $1.00 <--" },
	};
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		size_t n = 0;
		while (n < 48 && s[i].cp[n])
			n++;
		char out[128];
		int len = punycode_encode(s[i].cp, n, out, sizeof out);
		CHECK(len == (int)strlen(s[i].want));
		CHECK_STR(len >= 0 ? out : "(failed)", s[i].want);
	}
	char small[8];
	static const uint32_t cyr[] = { 0x43F, 0x440, 0x438, 0x43C, 0x435, 0x440 };
	CHECK(punycode_encode(cyr, 6, small, sizeof small) == -1); /* "e1afmkfd" needs 9 */
}

static void test_store(void)
{
	char dir[256], cmd[600];
	snprintf(dir, sizeof dir, "/tmp/test_indicator.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	CHECK(system(cmd) == 0);
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	struct case_fields f;
	case_fields_init(&f);
	case_fields_set(&f, "title", "scan", err, sizeof err);
	struct case_rec c;
	CHECK(case_create(st, &f, "t", &c, NULL, err, sizeof err) == 0);
	case_rec_free(&c);
	case_fields_free(&f);

	struct indicator_update u;
	struct indicator ind;
	indicator_update_init(&u);
	u.verdict = IND_MALICIOUS;
	u.score = 90;
	u.sources[u.nsources++] = "abuseipdb";
	u.tags[u.ntags++] = "scanner";
	u.case_ref = "1";
	u.seen = 1000000;
	CHECK(indicator_set(st, IND_IPV4, "203.0.113.9", &u, &ind, err, sizeof err) == 0);
	CHECK(ind.verdict == IND_MALICIOUS && ind.score == 90 && ind.ncases == 1 && ind.cases[0] == 1);
	indicator_free(&ind);
	/* second sighting: sources merge, verdict kept, first_seen kept */
	indicator_update_init(&u);
	u.sources[u.nsources++] = "greynoise";
	u.sources[u.nsources++] = "abuseipdb";
	u.seen = 2000000;
	CHECK(indicator_set(st, IND_IPV4, "203.0.113.9", &u, &ind, err, sizeof err) == 0);
	CHECK(ind.nsources == 2 && ind.verdict == IND_MALICIOUS);
	CHECK(ind.first_seen == 1000000 && ind.last_seen == 2000000);
	indicator_free(&ind);

	/* bad input: refused, nothing written */
	indicator_update_init(&u);
	u.verdict = IND_BENIGN;
	CHECK(indicator_set(st, IND_IPV4, "999.0.0.1", &u, NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "invalid ipv4") != NULL);
	u.score = 101;
	CHECK(indicator_set(st, IND_DOMAIN, "ok.example", &u, NULL, err, sizeof err) == -1);
	u.score = -1;
	u.case_ref = "#42";
	CHECK(indicator_set(st, IND_DOMAIN, "ok.example", &u, NULL, err, sizeof err) == -1);
	CHECK(indicator_get(st, IND_DOMAIN, "ok.example", &ind, err, sizeof err) == 1);
	u.case_ref = NULL;
	CHECK(indicator_set(st, IND_DOMAIN, "OK.example", &u, NULL, err, sizeof err) == 0);
	CHECK(indicator_get(st, IND_DOMAIN, "ok.EXAMPLE.", &ind, err, sizeof err) == 0);
	CHECK(ind.verdict == IND_BENIGN);
	indicator_free(&ind);

	/* search by verdict index, by type, paging */
	for (int i = 0; i < 25; i++) {
		char v[64];
		snprintf(v, sizeof v, "host%02d.example", i);
		indicator_update_init(&u);
		u.verdict = i % 2 ? IND_MALICIOUS : IND_SUSPICIOUS;
		CHECK(indicator_set(st, IND_DOMAIN, v, &u, NULL, err, sizeof err) == 0);
	}
	struct indicator_query q = { .verdict = IND_MALICIOUS, .limit = 5 };
	struct indicator_page p;
	size_t total = 0;
	char cursor[IND_MAX_VALUE * 2 + 8] = "";
	int pages = 0;
	do {
		q.cursor = cursor;
		CHECK(indicator_search(st, &q, &p, err, sizeof err) == 0);
		for (size_t i = 0; i < p.n; i++)
			CHECK(p.items[i].verdict == IND_MALICIOUS);
		total += p.n;
		snprintf(cursor, sizeof cursor, "%s", p.next);
		indicator_page_free(&p);
	} while (cursor[0] && ++pages < 20);
	CHECK(total == 13); /* 12 odd hosts + the IP */
	q = (struct indicator_query){ .type = IND_DOMAIN, .verdict = -1, .limit = 100 };
	CHECK(indicator_search(st, &q, &p, err, sizeof err) == 0 && p.n == 26);
	indicator_page_free(&p);
	q = (struct indicator_query){ .verdict = -1, .tag = "scanner" };
	CHECK(indicator_search(st, &q, &p, err, sizeof err) == 0 && p.n == 1);
	indicator_page_free(&p);

	char **list;
	size_t n;
	CHECK(indicator_of_case(st, 1, &list, &n, err, sizeof err) == 0 && n == 1);
	if (n == 1) {
		CHECK_STR(list[0], "ipv4:203.0.113.9");
		free(list[0]);
	}
	free(list);
	CHECK(case_get(st, "1", &c, err, sizeof err) == 0 && c.entries == 2);
	case_rec_free(&c);

	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	test_punycode_samples();
	test_normalise();
	test_store();
	return CHECK_DONE();
}
