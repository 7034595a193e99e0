/* test_edl.c - EDL entry formats (PAN-OS) and the list store: add, refresh,
 * expiry, cap, remove, export written atomically. */
#include "check.h"
#include "edl.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ok(int type, const char *in, const char *want)
{
	char out[EDL_MAX_VALUE + 1], err[512];
	int rc = edl_normalise(type, in, out, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "refused %s '%s': %s\n", edl_type_name(type), in, err);
	CHECK(rc == 0);
	if (rc == 0)
		CHECK_STR(out, want);
}

static void bad(int type, const char *in, const char *why)
{
	char out[EDL_MAX_VALUE + 1], err[512] = "";
	int rc = edl_normalise(type, in, out, err, sizeof err);
	if (rc == 0 || !strstr(err, why))
		fprintf(stderr, "%s '%s': rc %d, reason \"%s\", want \"%s\"\n", edl_type_name(type), in, rc,
			err, why);
	CHECK(rc == -1);
	CHECK(strstr(err, why) != NULL);
}

static void test_formats(void)
{
	ok(EDL_IP, "192.0.2.1", "192.0.2.1");
	ok(EDL_IP, " 192.0.2.1 ", "192.0.2.1");
	ok(EDL_IP, "2001:DB8::0:1", "2001:db8::1");
	ok(EDL_IP, "10.1.2.3/8", "10.0.0.0/8");
	ok(EDL_IP, "2001:db8::/32", "2001:db8::/32");
	ok(EDL_IP, "192.0.2.1-192.0.2.20", "192.0.2.1-192.0.2.20");
	ok(EDL_IP, "2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff");
	bad(EDL_IP, "192.0.2.300", "not an IPv4");
	bad(EDL_IP, "192.0.2.20-192.0.2.1", "ends before it starts");
	bad(EDL_IP, "192.0.2.1-2001:db8::1", "mixes IPv4 and IPv6");
	bad(EDL_IP, "10.0.0.0/33", "prefix length");
	bad(EDL_IP, "example.com", "not an IPv4");
	bad(EDL_IP, "", "empty");
	bad(EDL_IP, "1.2.3.4\n5.6.7.8", "control character");

	ok(EDL_DOMAIN, "Example.COM.", "example.com");
	ok(EDL_DOMAIN, "*.example.com", "*.example.com");
	ok(EDL_DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example");
	bad(EDL_DOMAIN, "*example.com", "whole leftmost label");
	bad(EDL_DOMAIN, "a.*.example.com", "only be the leftmost");
	ok(EDL_DOMAIN, "Bücher.example", "xn--bcher-kva.example");   /* IDN as A-labels (indicator rules) */
	/* One entry however it is spelled: NFC, NFD, full width, an A-label. */
	ok(EDL_DOMAIN, "caf\xc3\xa9.example", "xn--caf-dma.example");
	ok(EDL_DOMAIN, "cafe\xcc\x81.example", "xn--caf-dma.example");
	ok(EDL_DOMAIN, "*.\xef\xbd\x83\xef\xbd\x81\xef\xbd\x86\xc3\xa9\xef\xbc\x8e\xef\xbd\x85\xef\xbd\x98"
	   "\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85", "*.xn--caf-dma.example");
	ok(EDL_DOMAIN, "XN--CAF-DMA.example", "xn--caf-dma.example");
	bad(EDL_DOMAIN, "xn--n3h.example", "disallowed character");
	ok(EDL_URL, "cafe\xcc\x81.example:8443/Menu", "xn--caf-dma.example:8443/Menu");
	ok(EDL_URL, "CAF\xc3\x89.example/a", "xn--caf-dma.example/a");
	bad(EDL_URL, "*.caf\xc3\xa9.example/a", "ASCII form");
	bad(EDL_URL, "example.com/caf\xc3\xa9", "percent-encoded");
	bad(EDL_DOMAIN, "https://example.com/x", "is a URL");
	bad(EDL_DOMAIN, "exa mple.com", "not allowed");
	bad(EDL_DOMAIN, "localhost", "at least two labels");

	ok(EDL_URL, "Example.com/Path/To?q=1", "example.com/Path/To?q=1");
	ok(EDL_URL, "*.example.com/login", "*.example.com/login");
	ok(EDL_URL, "example.com:8443/x", "example.com:8443/x");
	ok(EDL_URL, "192.0.2.1/malware.exe", "192.0.2.1/malware.exe");
	bad(EDL_URL, "https://example.com/x", "drop the scheme (https://)");
	bad(EDL_URL, "/path", "no host");
	bad(EDL_URL, "exa*mple.com/x", "whole label");
	bad(EDL_URL, "example.com/a b", "percent-encoded");

	CHECK(edl_guess_type("192.0.2.1") == EDL_IP);
	CHECK(edl_guess_type("10.0.0.0/8") == EDL_IP);
	CHECK(edl_guess_type("192.0.2.1-192.0.2.9") == EDL_IP);
	CHECK(edl_guess_type("example.com") == EDL_DOMAIN);
	CHECK(edl_guess_type("example.com/x") == EDL_URL);
	CHECK(edl_name_ok("blocked-ips"));
	CHECK(!edl_name_ok("../x"));
	CHECK(!edl_name_ok("Upper"));
	CHECK(!edl_name_ok(""));
}

static int count_cb(const struct edl_entry *e, void *ud)
{
	(void)e;
	(*(int *)ud)++;
	return 0;
}

static void test_store(const char *dir)
{
	char err[512];
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	struct edl_add_opts o = { .cap = 3, .comment = "bad actor" };
	int added = -1;
	CHECK(edl_add(st, "block", "192.0.2.1", &o, &added, err, sizeof err) == 0);
	CHECK(added == 1);
	/* the same value again (written differently): refreshed, not added */
	o.comment = NULL;
	CHECK(edl_add(st, "block", " 192.0.2.1", &o, &added, err, sizeof err) == 0);
	CHECK(added == 0);
	struct edl_entry e;
	int has = 0;
	CHECK(edl_has(st, "block", "192.0.2.1", &has, &e, err, sizeof err) == 0);
	CHECK(has == 1);
	CHECK_STR(e.comment, "bad actor");
	/* the list's type is fixed by its first entry */
	CHECK(edl_add(st, "block", "example.com", &o, &added, err, sizeof err) == EDL_REFUSED);
	CHECK(strstr(err, "invalid ip entry") != NULL);
	o.type = EDL_DOMAIN;
	CHECK(edl_add(st, "block", "example.com", &o, &added, err, sizeof err) == EDL_REFUSED);
	CHECK(strstr(err, "holds ip entries") != NULL);
	o.type = 0;
	/* cap: 3 */
	CHECK(edl_add(st, "block", "192.0.2.2", &o, &added, err, sizeof err) == 0);
	CHECK(edl_add(st, "block", "10.0.0.0/8", &o, &added, err, sizeof err) == 0);
	CHECK(edl_add(st, "block", "192.0.2.4", &o, &added, err, sizeof err) == EDL_REFUSED);
	CHECK(strstr(err, "is full (3 entries") != NULL);
	/* an entry that has expired drops out, and frees its place */
	int removed = 0;
	CHECK(edl_remove(st, "block", "192.0.2.2", &removed, err, sizeof err) == 0);
	CHECK(removed == 1);
	CHECK(edl_remove(st, "block", "192.0.2.2", &removed, err, sizeof err) == 0);
	CHECK(removed == 0);
	o.expires_ms = store_now_ms() - 1;         /* already expired */
	CHECK(edl_add(st, "block", "192.0.2.9", &o, &added, err, sizeof err) == 0);
	CHECK(edl_has(st, "block", "192.0.2.9", &has, NULL, err, sizeof err) == 0);
	CHECK(has == 0);
	o.expires_ms = 0;
	CHECK(edl_add(st, "block", "192.0.2.5", &o, &added, err, sizeof err) == 0);
	int n = 0;
	CHECK(edl_each(st, "block", NULL, count_cb, &n, err, sizeof err) == 0);
	CHECK(n == 3);
	struct edl_list_info li;
	CHECK(edl_info(st, "block", &li, err, sizeof err) == 0);
	CHECK(li.type == EDL_IP && li.cap == 3 && li.entries == 3);
	CHECK(edl_info(st, "nope", &li, err, sizeof err) == EDL_NOT_FOUND);
	CHECK(edl_add(st, "Bad Name", "1.2.3.4", &o, &added, err, sizeof err) == EDL_REFUSED);

	/* export: the unexpired entries in order, one a line, written atomically */
	char path[4200];
	snprintf(path, sizeof path, "%s/out/block.txt", dir);
	uint64_t count = 0;
	CHECK(edl_export(st, "block", path, &count, err, sizeof err) == 0);
	CHECK(count == 3);
	FILE *f = fopen(path, "r");
	char text[256] = "";
	size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
	text[len] = 0;
	if (f)
		fclose(f);
	CHECK_STR(text, "10.0.0.0/8\n192.0.2.1\n192.0.2.5\n");
	/* no temporary file is left beside it */
	char tmp[4300];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	CHECK(access(tmp, F_OK) != 0);
	CHECK(edl_export(st, "nope", path, &count, err, sizeof err) == EDL_NOT_FOUND);
	store_close(st);
}

int main(void)
{
	test_formats();
	char dir[] = "/tmp/soar-test-edl-XXXXXX";
	if (mkdtemp(dir)) {
		test_store(dir);
		char cmd[256];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return CHECK_DONE();
}
