/* edl_store.c - EDL lists and entries in LMDB (see edl.h for the records). */
#include "edl.h"
#include "store_db_int.h"
#include "datadir.h"
#include "file_atomic.h"
#include "store_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_REC 13   /* type u8, cap u32, created i64 */

static size_t entry_key(unsigned char *k, const char *list, const char *value)
{
	size_t ln = strlen(list), vn = strlen(value);
	memcpy(k, list, ln);
	k[ln] = 0;
	memcpy(k + ln + 1, value, vn);
	return ln + 1 + vn;
}

static int check_name(const char *list, char *err, size_t errlen)
{
	if (edl_name_ok(list))
		return 0;
	snprintf(err, errlen, "'%s' is not a list name (a-z, 0-9, '.', '_', '-'; up to %d, starting "
		 "with a letter or digit)", list, EDL_MAX_NAME);
	return EDL_REFUSED;
}

static int load_list(struct store *st, MDB_txn *txn, const char *list, struct edl_list_info *out)
{
	MDB_val k = { strlen(list), (void *)list }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_EDL_LISTS), &k, &v);
	if (rc)
		return rc;
	if (v.mv_size < LIST_REC)
		return MDB_CORRUPTED;
	const unsigned char *p = v.mv_data;
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", list);
	out->type = p[0];
	out->cap = store_get_u32(p + 1);
	out->created_ms = (int64_t)store_get_u64(p + 5);
	return 0;
}

static void decode_entry(const MDB_val *k, const MDB_val *v, size_t prefix, struct edl_entry *e)
{
	const unsigned char *p = v->mv_data;
	size_t vn = k->mv_size - prefix;
	if (vn > EDL_MAX_VALUE)
		vn = EDL_MAX_VALUE;
	memcpy(e->value, (const char *)k->mv_data + prefix, vn);
	e->value[vn] = 0;
	e->expires_ms = v->mv_size >= 16 ? (int64_t)store_get_u64(p) : 0;
	e->added_ms = v->mv_size >= 16 ? (int64_t)store_get_u64(p + 8) : 0;
	size_t cn = v->mv_size > 16 ? v->mv_size - 16 : 0;
	if (cn > EDL_MAX_COMMENT)
		cn = EDL_MAX_COMMENT;
	memcpy(e->comment, p + 16, cn);
	e->comment[cn] = 0;
}

static int expired(int64_t expires, int64_t now)
{
	return expires && expires <= now;
}

/* Counts unexpired entries; deletes expired ones when `purge` (write txn). */
static int count_entries(struct store *st, MDB_txn *txn, const char *list, int purge, int64_t now,
			 uint32_t *live, uint64_t *purged)
{
	unsigned char k[EDL_MAX_NAME + 2];
	size_t ln = strlen(list);
	memcpy(k, list, ln);
	k[ln] = 0;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_EDL_ENTRIES), &cur);
	if (rc)
		return rc;
	MDB_val key = { ln + 1, k }, v;
	*live = 0;
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size > ln && memcmp(key.mv_data, k, ln + 1) == 0) {
		if (v.mv_size >= 8 && expired((int64_t)store_get_u64(v.mv_data), now)) {
			if (purge) {
				rc = mdb_cursor_del(cur, 0);
				if (rc)
					break;
				if (purged)
					(*purged)++;
				rc = mdb_cursor_get(cur, &key, &v, MDB_GET_CURRENT);
				if (rc == EINVAL || rc == MDB_NOTFOUND) /* deleted the last one */
					break;
				continue;
			}
		} else {
			(*live)++;
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == EINVAL ? 0 : rc;
}

/* ---- add ---- */

struct add_ctx {
	const char *list, *value;
	const struct edl_add_opts *o;
	int added;
};

static int add_apply(struct store *st, struct store_txn *stx_, void *vctx, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct add_ctx *c = vctx;
	int64_t now = store_now_ms();
	struct edl_list_info li;
	int rc = load_list(st, txn, c->list, &li);
	int is_new_list = rc == MDB_NOTFOUND;
	if (rc && !is_new_list)
		return rc;
	if (is_new_list) {
		li.type = c->o->type ? c->o->type : edl_guess_type(c->value);
		li.cap = c->o->cap ? c->o->cap : EDL_DEFAULT_CAP;
		li.created_ms = now;
	} else if (c->o->type && c->o->type != li.type) {
		snprintf(err, errlen, "list %s holds %s entries, not %s", c->list, edl_type_name(li.type),
			 edl_type_name(c->o->type));
		return STORE_REFUSED;
	}
	char norm[EDL_MAX_VALUE + 1], why[400];
	if (edl_normalise(li.type, c->value, norm, why, sizeof why) != 0) {
		if (is_new_list && !c->o->type)  /* the type was only a guess from this value */
			snprintf(err, errlen, "not a valid entry for new list %s (an IP, a domain or a "
				 "URL; --type sets the list's type): %s", c->list, why);
		else
			snprintf(err, errlen, "invalid %s entry for list %s: %s", edl_type_name(li.type),
				 c->list, why);
		return STORE_REFUSED;
	}
	unsigned char k[EDL_MAX_NAME + 2 + EDL_MAX_VALUE];
	size_t kn = entry_key(k, c->list, norm);
	MDB_val key = { kn, k }, old;
	rc = mdb_get(txn, store_dbi(st, STORE_DB_EDL_ENTRIES), &key, &old);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	int exists = rc == 0 && !(old.mv_size >= 8 && expired((int64_t)store_get_u64(old.mv_data), now));
	struct edl_entry prev;
	memset(&prev, 0, sizeof prev);
	if (rc == 0)
		decode_entry(&key, &old, strlen(c->list) + 1, &prev);
	if (!exists) {
		uint32_t live = 0;
		rc = count_entries(st, txn, c->list, 0, now, &live, NULL);
		if (rc)
			return rc;
		if (live >= li.cap) {
			snprintf(err, errlen, "list %s is full (%u entries, its cap); remove entries or let "
				 "them expire", c->list, li.cap);
			return STORE_REFUSED;
		}
		/* Checked; now write. Expired entries go when the list is near full. */
		if (live + 1 >= li.cap) {
			uint64_t purged = 0;
			rc = count_entries(st, txn, c->list, 1, now, &live, &purged);
			if (rc)
				return rc;
		}
	}
	if (is_new_list) {
		unsigned char lr[LIST_REC];
		lr[0] = (unsigned char)li.type;
		store_put_u32(lr + 1, li.cap);
		store_put_u64(lr + 5, (uint64_t)li.created_ms);
		MDB_val lk = { strlen(c->list), (void *)c->list }, lv = { LIST_REC, lr };
		rc = mdb_put(txn, store_dbi(st, STORE_DB_EDL_LISTS), &lk, &lv, 0);
		if (rc)
			return rc;
	}
	const char *comment = c->o->comment ? c->o->comment : prev.comment;
	size_t cn = strlen(comment);
	unsigned char rec[16 + EDL_MAX_COMMENT];
	store_put_u64(rec, (uint64_t)c->o->expires_ms);
	store_put_u64(rec + 8, (uint64_t)(exists ? prev.added_ms : now));
	memcpy(rec + 16, comment, cn);
	MDB_val val = { 16 + cn, rec };
	rc = mdb_put(txn, store_dbi(st, STORE_DB_EDL_ENTRIES), &key, &val, 0);
	c->added = !exists;
	return rc;
}

int edl_add(struct store *st, const char *list, const char *value, const struct edl_add_opts *o,
	    int *added, char *err, size_t errlen)
{
	int rc = check_name(list, err, errlen);
	if (rc)
		return rc;
	if (o->comment && strlen(o->comment) > EDL_MAX_COMMENT) {
		snprintf(err, errlen, "a comment may have at most %d bytes", EDL_MAX_COMMENT);
		return EDL_REFUSED;
	}
	if (o->cap > EDL_MAX_CAP) {
		snprintf(err, errlen, "a list's cap may be at most %d", EDL_MAX_CAP);
		return EDL_REFUSED;
	}
	struct add_ctx c = { list, value, o, 0 };
	rc = store_write(st, add_apply, &c, err, errlen);
	if (rc == STORE_REFUSED)
		return EDL_REFUSED;
	if (rc)
		return -1;
	if (added)
		*added = c.added;
	return 0;
}

/* ---- remove ---- */

struct rm_ctx {
	const char *list, *value;
	int removed;
};

static int rm_apply(struct store *st, struct store_txn *stx_, void *vctx, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct rm_ctx *c = vctx;
	struct edl_list_info li;
	int rc = load_list(st, txn, c->list, &li);
	c->removed = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	char norm[EDL_MAX_VALUE + 1], why[400];
	if (edl_normalise(li.type, c->value, norm, why, sizeof why) != 0) {
		snprintf(err, errlen, "invalid %s entry: %s", edl_type_name(li.type), why);
		return STORE_REFUSED;
	}
	unsigned char k[EDL_MAX_NAME + 2 + EDL_MAX_VALUE];
	MDB_val key = { entry_key(k, c->list, norm), k };
	rc = mdb_del(txn, store_dbi(st, STORE_DB_EDL_ENTRIES), &key, NULL);
	if (rc == MDB_NOTFOUND)
		return 0;
	c->removed = rc == 0;
	return rc;
}

int edl_remove(struct store *st, const char *list, const char *value, int *removed,
	       char *err, size_t errlen)
{
	int rc = check_name(list, err, errlen);
	if (rc)
		return rc;
	struct rm_ctx c = { list, value, 0 };
	rc = store_write(st, rm_apply, &c, err, errlen);
	if (rc == STORE_REFUSED)
		return EDL_REFUSED;
	if (rc)
		return -1;
	if (removed)
		*removed = c.removed;
	return 0;
}

/* ---- reads ---- */

int edl_has(struct store *st, const char *list, const char *value, int *has,
	    struct edl_entry *out, char *err, size_t errlen)
{
	int rc = check_name(list, err, errlen);
	if (rc)
		return rc;
	*has = 0;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct edl_list_info li;
	rc = load_list(st, txn, list, &li);
	if (rc == 0) {
		char norm[EDL_MAX_VALUE + 1], why[400];
		if (edl_normalise(li.type, value, norm, why, sizeof why) != 0) {
			store_mdb_read_end(st, txn);
			snprintf(err, errlen, "invalid %s entry: %s", edl_type_name(li.type), why);
			return EDL_REFUSED;
		}
		unsigned char k[EDL_MAX_NAME + 2 + EDL_MAX_VALUE];
		MDB_val key = { entry_key(k, list, norm), k }, v;
		rc = mdb_get(txn, store_dbi(st, STORE_DB_EDL_ENTRIES), &key, &v);
		if (rc == 0) {
			struct edl_entry e;
			decode_entry(&key, &v, strlen(list) + 1, &e);
			*has = !expired(e.expires_ms, store_now_ms());
			if (*has && out)
				*out = e;
		}
	}
	store_mdb_read_end(st, txn);
	if (rc && rc != MDB_NOTFOUND) {
		store_error(st, rc, "reading an EDL", err, errlen);
		return -1;
	}
	return 0;
}

int edl_each(struct store *st, const char *list, const char *after,
	     int (*cb)(const struct edl_entry *e, void *ud), void *ud, char *err, size_t errlen)
{
	int rc = check_name(list, err, errlen);
	if (rc)
		return rc;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct edl_list_info li;
	rc = load_list(st, txn, list, &li);
	if (rc) {
		store_mdb_read_end(st, txn);
		if (rc == MDB_NOTFOUND) {
			/* callers put err in front of people (HTTP, CLI): never unwritten */
			snprintf(err, errlen, "no list %s (soarctl edl list shows the lists)", list);
			return EDL_NOT_FOUND;
		}
		store_error(st, rc, "reading an EDL", err, errlen);
		return -1;
	}
	MDB_cursor *cur;
	rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_EDL_ENTRIES), &cur);
	unsigned char k[EDL_MAX_NAME + 2 + EDL_MAX_VALUE];
	size_t ln = strlen(list);
	MDB_val key = { entry_key(k, list, after ? after : ""), k }, v;
	int64_t now = store_now_ms();
	if (rc == 0)
		rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	if (rc == 0 && after && key.mv_size == ln + 1 + strlen(after) &&
	    memcmp((char *)key.mv_data + ln + 1, after, strlen(after)) == 0)
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	struct edl_entry e;
	while (rc == 0 && key.mv_size > ln && memcmp(key.mv_data, list, ln) == 0 &&
	       ((char *)key.mv_data)[ln] == 0) {
		decode_entry(&key, &v, ln + 1, &e);
		if (!expired(e.expires_ms, now) && cb(&e, ud))
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	if (rc && rc != MDB_NOTFOUND) {
		store_error(st, rc, "reading an EDL", err, errlen);
		return -1;
	}
	return 0;
}

int edl_info(struct store *st, const char *list, struct edl_list_info *out, char *err, size_t errlen)
{
	int rc = check_name(list, err, errlen);
	if (rc)
		return rc == EDL_REFUSED ? EDL_NOT_FOUND : rc;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	rc = load_list(st, txn, list, out);
	if (rc == 0)
		rc = count_entries(st, txn, list, 0, store_now_ms(), &out->entries, NULL);
	store_mdb_read_end(st, txn);
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "no list %s (soarctl edl list shows the lists)", list);
		return EDL_NOT_FOUND;
	}
	if (rc) {
		store_error(st, rc, "reading an EDL", err, errlen);
		return -1;
	}
	return 0;
}

int edl_lists(struct store *st, int (*cb)(const struct edl_list_info *l, void *ud), void *ud,
	      char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_EDL_LISTS), &cur);
	MDB_val key, v;
	int64_t now = store_now_ms();
	if (rc == 0)
		rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST);
	while (rc == 0) {
		char name[EDL_MAX_NAME + 1];
		size_t n = key.mv_size > EDL_MAX_NAME ? EDL_MAX_NAME : key.mv_size;
		memcpy(name, key.mv_data, n);
		name[n] = 0;
		struct edl_list_info li;
		rc = load_list(st, txn, name, &li);
		if (rc == 0)
			rc = count_entries(st, txn, name, 0, now, &li.entries, NULL);
		if (rc || cb(&li, ud))
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	if (rc && rc != MDB_NOTFOUND) {
		store_error(st, rc, "listing EDLs", err, errlen);
		return -1;
	}
	return 0;
}

struct purge_ctx {
	const char *list;
	uint64_t purged;
};

static int purge_apply(struct store *st, struct store_txn *stx_, void *vctx, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)err;
	(void)errlen;
	struct purge_ctx *c = vctx;
	uint32_t live;
	c->purged = 0;
	return count_entries(st, txn, c->list, 1, store_now_ms(), &live, &c->purged);
}

int edl_purge(struct store *st, const char *list, uint64_t *purged, char *err, size_t errlen)
{
	int rc = check_name(list, err, errlen);
	if (rc)
		return rc;
	struct purge_ctx c = { list, 0 };
	if (store_write(st, purge_apply, &c, err, errlen) != 0)
		return -1;
	if (purged)
		*purged = c.purged;
	return 0;
}

/* ---- export ---- */

static int add_line(const struct edl_entry *e, void *ud)
{
	struct store_buf *b = ud;
	store_buf_str(b, e->value);
	store_buf_add(b, "\n", 1);
	return b->oom;
}

int edl_export(struct store *st, const char *list, const char *path, uint64_t *count,
	       char *err, size_t errlen)
{
	struct store_buf b = { 0 };
	uint64_t purged;
	int rc = edl_purge(st, list, &purged, err, errlen);
	if (rc)
		return rc;
	rc = edl_each(st, list, NULL, add_line, &b, err, errlen);
	if (rc == 0 && b.oom) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	uint64_t n = 0;
	for (size_t i = 0; i < b.len; i++)
		n += b.p[i] == '\n';
	if (rc == 0)
		rc = file_write_atomic(path, b.p ? b.p : "", b.len, err, errlen);
	store_buf_free(&b);
	if (rc == 0 && count)
		*count = n;
	return rc;
}

int edl_default_path(const char *list, char *out, size_t len, char *err, size_t errlen)
{
	if (!edl_name_ok(list)) {
		snprintf(err, errlen, "'%s' is not a list name", list);
		return -1;
	}
	if (!datadir_get()) {
		snprintf(err, errlen, "no data directory");
		return -1;
	}
	snprintf(out, len, "%s/edl/%s.txt", datadir_get(), list);
	return 0;
}
