/* test_audit.c - the hash-chained audit log: appends (alone and inside another
 * write), listing, and tampering: a changed byte anywhere in an entry, a deleted
 * entry, swapped entries, a cut-off tail against a checkpoint, a consistently
 * rewritten chain against a checkpoint. Details are scrubbed of secrets. */
#include "check.h"
#include "store_db_int.h"

#include "audit.h"
#include "hmac.h"
#include "secret.h"
#include "secret_crypto.h"
#include "store.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];
static char dir[256];

static struct store *fresh(const char *name, int entries)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_audit.%d.%s", (int)getpid(), name);
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		abort();
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	for (int i = 1; i <= entries; i++) {
		char obj[32], det[64];
		snprintf(obj, sizeof obj, "case-%d", i);
		snprintf(det, sizeof det, "{\"n\":%d,\"note\":\"entry %d\"}", i, i);
		CHECK(audit_append(st, "cli:alice", "case.update", obj, det, err, sizeof err) == 0);
	}
	return st;
}

static void done(struct store *st)
{
	store_close(st);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
}

/* Raw edits of the audit database (an attacker with write access to the file). */
struct edit {
	uint64_t seq;
	int del;
	MDB_val val;
	uint64_t swap_with;
};

static int edit_apply(struct store *st, struct store_txn *stx_, void *ud, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)e;
	(void)elen;
	struct edit *ed = ud;
	MDB_dbi dbi = store_dbi(st, STORE_DB_AUDIT);
	unsigned char kb[8], kb2[8];
	store_put_u64(kb, ed->seq);
	MDB_val k = { 8, kb };
	if (ed->del)
		return mdb_del(txn, dbi, &k, NULL);
	if (ed->swap_with) {
		store_put_u64(kb2, ed->swap_with);
		MDB_val k2 = { 8, kb2 }, a, b;
		int rc = mdb_get(txn, dbi, &k, &a);
		if (rc == 0)
			rc = mdb_get(txn, dbi, &k2, &b);
		if (rc)
			return rc;
		struct store_buf ca = { 0 }, cb = { 0 };
		store_buf_add(&ca, a.mv_data, a.mv_size);
		store_buf_add(&cb, b.mv_data, b.mv_size);
		MDB_val na = { cb.len, cb.p }, nb = { ca.len, ca.p };
		rc = mdb_put(txn, dbi, &k, &na, 0);
		if (rc == 0)
			rc = mdb_put(txn, dbi, &k2, &nb, 0);
		store_buf_free(&ca);
		store_buf_free(&cb);
		return rc;
	}
	return mdb_put(txn, dbi, &k, &ed->val, 0);
}

static size_t raw_get(struct store *st, uint64_t seq, unsigned char *buf, size_t cap)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return 0;
	unsigned char kb[8];
	store_put_u64(kb, seq);
	MDB_val k = { 8, kb }, d;
	size_t n = 0;
	if (mdb_get(txn, store_dbi(st, STORE_DB_AUDIT), &k, &d) == 0 && d.mv_size <= cap) {
		memcpy(buf, d.mv_data, d.mv_size);
		n = d.mv_size;
	}
	store_mdb_read_end(st, txn);
	return n;
}

static void raw_put(struct store *st, uint64_t seq, const void *p, size_t n)
{
	struct edit ed = { seq, 0, { n, (void *)p }, 0 };
	CHECK(store_write(st, edit_apply, &ed, err, sizeof err) == 0);
}

static uint64_t first_bad(struct store *st, const struct audit_checkpoint *cp)
{
	struct audit_report rep;
	int rc = audit_verify(st, cp, &rep, err, sizeof err);
	CHECK(rc >= 0);
	return rc == 1 ? rep.first_bad : 0;
}

struct collected {
	int n;
	uint64_t seqs[64];
	char details[64][1024];
};

static int collect(const struct audit_entry *e, void *ud)
{
	struct collected *c = ud;
	if (c->n < 64) {
		c->seqs[c->n] = e->seq;
		snprintf(c->details[c->n], 1024, "%.*s", (int)e->details_len, e->details);
	}
	c->n++;
	return 0;
}

static void test_append_list_verify(void)
{
	struct store *st = fresh("basic", 10);
	struct audit_checkpoint cp;
	CHECK(audit_checkpoint(st, &cp, err, sizeof err) == 0);
	CHECK(cp.seq == 10);
	CHECK(first_bad(st, NULL) == 0);
	CHECK(first_bad(st, &cp) == 0);
	struct collected c = { 0 };
	CHECK(audit_list(st, 1, 0, collect, &c, err, sizeof err) == 0);
	CHECK(c.n == 10 && c.seqs[0] == 1 && c.seqs[9] == 10);
	memset(&c, 0, sizeof c);
	CHECK(audit_list(st, audit_tail_from(st, 3), 3, collect, &c, err, sizeof err) == 0);
	CHECK(c.n == 3 && c.seqs[0] == 8);
	/* format and parse a checkpoint */
	char buf[100];
	struct audit_checkpoint back;
	audit_checkpoint_format(&cp, buf, sizeof buf);
	CHECK(strncmp(buf, "10:", 3) == 0 && strlen(buf) == 3 + 64);
	CHECK(audit_checkpoint_parse(buf, &back) == 0 && back.seq == 10 &&
	      memcmp(back.head, cp.head, 32) == 0);
	CHECK(audit_checkpoint_parse("10:zz", &back) == -1);
	CHECK(audit_checkpoint_parse("abc", &back) == -1);
	/* bad details are refused and nothing is written */
	CHECK(audit_append(st, "a", "x", "o", "{\"a\":", err, sizeof err) == -1);
	CHECK(strstr(err, "not a JSON object") != NULL);
	CHECK(audit_append(st, "a", "x", "o", "[1]", err, sizeof err) == -1);
	CHECK(audit_append(st, "a", "", "o", NULL, err, sizeof err) == -1);
	CHECK(audit_checkpoint(st, &cp, err, sizeof err) == 0 && cp.seq == 10);
	done(st);
}

/* An entry and another record committed in one transaction. */
static int both_apply(struct store *st, struct store_txn *stx_, void *ud, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)ud;
	MDB_val k = { 4, "note" }, v = { 5, "hello" };
	int rc = mdb_put(txn, store_dbi(st, STORE_DB_META), &k, &v, 0);
	if (rc == 0)
		rc = audit_append_txn(st, store_txn_of(txn), "cli:bob", "case.create", "case-1", "{}", NULL, e, elen);
	return rc;
}

static void test_append_in_txn(void)
{
	struct store *st = fresh("txn", 2);
	CHECK(store_write(st, both_apply, NULL, err, sizeof err) == 0);
	struct audit_checkpoint cp;
	CHECK(audit_checkpoint(st, &cp, err, sizeof err) == 0 && cp.seq == 3);
	CHECK(first_bad(st, NULL) == 0);
	done(st);
}

static void test_changed_bytes(void)
{
	struct store *st = fresh("bytes", 6);
	unsigned char orig[1024], bad[1024];
	size_t n = raw_get(st, 4, orig, sizeof orig);
	CHECK(n > 64);
	int detected = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, orig, n);
		bad[i] ^= 0x20;
		raw_put(st, 4, bad, n);
		uint64_t b = first_bad(st, NULL);
		/* the changed entry is the first bad one (a flip in its stored hash
		 * shows there too: the hash no longer matches its contents) */
		if (b == 4)
			detected++;
		else
			fprintf(stderr, "byte %zu of entry 4 changed: first bad %llu\n", i,
				(unsigned long long)b);
	}
	CHECK(detected == (int)n);
	raw_put(st, 4, orig, n);
	CHECK(first_bad(st, NULL) == 0);
	/* cut or extended entries */
	raw_put(st, 4, orig, n - 1);
	CHECK(first_bad(st, NULL) == 4);
	memcpy(bad, orig, n);
	bad[n] = 'x';
	raw_put(st, 4, bad, n + 1);
	CHECK(first_bad(st, NULL) == 4);
	done(st);
}

static void test_deleted_swapped(void)
{
	struct store *st = fresh("del", 8);
	struct edit del = { 5, 1, { 0, NULL }, 0 };
	CHECK(store_write(st, edit_apply, &del, err, sizeof err) == 0);
	struct audit_report rep;
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 1);
	CHECK(rep.first_bad == 5 && rep.entries == 4);
	CHECK(strstr(rep.why, "missing") != NULL);
	done(st);

	st = fresh("delfirst", 3);
	struct edit del1 = { 1, 1, { 0, NULL }, 0 };
	CHECK(store_write(st, edit_apply, &del1, err, sizeof err) == 0);
	CHECK(first_bad(st, NULL) == 1);
	done(st);

	st = fresh("swap", 8);
	struct edit sw = { 3, 0, { 0, NULL }, 4 };
	CHECK(store_write(st, edit_apply, &sw, err, sizeof err) == 0);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 1);
	CHECK(rep.first_bad == 3);
	done(st);

	/* the deleted entry's successors renumbered by the attacker: each keeps its
	 * old seq inside, and the chain link breaks even if they rewrote the seq */
	st = fresh("renumber", 6);
	unsigned char e5[1024];
	size_t n5 = raw_get(st, 5, e5, sizeof e5);
	raw_put(st, 4, e5, n5);
	struct edit d5 = { 5, 1, { 0, NULL }, 0 };
	CHECK(store_write(st, edit_apply, &d5, err, sizeof err) == 0);
	CHECK(first_bad(st, NULL) == 4);
	done(st);
}

static void test_truncation_and_rewrite(void)
{
	struct store *st = fresh("trunc", 10);
	struct audit_checkpoint cp;
	CHECK(audit_checkpoint(st, &cp, err, sizeof err) == 0);
	for (uint64_t s = 10; s >= 9; s--) {
		struct edit d = { s, 1, { 0, NULL }, 0 };
		CHECK(store_write(st, edit_apply, &d, err, sizeof err) == 0);
	}
	/* without the checkpoint a cut tail cannot be seen: that is what it is for */
	CHECK(first_bad(st, NULL) == 0);
	struct audit_report rep;
	CHECK(audit_verify(st, &cp, &rep, err, sizeof err) == 1);
	CHECK(rep.first_bad == 9);
	CHECK(strstr(rep.why, "truncated") != NULL);
	/* truncated, then appended again to the old length: the head differs */
	CHECK(audit_append(st, "x", "y", "z", NULL, err, sizeof err) == 0);
	CHECK(audit_append(st, "x", "y", "z", NULL, err, sizeof err) == 0);
	CHECK(first_bad(st, NULL) == 0);
	CHECK(audit_verify(st, &cp, &rep, err, sizeof err) == 1);
	CHECK(rep.first_bad == 10);
	/* an older checkpoint still matches a log that only grew */
	struct audit_checkpoint old = cp;
	old.seq = 0;
	CHECK(first_bad(st, &old) == 0);
	done(st);
}

static void test_details_scrubbed(void)
{
	struct store *st = fresh("details", 0);
	CHECK(audit_append(st, "cli:alice", "integration.configure", "vt",
			   "{\"url\":\"https://vt.example\",\"api_key\":\"abc123\","
			   "\"nested\":{\"password\":\"hunter2\",\"list\":[\"x\",7]},"
			   "\"Authorization\":[\"Bearer zzz\"],\"pin\":1234,\"free\":"
			   "\"AKIAIOSFODNN7EXAMPLE9wJalrXUtnFEMI\",\"name\":\"vt.api_key\","
			   "\"ok\":true,\"n\":null}",
			   err, sizeof err) == 0);
	CHECK(audit_append(st, "cli:alice", "x", "y", "{\"token\":\"abc123\"}", err, sizeof err) == 0);
	struct collected c = { 0 };
	CHECK(audit_list(st, 1, 0, collect, &c, err, sizeof err) == 0);
	CHECK(c.n == 2);
	const char *d = c.details[0];
	CHECK(strstr(d, "abc123") == NULL);
	CHECK(strstr(d, "hunter2") == NULL);
	CHECK(strstr(d, "zzz") == NULL);
	CHECK(strstr(d, "1234") == NULL);
	CHECK(strstr(d, "AKIA") == NULL);
	CHECK(strstr(d, "\"url\":\"https://vt.example\"") != NULL);
	CHECK(strstr(d, "\"name\":\"vt.api_key\"") != NULL);
	CHECK(strstr(d, "\"ok\":true") != NULL && strstr(d, "\"n\":null") != NULL);
	CHECK(strstr(d, "\"api_key\":\"hmac-sha256:") != NULL);
	/* equal values give equal HMACs (correlation without disclosure) */
	const char *h1 = strstr(d, "\"api_key\":\"hmac-sha256:");
	const char *h2 = strstr(c.details[1], "\"token\":\"hmac-sha256:");
	CHECK(h1 && h2 && memcmp(h1 + 11, h2 + 9, 45) == 0);
	CHECK(first_bad(st, NULL) == 0);
	/* the HMAC key is per store */
	unsigned char key[32] = { 1 };
	struct store_buf b = { 0 };
	CHECK(audit_scrub_details(key, "{\"secret\":\"abc123\"}", 19, &b, err, sizeof err) == 0);
	CHECK(b.p && memmem(b.p, b.len, h1 + 11, 45) == NULL);
	store_buf_free(&b);
	done(st);
}

/* The keyed chain: a store written before keys keeps its entries as legacy and
 * keys the next ones; a rewritten legacy part, a cut tail, a deleted head
 * record, a missing or wrong master key; a master key rotation keeps the log
 * verifiable. */
static void rechain_plain(struct store *st, uint64_t from, uint64_t to)
{
	unsigned char buf[4096], prev[32];
	size_t n = raw_get(st, from - 1, buf, sizeof buf);
	CHECK(n > 32);
	memcpy(prev, buf + n - 32, 32);
	for (uint64_t q = from; q <= to; q++) {
		n = raw_get(st, q, buf, sizeof buf);
		CHECK(n > 64);
		memcpy(buf + n - 64, prev, 32);
		sc_sha256_2("soarctl-audit-v1", 16, buf, n - 32, buf + n - 32);
		memcpy(prev, buf + n - 32, 32);
		raw_put(st, q, buf, n);
	}
}

static int del_head(struct store *st, struct store_txn *stx_, void *ud, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)ud;
	(void)e;
	(void)elen;
	MDB_val k = { 10, "audit_head" };
	return mdb_del(txn, store_dbi(st, STORE_DB_SECRET_KEYS), &k, NULL);
}

static void test_keyed(void)
{
	struct store *st = fresh("keyed", 4);
	struct audit_report rep;
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 0 && rep.keyed_from == 0);
	setenv("SOARCTL_MASTER_KEY", "1111111111111111111111111111111111111111111111111111111111111111", 1);
	struct secret_vault *v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	for (int i = 0; i < 3; i++)
		CHECK(audit_append(st, "cli:bob", "case.update", "case-9", NULL, err, sizeof err) == 0);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 0);
	CHECK(rep.keyed_from == 5 && rep.entries == 7);
	/* the documented format: entry hash = HMAC-SHA256(K, bytes before it), and
	 * the head record's MAC = HMAC-SHA256(K, "h" | u64 seq | hash) */
	{
		MDB_txn *txn;
		unsigned char k[32], mac[32], e6[4096], hb[41];
		uint64_t from = 0;
		CHECK(store_mdb_read_begin(st, &txn, err, sizeof err) == 0);
		CHECK(secret_audit_key(v, store_txn_of(txn), 0, 0, k, &from, err, sizeof err) == 0 && from == 5);
		MDB_val hk = { 10, "audit_head" }, hv;
		CHECK(mdb_get(txn, store_dbi(st, STORE_DB_SECRET_KEYS), &hk, &hv) == 0 && hv.mv_size == 73);
		size_t n6 = raw_get(st, 6, e6, sizeof e6);
		hmac_sha256(k, 32, e6, n6 - 32, mac);
		CHECK(n6 > 64 && e6[0] == 2 && memcmp(mac, e6 + n6 - 32, 32) == 0);
		hb[0] = 'h';
		memcpy(hb + 1, (const unsigned char *)hv.mv_data + 1, 40);
		hmac_sha256(k, 32, hb, sizeof hb, mac);
		CHECK(memcmp(mac, (const unsigned char *)hv.mv_data + 41, 32) == 0);
		store_mdb_read_end(st, txn);
		sc_zero(k, sizeof k);
	}

	/* the legacy part rewritten consistently: the first keyed entry does not chain */
	unsigned char keep[4][4096];
	size_t keepn[4];
	for (int q = 2; q <= 4; q++)
		keepn[q - 1] = raw_get(st, (uint64_t)q, keep[q - 1], sizeof keep[0]);
	unsigned char buf[4096];
	size_t n = raw_get(st, 2, buf, sizeof buf);
	buf[30] ^= 1;
	raw_put(st, 2, buf, n);
	rechain_plain(st, 2, 4);
	CHECK(first_bad(st, NULL) == 5);
	for (int q = 2; q <= 4; q++)
		raw_put(st, (uint64_t)q, keep[q - 1], keepn[q - 1]);
	CHECK(first_bad(st, NULL) == 0);

	/* a keyed entry rewritten as a plain one, hashes recomputed */
	n = raw_get(st, 6, keep[0], sizeof keep[0]);
	memcpy(buf, keep[0], n);
	buf[0] = 1;
	buf[20] ^= 1;
	raw_put(st, 6, buf, n);
	rechain_plain(st, 6, 7);
	CHECK(first_bad(st, NULL) == 6);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 1 && strstr(rep.why, "not keyed"));
	raw_put(st, 6, keep[0], n);

	/* the tail cut: the head record says more */
	CHECK(first_bad(st, NULL) == 7); /* entry 7 is still the rechained plain one */
	struct edit del = { 7, 1, { 0, NULL }, 0 };
	CHECK(store_write(st, edit_apply, &del, err, sizeof err) == 0);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 1);
	CHECK(rep.first_bad == 7 && strstr(rep.why, "truncated"));
	/* the head record deleted too */
	CHECK(store_write(st, del_head, NULL, err, sizeof err) == 0);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 1 && strstr(rep.why, "head record"));
	done(st);

	/* a new store, keyed from the start; without the key nothing is appended or verified */
	st = fresh("keyed2", 0);
	v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	CHECK(audit_append(st, "system", "x.one", "", NULL, err, sizeof err) == 0);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 0 && rep.keyed_from == 1);
	secret_vault_close(v);
	CHECK(audit_append(st, "system", "x.two", "", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "keyed with the master key") != NULL);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == -1 && strstr(err, "master key"));
	/* a wrong master key opens no chain key (no keyring to refuse it earlier) */
	setenv("SOARCTL_MASTER_KEY", "2222222222222222222222222222222222222222222222222222222222222222", 1);
	v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	CHECK(audit_append(st, "system", "x.two", "", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "does not open with the master key") != NULL);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 1);
	secret_vault_close(v);
	/* a master key rotation wraps the chain key again: still verifiable */
	setenv("SOARCTL_MASTER_KEY", "1111111111111111111111111111111111111111111111111111111111111111", 1);
	v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	setenv("SOARCTL_NEW_MASTER_KEY", "3333333333333333333333333333333333333333333333333333333333333333", 1);
	struct secret_master_rotation mr;
	int rrc = secret_rotate_master(v, dir, "env", "cli:root", &mr, err, sizeof err);
	if (rrc != 0)
		fprintf(stderr, "rotate-master: %s\n", err);
	CHECK(rrc == 0);
	CHECK(audit_append(st, "system", "x.three", "", NULL, err, sizeof err) == 0);
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 0 && rep.entries >= 3);
	secret_vault_close(v);
	unsetenv("SOARCTL_MASTER_KEY");
	unsetenv("SOARCTL_NEW_MASTER_KEY");
	done(st);
}

int main(void)
{
	test_append_list_verify();
	test_append_in_txn();
	test_changed_bytes();
	test_deleted_swapped();
	test_truncation_and_rewrite();
	test_details_scrubbed();
	test_keyed();
	return CHECK_DONE();
}
