/* case_index.c - the composite keys that make case queries a cursor seek.
 *
 * Key: kind (1 byte) | sort ('c' created, 'u' updated) | value length (1) |
 * value | time (8, big endian) | seq (8, big endian). Within one (kind, sort,
 * value) the keys are in time order, so "the newest 50 open cases of type
 * phishing" is one seek to the end of that prefix and 50 steps back.
 */
#include "case_int.h"

#include <string.h>

size_t case_index_prefix(unsigned char *out, int kind, int sort, const void *v, size_t vlen)
{
	out[0] = (unsigned char)kind;
	out[1] = sort == CASE_SORT_UPDATED ? 'u' : 'c';
	out[2] = (unsigned char)vlen;
	if (vlen)
		memcpy(out + 3, v, vlen);
	return 3 + vlen;
}

static void add(struct case_keys *ks, const struct case_rec *c, int kind, int sort,
		const void *v, size_t vlen)
{
	if (ks->n >= sizeof ks->len / sizeof ks->len[0] || vlen > CASE_MAX_SHORT)
		return;
	unsigned char *k = ks->k[ks->n];
	size_t n = case_index_prefix(k, kind, sort, v, vlen);
	store_put_u64(k + n, (uint64_t)(sort == CASE_SORT_UPDATED ? c->updated : c->created));
	store_put_u64(k + n + 8, c->seq);
	ks->len[ks->n++] = n + 16;
}

static void add_str(struct case_keys *ks, const struct case_rec *c, int kind, int sort,
		    const char *s)
{
	if (s && *s)
		add(ks, c, kind, sort, s, strlen(s));
}

void case_index_keys(const struct case_rec *c, struct case_keys *ks)
{
	ks->n = 0;
	for (int sort = CASE_SORT_CREATED; sort <= CASE_SORT_UPDATED; sort++) {
		unsigned char b;
		add(ks, c, CASE_IX_ALL, sort, NULL, 0);
		b = (unsigned char)c->status;
		add(ks, c, CASE_IX_STATUS, sort, &b, 1);
		b = (unsigned char)c->severity;
		add(ks, c, CASE_IX_SEVERITY, sort, &b, 1);
		add_str(ks, c, CASE_IX_TYPE, sort, c->type);
		add_str(ks, c, CASE_IX_OWNER, sort, c->owner);
		add_str(ks, c, CASE_IX_ROLE, sort, c->role);
		for (size_t i = 0; i < c->nlabels; i++)
			add_str(ks, c, CASE_IX_LABEL, sort, c->labels[i]);
	}
	/* Children and dedupe-key lookups are small sets: created order is enough,
	 * and a dedupe key is usually unique, so each entry is a random insert:
	 * one per case, not two. */
	if (c->parent) {
		unsigned char p[8];
		store_put_u64(p, c->parent);
		add(ks, c, CASE_IX_PARENT, CASE_SORT_CREATED, p, 8);
	}
	add_str(ks, c, CASE_IX_DEDUPE, CASE_SORT_CREATED, c->dedupe_key);
}
