/* fuzz_ingest_json.c - the daemon's C JSON reader (ingest_json.c) on any bytes:
 * no crash, no read past the input, no leak (ij_free after success and after
 * failure alike), and a tree whose links, counts, raw spans and strings are
 * consistent, reached through the accessors the daemon uses. */
#include "fuzz.h"
#include "ingest_json.h"

#include <string.h>

static const uint8_t *in_lo, *in_hi;

static void walk(const struct ij_doc *d, const struct ij_node *v, int depth)
{
	FUZZ_CHECK(depth <= IJ_MAX_DEPTH + 1, "depth %d", depth);
	FUZZ_CHECK(v->raw && (const uint8_t *)v->raw >= in_lo &&
		   (const uint8_t *)v->raw + v->rawlen <= in_hi, "raw span outside the input");
	if (v->type == IJ_ARR || v->type == IJ_OBJ) {
		FUZZ_CHECK(ij_text(v) == NULL, "ij_text of a container");
		int k = 0;
		for (int i = v->child; i != -1; i = d->n[i].next, k++) {
			FUZZ_CHECK(i > 0 && i < d->nn, "child index %d of %d", i, d->nn);
			const struct ij_node *c = &d->n[i];
			FUZZ_CHECK(ij_at(d, v, k) == c, "ij_at(%d)", k);
			if (v->type == IJ_OBJ) {
				FUZZ_CHECK(c->key != NULL, "member without a key");
				/* duplicate keys: whichever ij_get picks, it has that key */
				const struct ij_node *g = ij_get(d, v, c->key);
				FUZZ_CHECK(g && strcmp(g->key, c->key) == 0, "ij_get(\"%s\")", c->key);
			}
			walk(d, c, depth + 1);
		}
		FUZZ_CHECK(k == v->count, "count %d, %d children", v->count, k);
		FUZZ_CHECK(ij_at(d, v, k) == NULL, "ij_at past the end");
	} else {
		const char *t = ij_text(v);
		FUZZ_CHECK(t != NULL, "scalar without text");
		if (v->type == IJ_STR || v->type == IJ_NUM)
			FUZZ_CHECK(v->str && v->str[v->len] == 0, "string not NUL-terminated at len");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ij_doc d;
	memset(&d, 0, sizeof d);
	char err[256] = "";
	in_lo = data;
	in_hi = data + size;
	if (ij_parse(&d, (const char *)data, size, err, sizeof err) == 0) {
		FUZZ_CHECK(d.nn >= 1, "no root");
		walk(&d, &d.n[0], 0);
	} else {
		FUZZ_CHECK(err[0] != 0, "failure without a message");
	}
	ij_free(&d);
	return 0;
}
