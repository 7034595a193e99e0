/* indicator.c - indicator records, their verdict index and case links.
 *
 * Record (STORE_DB_INDICATORS, key type u8 | value): version 1, then varints
 * verdict, score, first_seen, last_seen, expires (+1, 0 = never), then the
 * sources and tags as count + (length, bytes) each. */
#include "indicator.h"
#include "store_db_int.h"

#include "case_int.h" /* case_resolve/case_load/case_entry_put inside our transaction */
#include "store_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_VERSION 1

void indicator_update_init(struct indicator_update *u)
{
	memset(u, 0, sizeof *u);
	u->verdict = -1;
	u->score = -1;
}

void indicator_free(struct indicator *ind)
{
	if (!ind)
		return;
	free(ind->mem_);
	memset(ind, 0, sizeof *ind);
}

void indicator_page_free(struct indicator_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		indicator_free(&p->items[i]);
	free(p->items);
	memset(p, 0, sizeof *p);
}

static size_t make_key(unsigned char *k, int type, const char *value)
{
	size_t n = strlen(value);
	k[0] = (unsigned char)type;
	memcpy(k + 1, value, n);
	return n + 1;
}

static void encode(const struct indicator *ind, struct store_buf *b)
{
	unsigned char v = REC_VERSION;
	store_buf_add(b, &v, 1);
	store_buf_varint(b, (uint64_t)ind->verdict);
	store_buf_varint(b, (uint64_t)ind->score);
	store_buf_varint(b, (uint64_t)ind->first_seen);
	store_buf_varint(b, (uint64_t)ind->last_seen);
	store_buf_varint(b, (uint64_t)(ind->expires + 1));
	store_buf_varint(b, ind->nsources);
	for (size_t i = 0; i < ind->nsources; i++) {
		store_buf_varint(b, strlen(ind->sources[i]));
		store_buf_str(b, ind->sources[i]);
	}
	store_buf_varint(b, ind->ntags);
	for (size_t i = 0; i < ind->ntags; i++) {
		store_buf_varint(b, strlen(ind->tags[i]));
		store_buf_str(b, ind->tags[i]);
	}
}

static int decode_list(const unsigned char **p, const unsigned char *end, char **list,
		       size_t *n, char **mem)
{
	uint64_t cnt, len;
	if (store_varint_get(p, end, &cnt) || cnt > IND_MAX_LIST)
		return -1;
	for (*n = 0; *n < cnt; (*n)++) {
		if (store_varint_get(p, end, &len) || len > (uint64_t)(end - *p))
			return -1;
		list[*n] = *mem;
		memcpy(*mem, *p, len);
		(*mem)[len] = '\0';
		*mem += len + 1;
		*p += len;
	}
	return 0;
}

static int decode(const unsigned char *k, size_t kn, const void *data, size_t n,
		  struct indicator *out)
{
	memset(out, 0, sizeof *out);
	if (kn < 2 || kn - 1 > IND_MAX_VALUE)
		return -1;
	out->type = k[0];
	memcpy(out->value, k + 1, kn - 1);
	out->value[kn - 1] = '\0';
	const unsigned char *p = data, *end = p + n;
	uint64_t v[5];
	if (n < 1 || *p++ != REC_VERSION)
		return -1;
	for (int i = 0; i < 5; i++)
		if (store_varint_get(&p, end, &v[i]))
			return -1;
	out->verdict = (int)v[0];
	out->score = (int)v[1];
	out->first_seen = (int64_t)v[2];
	out->last_seen = (int64_t)v[3];
	out->expires = (int64_t)v[4] - 1;
	char *mem = malloc(2 * n + 1);
	if (!mem)
		return -1;
	out->mem_ = mem;
	if (decode_list(&p, end, out->sources, &out->nsources, &mem) ||
	    decode_list(&p, end, out->tags, &out->ntags, &mem)) {
		indicator_free(out);
		return -1;
	}
	return 0;
}

/* Fills ind->cases from STORE_DB_IND_CASES, newest (highest number) first. */
static int load_cases(struct store *st, MDB_txn *txn, struct indicator *ind)
{
	unsigned char k[IND_MAX_VALUE + 12];
	size_t kn = make_key(k, ind->type, ind->value);
	k[kn++] = 0;
	memset(k + kn, 0xff, 8);
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_IND_CASES), &cur);
	if (rc)
		return rc;
	MDB_val key = { kn + 8, k }, v;
	ind->ncases = 0;
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(cur, &key, &v, MDB_PREV) :
	     rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &key, &v, MDB_LAST) : rc;
	while (rc == 0 && ind->ncases < IND_MAX_CASES) {
		if (key.mv_size != kn + 8 || memcmp(key.mv_data, k, kn) != 0)
			break;
		ind->cases[ind->ncases++] = store_get_u64((unsigned char *)key.mv_data + kn);
		rc = mdb_cursor_get(cur, &key, &v, MDB_PREV);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int load(struct store *st, MDB_txn *txn, int type, const char *value,
		struct indicator *out)
{
	unsigned char k[IND_MAX_VALUE + 2];
	size_t kn = make_key(k, type, value);
	MDB_val key = { kn, k }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_INDICATORS), &key, &v);
	if (rc)
		return rc;
	if (decode(k, kn, v.mv_data, v.mv_size, out))
		return MDB_CORRUPTED;
	return load_cases(st, txn, out);
}

static void add_unique(char **list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	if (*n < IND_MAX_LIST)
		list[(*n)++] = (char *)s;
}

struct set_ctx {
	int type;
	const char *value;
	const struct indicator_update *u;
	struct indicator out;
};

static int set_apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct set_ctx *c = arg;
	const struct indicator_update *u = c->u;
	indicator_free(&c->out);
	int64_t now = store_now_ms(), seen = u->seen ? u->seen : now;
	struct indicator old, ind;
	int rc = load(st, txn, c->type, c->value, &old);
	int exists = rc == 0;
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	if (!exists) {
		memset(&old, 0, sizeof old);
		old.type = c->type;
		snprintf(old.value, sizeof old.value, "%s", c->value);
		old.first_seen = old.last_seen = seen;
		old.expires = 0;
	}
	ind = old;
	ind.mem_ = NULL;
	uint64_t case_seq = 0;
	struct case_rec cr = { 0 };
	if (u->case_ref) {
		rc = case_resolve(st, txn, u->case_ref, &case_seq);
		if (rc == 0)
			rc = case_load(st, txn, case_seq, &cr);
		if (rc == MDB_NOTFOUND || rc == EINVAL) {
			snprintf(err, errlen, "case %s not found", u->case_ref);
			rc = STORE_REFUSED;
		}
		if (rc) {
			if (exists)
				indicator_free(&old);
			return rc;
		}
	}
	if (u->verdict >= 0)
		ind.verdict = u->verdict;
	if (u->score >= 0)
		ind.score = u->score;
	for (size_t i = 0; i < u->nsources; i++)
		add_unique(ind.sources, &ind.nsources, u->sources[i]);
	for (size_t i = 0; i < u->ntags; i++)
		add_unique(ind.tags, &ind.ntags, u->tags[i]);
	if (seen < ind.first_seen)
		ind.first_seen = seen;
	if (seen > ind.last_seen)
		ind.last_seen = seen;
	if (u->expires)
		ind.expires = u->expires < 0 ? 0 : u->expires;

	/* Checks done: write record, verdict index, case link. */
	unsigned char k[IND_MAX_VALUE + 12];
	size_t kn = make_key(k, c->type, c->value);
	struct store_buf b = { 0 };
	encode(&ind, &b);
	MDB_val key = { kn, k }, val = { b.len, b.p }, empty = { 0, "" };
	rc = b.oom ? ENOMEM : mdb_put(txn, store_dbi(st, STORE_DB_INDICATORS), &key, &val, 0);
	store_buf_free(&b);
	unsigned char ik[IND_MAX_VALUE + 3];
	ik[0] = (unsigned char)old.verdict;
	memcpy(ik + 1, k, kn);
	MDB_val ikey = { kn + 1, ik };
	if (rc == 0 && exists && old.verdict != ind.verdict) {
		rc = mdb_del(txn, store_dbi(st, STORE_DB_IND_IDX), &ikey, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	ik[0] = (unsigned char)ind.verdict;
	if (rc == 0 && (!exists || old.verdict != ind.verdict))
		rc = mdb_put(txn, store_dbi(st, STORE_DB_IND_IDX), &ikey, &empty, 0);
	if (rc == 0 && case_seq) {
		unsigned char lk[IND_MAX_VALUE + 12], ck[IND_MAX_VALUE + 12];
		memcpy(lk, k, kn);
		lk[kn] = 0;
		store_put_u64(lk + kn + 1, case_seq);
		MDB_val lkey = { kn + 9, lk }, lv;
		int linked = mdb_get(txn, store_dbi(st, STORE_DB_IND_CASES), &lkey, &lv) == 0;
		store_put_u64(ck, case_seq);
		memcpy(ck + 8, k, kn);
		MDB_val ckey = { kn + 8, ck };
		if (!linked) {
			rc = mdb_put(txn, store_dbi(st, STORE_DB_IND_CASES), &lkey, &empty, 0);
			if (rc == 0)
				rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_INDS), &ckey, &empty, 0);
			char text[IND_MAX_VALUE + 64];
			snprintf(text, sizeof text, "indicator %s:%s (%s)", indicator_type_name(c->type),
				 c->value, indicator_verdict_name(ind.verdict));
			struct case_rec oldc = cr;
			if (rc == 0)
				rc = case_entry_put(st, txn, &cr, CASE_ENTRY_LINK, now, "indicator", text, NULL);
			if (rc == 0)
				rc = case_save(st, txn, &oldc, &cr);
		}
	}
	case_rec_free(&cr);
	if (exists)
		indicator_free(&old);
	if (rc == 0)
		rc = load(st, txn, c->type, c->value, &c->out);
	return rc;
}

static int check_update(const struct indicator_update *u, char *err, size_t errlen)
{
	if (u->verdict < -1 || u->verdict > IND_MALICIOUS) {
		snprintf(err, errlen, "bad verdict: use unknown, benign, suspicious or malicious");
		return -1;
	}
	if (u->score < -1 || u->score > 100) {
		snprintf(err, errlen, "score must be from 0 to 100");
		return -1;
	}
	if (u->nsources > IND_MAX_LIST || u->ntags > IND_MAX_LIST) {
		snprintf(err, errlen, "at most %d sources and %d tags", IND_MAX_LIST, IND_MAX_LIST);
		return -1;
	}
	for (size_t i = 0; i < u->nsources + u->ntags; i++) {
		const char *s = i < u->nsources ? u->sources[i] : u->tags[i - u->nsources];
		size_t n = strlen(s);
		if (!n || n > 255) {
			snprintf(err, errlen, "a source or tag must be 1 to 255 bytes");
			return -1;
		}
		for (size_t j = 0; j < n; j++)
			if ((unsigned char)s[j] < 0x20) {
				snprintf(err, errlen, "source or tag '%s' contains a control character", s);
				return -1;
			}
	}
	return 0;
}

int indicator_set(struct store *st, int type, const char *value,
		  const struct indicator_update *u, struct indicator *out, char *err, size_t errlen)
{
	char norm[IND_MAX_VALUE + 1], why[400];
	if (indicator_normalise(type, value, norm, why, sizeof why) != 0) {
		snprintf(err, errlen, "invalid %s: %s", indicator_type_name(type), why);
		return -1;
	}
	if (check_update(u, err, errlen) != 0)
		return -1;
	struct set_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->type = type;
	c->value = norm;
	c->u = u;
	int rc = store_write(st, set_apply, c, err, errlen);
	if (rc == 0 && out)
		*out = c->out;
	else
		indicator_free(&c->out);
	free(c);
	return rc == 0 ? 0 : -1;
}

int indicator_get(struct store *st, int type, const char *value, struct indicator *out,
		  char *err, size_t errlen)
{
	char norm[IND_MAX_VALUE + 1], why[400];
	memset(out, 0, sizeof *out);
	if (indicator_normalise(type, value, norm, why, sizeof why) != 0) {
		snprintf(err, errlen, "invalid %s: %s", indicator_type_name(type), why);
		return -1;
	}
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	int rc = load(st, txn, type, norm, out);
	store_mdb_read_end(st, txn);
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "no indicator %s:%s", indicator_type_name(type), norm);
		return 1;
	}
	if (rc) {
		store_error(st, rc, "reading an indicator", err, errlen);
		return -1;
	}
	return 0;
}

static int hexdec(const char *s, unsigned char *out, size_t max, size_t *n)
{
	size_t l = strlen(s);
	if (l % 2 || l / 2 > max)
		return -1;
	for (size_t i = 0; i < l; i += 2) {
		unsigned v;
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		out[i / 2] = (unsigned char)v;
	}
	*n = l / 2;
	return 0;
}

int indicator_search(struct store *st, const struct indicator_query *q,
		     struct indicator_page *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t limit = q->limit ? q->limit : 50;
	if (limit > 1000)
		limit = 1000;
	int by_verdict = q->verdict >= 0;
	unsigned char prefix[2];
	size_t plen = 0;
	if (by_verdict)
		prefix[plen++] = (unsigned char)q->verdict;
	if (q->type)
		prefix[plen++] = (unsigned char)q->type;
	unsigned char start[IND_MAX_VALUE + 8];
	size_t sn = plen;
	memcpy(start, prefix, plen);
	int skip_equal = 0;
	if (q->cursor && *q->cursor) {
		if (hexdec(q->cursor, start, sizeof start, &sn) != 0 || sn < plen ||
		    memcmp(start, prefix, plen) != 0) {
			snprintf(err, errlen, "cursor is not one this query returned");
			return -1;
		}
		skip_equal = 1;
	}
	out->items = calloc(limit, sizeof *out->items);
	if (!out->items) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0) {
		indicator_page_free(out);
		return -1;
	}
	MDB_cursor *cur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, by_verdict ? STORE_DB_IND_IDX :
					       STORE_DB_INDICATORS), &cur);
	MDB_val k = { sn, start }, v;
	if (rc == 0)
		rc = sn ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	if (rc == 0 && skip_equal && k.mv_size == sn && memcmp(k.mv_data, start, sn) == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	size_t scanned = 0;
	const unsigned char *lastk = NULL;
	size_t lastn = 0;
	int more = 0;
	while (rc == 0) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (out->n == limit || scanned >= 100000) {
			more = 1;
			break;
		}
		scanned++;
		const unsigned char *rk = (const unsigned char *)k.mv_data + (by_verdict ? 1 : 0);
		size_t rn = k.mv_size - (by_verdict ? 1 : 0);
		struct indicator ind;
		char val[IND_MAX_VALUE + 1];
		if (rn < 2 || rn - 1 > IND_MAX_VALUE) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(val, rk + 1, rn - 1);
		val[rn - 1] = '\0';
		rc = load(st, txn, rk[0], val, &ind);
		if (rc)
			break;
		int ok = ind.score >= q->min_score;
		if (ok && q->tag) {
			ok = 0;
			for (size_t i = 0; i < ind.ntags; i++)
				ok |= strcmp(ind.tags[i], q->tag) == 0;
		}
		if (ok)
			out->items[out->n++] = ind;
		else
			indicator_free(&ind);
		lastk = k.mv_data;
		lastn = k.mv_size;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc == 0 && more && lastk)
		for (size_t i = 0; i < lastn && 2 * i + 3 < sizeof out->next; i++)
			snprintf(out->next + 2 * i, 3, "%02x", lastk[i]);
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	if (rc) {
		indicator_page_free(out);
		store_error(st, rc, "searching indicators", err, errlen);
		return -1;
	}
	return 0;
}

int indicator_of_case(struct store *st, uint64_t case_seq, char ***out, size_t *n,
		      char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_INDS), &cur);
	unsigned char kb[8];
	store_put_u64(kb, case_seq);
	MDB_val k = { 8, kb }, v;
	size_t cap = 0;
	for (int op = MDB_SET_RANGE; rc == 0; op = MDB_NEXT) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		if (rc || k.mv_size < 10 || store_get_u64(k.mv_data) != case_seq)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char **p = realloc(*out, cap * sizeof *p);
			if (!p) {
				rc = ENOMEM;
				break;
			}
			*out = p;
		}
		const unsigned char *d = (const unsigned char *)k.mv_data + 8;
		const char *tn = indicator_type_name(d[0]);
		size_t vn = k.mv_size - 9;
		char *s = malloc(strlen(tn) + vn + 2);
		if (!s) {
			rc = ENOMEM;
			break;
		}
		sprintf(s, "%s:%.*s", tn, (int)vn, (const char *)d + 1);
		(*out)[(*n)++] = s;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
		store_error(st, rc, "reading a case's indicators", err, errlen);
		return -1;
	}
	return 0;
}

void indicator_json(const struct indicator *ind, int64_t now, struct store_buf *b)
{
	char t[40];
	store_buf_printf(b, "{\"type\":\"%s\",\"value\":", indicator_type_name(ind->type));
	store_buf_json(b, ind->value);
	store_buf_printf(b, ",\"verdict\":\"%s\",\"score\":%d,\"sources\":[",
			 indicator_verdict_name(ind->verdict), ind->score);
	for (size_t i = 0; i < ind->nsources; i++) {
		if (i)
			store_buf_str(b, ",");
		store_buf_json(b, ind->sources[i]);
	}
	store_buf_str(b, "],\"tags\":[");
	for (size_t i = 0; i < ind->ntags; i++) {
		if (i)
			store_buf_str(b, ",");
		store_buf_json(b, ind->tags[i]);
	}
	store_buf_printf(b, "],\"first_seen\":\"%s\"", case_time_format(ind->first_seen, t, sizeof t));
	store_buf_printf(b, ",\"last_seen\":\"%s\",\"expires\":", case_time_format(ind->last_seen, t, sizeof t));
	if (ind->expires)
		store_buf_printf(b, "\"%s\"", case_time_format(ind->expires, t, sizeof t));
	else
		store_buf_str(b, "null");
	store_buf_printf(b, ",\"expired\":%s,\"cases\":[",
			 ind->expires && ind->expires <= now ? "true" : "false");
	for (size_t i = 0; i < ind->ncases; i++)
		store_buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)ind->cases[i]);
	store_buf_str(b, "]}");
}
