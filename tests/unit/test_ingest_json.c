/* test_ingest_json.c - json_parse frees what it built when it fails: bodies from
 * the network that fail to parse (at every kind of failure, deep in a big tree)
 * leave nothing held, whether or not the caller calls json_doc_free. Under the ASan
 * build LeakSanitizer also checks the calls below that never call json_doc_free. */
#include "check.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

static void fails_clean(const char *text, size_t len)
{
	struct json_doc d;
	char err[128] = "";
	CHECK(json_parse(&d, text, len, 0, err, sizeof err) == -1);
	CHECK(err[0] != 0);
	CHECK(d.n == NULL && d.strs == NULL && d.nn == 0 && d.slen == 0);
	if (d.n || d.strs)
		fprintf(stderr, "  held after a failure: %.60s\n", text);
	/* no json_doc_free: a failure must hold nothing */
}

int main(void)
{
	const char *bad[] = {
		"{\"a\":",                     /* unexpected end after nodes and strings */
		"{\"a\":\"b\",\"c\":[1,2,",    /* inside an array */
		"{\"a\":\"\xff\"}",            /* invalid UTF-8 */
		"{\"title\":\"x\"} trailing",  /* trailing text after a whole document */
		"[\"unterminated",
		"{\"a\":tru}",
		"{\"a\":01}",
		"{\"k\":\"\\ud800\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		fails_clean(bad[i], strlen(bad[i]));
	/* A large tree that fails at its very end: many nodes and strings built. */
	size_t n = 20000, off = 0;
	char *big = malloc(n * 16 + 16);
	big[off++] = '[';
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(big + off, "\"v%zu\",", i);
	big[off++] = '}';
	fails_clean(big, off);
	free(big);
	/* json_doc_free after a failure stays harmless, and a good parse still works. */
	struct json_doc d;
	CHECK(json_parse(&d, "{\"a\":", 5, 0, NULL, 0) == -1);
	json_doc_free(&d);
	CHECK(json_parse(&d, "{\"a\":[1,\"x\"]}", 13, 0, NULL, 0) == 0);
	CHECK_STR(json_text(json_at(&d, json_get(&d, &d.n[0], "a"), 1)), "x");
	json_doc_free(&d);
	return CHECK_DONE();
}
