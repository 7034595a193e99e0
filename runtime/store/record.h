/* record.h - the store's tagged-field record codec, described by field tables
 * so that each record kind is written down once (runs, journal entries and
 * prompts in runstore.c).
 *
 * A record is a sequence of fields, each: tag (varint), length (varint), value.
 * Strings are their bytes; integers are a varint inside the length. Zero
 * integers and empty strings are not written (absent = zero). Decoding skips
 * unknown tags, so a newer soarctl may add fields without a migration, and an
 * older one still reads what it knows. A kind that must change a field's
 * meaning takes a new tag, never a new meaning for an old one.
 *
 * Varints are LEB128 (store_buf.h: store_varint_put / store_varint_get).
 * Encoding writes into the caller's memory first (a journal entry is encoded on
 * the stack, with no allocation a step).
 */
#ifndef SOAR_RECORD_H
#define SOAR_RECORD_H

#include "store_buf.h"

#include <stddef.h>

enum record_type {
	REC_STR,   /* char *: malloc'd on decode, freed by record_free */
	REC_I64,   /* int64_t */
	REC_U32,   /* uint32_t */
	REC_I32,   /* int32_t */
	REC_INT,   /* int */
	REC_CHARS, /* char[size]: NUL-terminated text, cut to size - 1 on decode */
};

struct record_field {
	unsigned tag;          /* 1.. ; 0 ends a table */
	enum record_type type;
	size_t off;            /* offsetof the member */
	size_t size;           /* sizeof the member */
};

#define RECORD_FIELD(tag, type, st, member) \
	{ tag, type, offsetof(struct st, member), sizeof(((struct st *)0)->member) }

/* Longest varint; a field's header is at most 2 of them. */
#define RECORD_VARINT_MAX 10

/* Writes rec's fields into out (cap bytes) and returns the record's length.
 * When it did not fit (*partial set), a second call with a place of that length
 * plus 2 * RECORD_VARINT_MAX completes it. */
size_t record_encode_to(unsigned char *out, size_t cap, const struct record_field *f,
			const void *rec, int *partial);

/* Encodes into small (cap bytes) or, when it does not fit, into a buffer
 * returned in *heap (the caller frees it). Returns the data, NULL when out of
 * memory; *n is its length. */
unsigned char *record_encode_in(unsigned char *small, size_t cap, unsigned char **heap,
				size_t *n, const struct record_field *f, const void *rec);

/* Appends the encoded record to b (b->oom when out of memory). */
void record_encode(struct store_buf *b, const struct record_field *f, const void *rec);

/* Decodes into rec (fields not in data are left as they are). Returns 0, or -1
 * when the data is damaged or out of memory; REC_STR fields decoded so far are
 * rec's to free (record_free) either way. */
int record_decode(const void *data, size_t len, const struct record_field *fields, void *rec);

/* Frees rec's REC_STR fields and sets them NULL. */
void record_free(const struct record_field *f, void *rec);

/* The same fields, one at a time: for a kind that a table cannot describe (a
 * case's repeated labels, its strings in one block: case_codec.c). */
/* Appends an integer field (0 is not written: absent = zero). */
void record_put_int(struct store_buf *b, unsigned tag, uint64_t v);
/* Appends a string or bytes field (written even when empty). */
void record_put_bytes(struct store_buf *b, unsigned tag, const void *p, size_t n);
/* Calls fn with each field's tag and value bytes, in order. Returns 0, or -1
 * when the data is damaged (fn may have been called for the fields before). */
int record_walk(const void *data, size_t len,
		void (*fn)(void *arg, unsigned tag, const unsigned char *p, size_t n), void *arg);
/* The integer an integer field's value bytes hold: 0, or -1 when damaged. */
int record_int(const unsigned char *p, size_t n, uint64_t *v);

#endif
