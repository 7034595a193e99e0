/* fuzz_ingest_json.c - the daemon's C JSON reader (ingest_json.c) on any bytes:
 * no crash, no read past the input, no leak (json_free after success and after
 * failure alike), and a tree whose links, counts, raw spans and strings are
 * consistent, reached through the accessors the daemon uses. */
#include "fuzz.h"
#include "json.h"

#include <string.h>

static const uint8_t *in_lo, *in_hi;

static void walk(const struct json_doc *d, const struct json_node *v, int depth)
{
	FUZZ_CHECK(depth <= JSON_TREE_MAX_DEPTH + 1, "depth %d", depth);
	FUZZ_CHECK(v->raw && (const uint8_t *)v->raw >= in_lo &&
		   (const uint8_t *)v->raw + v->rawlen <= in_hi, "raw span outside the input");
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
		FUZZ_CHECK(json_text(v) == NULL, "json_text of a container");
		int k = 0;
		for (int i = v->child; i != -1; i = d->n[i].next, k++) {
			FUZZ_CHECK(i > 0 && i < d->nn, "child index %d of %d", i, d->nn);
			const struct json_node *c = &d->n[i];
			FUZZ_CHECK(json_at(d, v, k) == c, "json_at(%d)", k);
			if (v->type == JSON_OBJECT) {
				FUZZ_CHECK(c->key != NULL, "member without a key");
				/* duplicate keys: whichever json_get picks, it has that key */
				const struct json_node *g = json_get(d, v, c->key);
				FUZZ_CHECK(g && strcmp(g->key, c->key) == 0, "json_get(\"%s\")", c->key);
			}
			walk(d, c, depth + 1);
		}
		FUZZ_CHECK(k == v->count, "count %d, %d children", v->count, k);
		FUZZ_CHECK(json_at(d, v, k) == NULL, "ij_at past the end");
	} else {
		const char *t = json_text(v);
		FUZZ_CHECK(t != NULL, "scalar without text");
		if (v->type == JSON_STRING || v->type == JSON_NUMBER)
			FUZZ_CHECK(v->str && v->str[v->len] == 0, "string not NUL-terminated at len");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d;
	memset(&d, 0, sizeof d);
	char err[256] = "";
	in_lo = data;
	in_hi = data + size;
	if (json_parse(&d, (const char *)data, size, 0, err, sizeof err) == 0) {
		FUZZ_CHECK(d.nn >= 1, "no root");
		walk(&d, &d.n[0], 0);
	} else {
		FUZZ_CHECK(err[0] != 0, "failure without a message");
	}
	json_doc_free(&d);
	return 0;
}
