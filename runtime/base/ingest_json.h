/* ingest_json.h - a small strict JSON reader for the daemon's C fast paths
 * (alerts, pre-processing rules, API bodies), where no Lua state is at hand.
 *
 * The whole document becomes a tree of nodes in one growable array; strings are
 * decoded (UTF-8 checked, \u escapes and surrogate pairs joined) into the same
 * document's memory. Nodes also keep their raw text span, so an alert can be
 * stored exactly as it came. Depth and size are bounded by the caller's body
 * limit and IJ_MAX_DEPTH. */
#ifndef SOAR_INGEST_JSON_H
#define SOAR_INGEST_JSON_H

#include <stddef.h>

#define IJ_MAX_DEPTH 32

enum ij_type { IJ_NULL, IJ_FALSE, IJ_TRUE, IJ_NUM, IJ_STR, IJ_ARR, IJ_OBJ };

struct ij_node {
	enum ij_type type;
	const char *key;      /* in an object: the member's name (decoded) */
	const char *str;      /* strings: decoded, NUL-terminated; numbers: raw text */
	size_t len;           /* of str */
	const char *raw;      /* the value's text in the input */
	size_t rawlen;
	int child;            /* first child's index, -1 none */
	int next;             /* next sibling's index, -1 none */
	int count;            /* children */
	size_t soff_, koff_;  /* private: offsets into strs while parsing */
};

struct ij_doc {
	struct ij_node *n;    /* n[0] is the root */
	int nn, cap;
	char *strs;           /* decoded strings */
	size_t slen, scap;
};

/* Parses text (len bytes). Returns 0, or -1 with "at byte N: reason" in err
 * and nothing held (a failure frees its partial tree; ij_free after it is a
 * harmless no-op). Free a parsed document with ij_free. */
int ij_parse(struct ij_doc *d, const char *text, size_t len, char *err, size_t errlen);
void ij_free(struct ij_doc *d);

/* The member `key` of object node i, or NULL. */
const struct ij_node *ij_get(const struct ij_doc *d, const struct ij_node *obj, const char *key);
/* Child k of an array or object, or NULL. */
const struct ij_node *ij_at(const struct ij_doc *d, const struct ij_node *arr, int k);
/* A scalar as text: strings decoded, numbers raw, "true"/"false"/"null";
 * NULL for arrays and objects. */
const char *ij_text(const struct ij_node *v);

#endif
