/* test_indicator.c - indicator validation/normalisation per type, upserts,
 * verdict index, case links, and bad input leaving nothing behind;
 * internationalised domain names (idn.h) against UTS #46 style vectors. */
#include "check.h"

#include "case.h"
#include "indicator.h"
#include "idn.h"
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
	CHECK(strstr(err, "' '") && strstr(err, "not allowed"));  /* UTS #46 maps it to a space */
	CHECK(norm(IND_DOMAIN, "a\xe2\x98\x83.de") == NULL);        /* U+2603 snowman */
	CHECK(strstr(err, "disallowed character") != NULL);
	CHECK(norm(IND_DOMAIN, "\xee\x80\x80.de") == NULL);         /* U+E000 private use */
	CHECK(strstr(err, "disallowed character") != NULL);
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

/* UTS #46 style vectors (IDNA2008, non-transitional, NFC input, mapping): input
 * -> the one A-label form, or NULL and a part of the error. One name, however
 * it is spelled, gives one key; what IDNA2008 disallows is refused by name. */
static void test_idn_vectors(void)
{
	static const struct {
		const char *in, *want, *why;
	} v[] = {
		/* one name, several spellings */
		{ "caf\xc3\xa9.com", "xn--caf-dma.com", NULL },                    /* NFC */
		{ "cafe\xcc\x81.com", "xn--caf-dma.com", NULL },                   /* NFD */
		{ "CAF\xc3\x89.COM", "xn--caf-dma.com", NULL },                    /* upper case */
		{ "\xef\xbd\x83\xef\xbd\x81\xef\xbd\x86\xc3\xa9\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f"
		  "\xef\xbd\x8d", "xn--caf-dma.com", NULL },                       /* full width, U+FF0E */
		{ "xn--caf-dma.com", "xn--caf-dma.com", NULL },                     /* the A-label itself */
		{ "XN--CAF-DMA.COM", "xn--caf-dma.com", NULL },
		{ "B\xc3\xbc" "cher.de", "xn--bcher-kva.de", NULL },
		{ "BU\xcc\x88" "CHER.de", "xn--bcher-kva.de", NULL },               /* decomposed capital */
		{ "\xef\xbd\x98\xef\xbd\x8e\xef\xbc\x8d\xef\xbc\x8d\xef\xbd\x82\xef\xbd\x83\xef\xbd\x88"
		  "\xef\xbd\x85\xef\xbd\x92\xef\xbc\x8d\xef\xbd\x8b\xef\xbd\x96\xef\xbd\x81.de",
		  "xn--bcher-kva.de", NULL },                                     /* a full-width A-label */
		{ "\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
		  "xn--r8jz45g.xn--zckzah", NULL },                               /* U+3002 separates */
		{ "\xe2\x85\xab.com", "xii.com", NULL },                             /* compatibility mapping */
		{ "\xef\xac\x81.com", "fi.com", NULL },                              /* a ligature */
		/* non-transitional: deviation characters are kept, not mapped away */
		{ "fa\xc3\x9f.de", "xn--fa-hia.de", NULL },                          /* sharp s */
		{ "\xcf\x82.com", "xn--3xa.com", NULL },                              /* final sigma */
		{ "\xce\xb1\xce\xb2\xce\xb3.gr", "xn--mxacd.gr", NULL },
		{ "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
		  "xn--e1afmkfd.xn--p1ai", NULL },
		{ "www.m\xc3\xbcnchen.de", "www.xn--mnchen-3ya.de", NULL },
		/* ASCII labels are only lower-cased (DNS serves what IDNA2008 would refuse) */
		{ "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", NULL },
		{ "_dmarc.Example.com", "_dmarc.example.com", NULL },
		/* refused, saying why */
		{ "\xe2\x98\x83.com", NULL, "disallowed character" },              /* a snowman */
		{ "xn--n3h.com", NULL, "disallowed character" },                  /* its A-label */
		{ "xn--caf-yvc.com", NULL, "not a valid internationalised domain name" }, /* not NFC */
		{ "xn--invalid-.de", NULL, "invalid punycode" },
		{ "a\xe2\x80\x8d" "b.com", NULL, "context-j" },                       /* ZWJ out of context */
		{ "\xd8\xa7" "b.com", NULL, "not a valid internationalised domain name" }, /* bidi rule */
		{ "-\xc3\xa9.com", NULL, "hyphen" },
		{ "\xc3\xa9" "ab--c.com", "xn--ab--c-9ra.com", NULL },
		{ "b\xfc" "cher.de", NULL, "byte 2 (0xfc) is not valid UTF-8" },  /* Latin-1 */
		{ "\xcc\x81" "a.com", NULL, "not a valid internationalised domain name" }, /* leading mark */
	};
	char out[300], why[300];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int rc = idn_to_ascii(v[i].in, out, sizeof out, why, sizeof why);
		if (v[i].want) {
			if (rc != 0)
				fprintf(stderr, "vector %zu: %s\n", i, why);
			CHECK(rc == 0);
			CHECK_STR(rc == 0 ? out : why, v[i].want);
		} else {
			if (rc == 0)
				fprintf(stderr, "vector %zu accepted as %s\n", i, out);
			CHECK(rc == -1);
			CHECK_HAS(why, v[i].why);
		}
	}
	/* The error names the name and the label. */
	CHECK(idn_to_ascii("www.\xe2\x98\x83.com", out, sizeof out, why, sizeof why) == -1);
	CHECK_STR(why, "'www.\xe2\x98\x83.com': label '\xe2\x98\x83' is not a valid internationalised "
		       "domain name (string contains a disallowed character)");
	/* Too long for the output: refused, never cut. */
	CHECK(idn_to_ascii("caf\xc3\xa9.com", out, 10, why, sizeof why) == -1);
	CHECK(idn_needed("example.com") == 0 && idn_needed("a.XN--caf-dma.com") == 1 &&
	      idn_needed("caf\xc3\xa9") == 1 && idn_needed("axn--b.com") == 0);
	/* Through the indicator rules: every spelling is one key. */
	CHECK_STR(norm(IND_DOMAIN, "cafe\xcc\x81.com"), "xn--caf-dma.com");
	CHECK_STR(norm(IND_URL, "https://cafe\xcc\x81.com/x"), "https://xn--caf-dma.com/x");
	CHECK(norm(IND_DOMAIN, "xn--n3h.com") == NULL);
	CHECK_HAS(err, "disallowed character");
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
	test_idn_vectors();
	test_normalise();
	test_store();
	return CHECK_DONE();
}
