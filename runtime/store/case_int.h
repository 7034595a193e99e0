/* case_int.h - what the case store's files share (record codec, index keys,
 * in-transaction helpers). Private to case*.c. */
#ifndef SOAR_CASE_INT_H
#define SOAR_CASE_INT_H

#include "case.h"
#include "store_db_int.h"
#include "store_buf.h"

/* ---- case_fields.c: the field slots of struct case_fields ---- */
enum { CF_TITLE, CF_TYPE, CF_SEVERITY, CF_STATUS, CF_OWNER, CF_ROLE, CF_LABELS, CF_CUSTOM,
       CF_DEDUPE, CF_SOURCE, CF_PARENT, CF_SLA_DUE, CF_SLA_PAUSE, CF_CLOSE_REASON, CF__COUNT };
#define CF_HAS(f, i) (((f)->set >> (i)) & 1u)

/* ---- case_codec.c: records and entries as compact tag-length-value bytes ---- */
int case_encode(const struct case_rec *c, struct store_buf *b);
/* Decodes into *out (which then owns a copy of all strings). 0 or -1 (damaged). */
int case_decode(uint64_t seq, const void *p, size_t n, struct case_rec *out);
void case_entry_encode(int kind, int64_t time, const char *actor, const char *text,
		       const char *data, struct store_buf *b);
int case_entry_decode(uint32_t no, const void *p, size_t n, struct case_entry *out);


/* ---- case_index.c: the composite index keys of one record ---- */
#define CASE_KEY_MAX (3 + CASE_MAX_SHORT + 16)
struct case_keys {
	size_t n;
	unsigned char k[2 * (8 + CASE_MAX_LABELS)][CASE_KEY_MAX];
	size_t len[2 * (8 + CASE_MAX_LABELS)];
};
/* Index kinds (first key byte); second byte 'c' (created) or 'u' (updated). */
enum { CASE_IX_ALL = 'A', CASE_IX_STATUS = 'S', CASE_IX_SEVERITY = 'V', CASE_IX_TYPE = 'T',
       CASE_IX_OWNER = 'O', CASE_IX_ROLE = 'R', CASE_IX_LABEL = 'L', CASE_IX_PARENT = 'P',
       CASE_IX_DEDUPE = 'D' };
/* Entry i is k[i] (len[i] bytes): the database key, then its 16-byte duplicate
 * (time, seq). */
void case_index_keys(const struct case_rec *c, struct case_keys *out);
/* Put / delete one entry (k, len as in case_keys). 0 or an LMDB code; deleting an
 * absent entry is 0. */
/* The database holding entries of index `kind` ("case_dkey" for 'D', else "case_ix"). */
MDB_dbi case_index_dbi(struct store *st, int kind);
int case_index_put(struct store *st, MDB_txn *txn, const unsigned char *k, size_t len);
int case_index_del(struct store *st, MDB_txn *txn, const unsigned char *k, size_t len);
/* prefix = kind, sort, len, value; returns its length. */
size_t case_index_prefix(unsigned char *out, int kind, int sort, const void *v, size_t vlen);

/* ---- case.c: helpers inside a write or read transaction ---- */
/* 0, MDB_NOTFOUND, or an LMDB code (MDB_CORRUPTED when the record won't decode). */
int case_load(struct store *st, MDB_txn *txn, uint64_t seq, struct case_rec *out);
/* Resolves "#42", "42" or a UUID: 0, MDB_NOTFOUND, or an LMDB code. */
int case_resolve(struct store *st, MDB_txn *txn, const char *ref, uint64_t *seq);
/* Writes `rec` and moves its index entries from those of `old` (NULL: new). */
int case_save(struct store *st, MDB_txn *txn, const struct case_rec *old,
	      const struct case_rec *rec);
/* Appends a timeline entry; bumps rec->entries and rec->updated (save after). */
int case_entry_put(struct store *st, MDB_txn *txn, struct case_rec *rec, int kind,
		   int64_t now, const char *actor, const char *text, const char *data);

#endif
