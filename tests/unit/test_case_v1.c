/* test_case_v1.c - a store written before cases and timelines moved onto the
 * record.h codec still reads as it was written, and keeps working.
 *
 * tests/fixtures/store-v1/store.mdb was made by soarctl at 861866f (case
 * records and timeline entries in version 1, wire-typed fields) with:
 *   soarctl init; case new --title "Phishing report" --type phishing --severity
 *   high --owner alice --role soc --labels mail,vip --custom '{"ticket":"T-1",
 *   "n":3}' --dedupe-key mail:42 --source '{"from":"x@example.com"}' --sla-due
 *   2030-01-01T00:00:00Z; case new --title "Child case" --parent 1 --severity
 *   low; case update 1 --status pending; case note 1 "looked at headers";
 *   case note 1 "whois example.com" --kind command; case close 2 --reason
 *   duplicate; case attach 1 FILE(hello) --name evidence.txt; case link 1 2;
 *   store compact
 * (case1.json and case2.json beside it: `case show N --json` of that binary;
 * master.key and audit.head are that data directory's: a key made for this
 * fixture by `soarctl init`, which keys its audit log.)
 */
#include "check.h"

#include "blob.h"
#include "case.h"
#include "secret.h"
#include "store_db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SOAR_FIXTURES
#error "SOAR_FIXTURES: tests/CMakeLists.txt defines it"
#endif

static char dir[256];
static char err[512];

/* The version byte of case `seq`'s record and of its timeline entry `no`. */
static int versions(struct store *st, uint64_t seq, uint32_t no, int *rec, int *entry)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return -1;
	unsigned char kb[12];
	store_put_u64(kb, seq);
	MDB_val k = { 8, kb }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_CASES), &k, &v);
	*rec = rc == 0 ? ((unsigned char *)v.mv_data)[0] : -1;
	store_put_u32(kb + 8, no);
	k.mv_size = 12;
	rc = mdb_get(txn, store_dbi(st, STORE_DB_TIMELINE), &k, &v);
	*entry = rc == 0 ? ((unsigned char *)v.mv_data)[0] : -1;
	store_mdb_read_end(st, txn);
	return 0;
}

static void check_case1(struct store *st, uint32_t entries)
{
	struct case_rec c;
	CHECK(case_get(st, "1", &c, err, sizeof err) == 0);
	CHECK_STR(c.id, "01a23c26-779d-712a-a1d4-fd72a91c901e");
	CHECK_STR(c.title, "Phishing report");
	CHECK_STR(c.type, "phishing");
	CHECK(c.severity == CASE_SEV_HIGH);
	CHECK(c.status == CASE_PENDING);
	CHECK_STR(c.owner, "alice");
	CHECK_STR(c.role, "soc");
	CHECK(c.nlabels == 2);
	CHECK(c.nlabels == 2 && strcmp(c.labels[0], "mail") == 0 && strcmp(c.labels[1], "vip") == 0);
	CHECK_STR(c.custom_json, "{\"ticket\":\"T-1\",\"n\":3}");
	CHECK_STR(c.dedupe_key, "mail:42");
	CHECK_STR(c.source_json, "{\"from\":\"x@example.com\"}");
	CHECK(c.sla_due == 1893456000000LL);
	CHECK(c.created > 1700000000000LL && c.updated >= c.created && c.closed == 0);
	CHECK(c.parent == 0);
	CHECK(c.entries == entries);
	case_rec_free(&c);
}

int main(void)
{
	char cmd[1400];
	snprintf(dir, sizeof dir, "/tmp/test_case_v1.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cp %s/store-v1/store.mdb %s/store-v1/master.key "
		 "%s/store-v1/audit.head %s/ && chmod 600 %s/master.key",
		 dir, dir, SOAR_FIXTURES, SOAR_FIXTURES, SOAR_FIXTURES, dir, dir);
	CHECK(system(cmd) == 0);
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st) {
		fprintf(stderr, "store_open: %s\n", err);
		return CHECK_DONE();
	}

	/* Its audit log is keyed: writes need the vault (the daemon and CLI open it). */
	struct secret_vault *v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	if (!v)
		fprintf(stderr, "secret_vault_open: %s\n", err);

	/* The fixture really is version 1: else this test proves nothing. */
	int rv, ev;
	CHECK(versions(st, 1, 1, &rv, &ev) == 0);
	CHECK(rv == 1 && ev == 1);

	/* Every field and entry reads as the old binary showed them. */
	check_case1(st, 7);
	struct case_entry *e = NULL;
	size_t n = 0;
	CHECK(case_timeline(st, "1", 1, 100, &e, &n, err, sizeof err) == 0);
	CHECK(n == 7);
	static const char *const kinds[] = { "created", "link", "status", "note", "command",
					     "attachment", "link" };
	static const char *const texts[] = { "Phishing report", "child #2: Child case",
					      "new -> pending", "looked at headers",
					      "whois example.com", "evidence.txt",
					      "related: #2 Child case" };
	for (size_t i = 0; i < n && i < 7; i++) {
		CHECK(e[i].no == i + 1);
		CHECK_STR(case_entry_kind_name(e[i].kind), kinds[i]);
		CHECK_STR(e[i].text, texts[i]);
		CHECK_STR(e[i].actor, "cli:root");
		CHECK(e[i].time >= 1700000000000LL);
	}
	if (n == 7) {
		CHECK(e[0].data == NULL);
		CHECK_STR(e[5].data, "{\"sha256\":\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\","
				     "\"size\":6,\"name\":\"evidence.txt\"}");
	}
	case_entries_free(e, n);
	free(e);

	struct case_rec c2;
	CHECK(case_get(st, "#2", &c2, err, sizeof err) == 0);
	CHECK_STR(c2.title, "Child case");
	CHECK(c2.status == CASE_CLOSED && c2.parent == 1 && c2.severity == CASE_SEV_LOW);
	CHECK_STR(c2.close_reason, "duplicate");
	CHECK(c2.nlabels == 0 && c2.owner == NULL && c2.closed >= c2.created);
	case_rec_free(&c2);

	uint64_t *rel = NULL;
	size_t nrel = 0;
	CHECK(case_related(st, "1", &rel, &nrel, err, sizeof err) == 0);
	CHECK(nrel == 1 && rel && rel[0] == 2);
	free(rel);
	void *data = NULL;
	size_t len = 0;
	CHECK(blob_get(st, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", &data,
		       &len, NULL, err, sizeof err) == 0);
	CHECK(len == 6 && data && memcmp(data, "hello\n", 6) == 0);
	free(data);

	/* The dedupe key and the indexes written by the old code still find it. */
	struct case_fields f;
	case_fields_init(&f);
	CHECK(case_fields_set(&f, "title", "again", err, sizeof err) == 0);
	CHECK(case_fields_set(&f, "dedupe_key", "mail:42", err, sizeof err) == 0);
	struct case_rec d;
	int deduped = 0;
	CHECK(case_create(st, &f, "test", &d, &deduped, err, sizeof err) == 0);
	CHECK(deduped == 1 && d.seq == 1);
	case_rec_free(&d);
	case_fields_free(&f);
	check_case1(st, 7);

	/* New writes: entries in version 2 beside the old ones; the record becomes
	 * version 2 when it is next written, every field kept. */
	uint32_t no = 0;
	CHECK(case_note(st, "1", CASE_ENTRY_NOTE, "test", "after the upgrade", "{\"x\":1}", &no,
			err, sizeof err) == 0);
	CHECK(no == 8);
	if (no != 8)
		fprintf(stderr, "case_note: %s\n", err);
	CHECK(versions(st, 1, 8, &rv, &ev) == 0);
	CHECK(rv == 2 && ev == 2);
	check_case1(st, 8);
	e = NULL;
	CHECK(case_timeline(st, "1", 7, 10, &e, &n, err, sizeof err) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(e[0].text, "related: #2 Child case");
		CHECK_STR(e[1].text, "after the upgrade");
		CHECK_STR(e[1].data, "{\"x\":1}");
		CHECK_STR(e[1].actor, "test");
	}
	case_entries_free(e, n);
	free(e);
	CHECK(case_check(st, NULL, err, sizeof err) == 0);

	secret_vault_close(v);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}
