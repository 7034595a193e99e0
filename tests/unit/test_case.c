/* test_case.c - cases: encoding round trip, fields validation, transitions,
 * SLA, timeline, dedupe, links, attachments, indexes and paging. */
#include "check.h"

#include "blob.h"
#include "case.h"
#include "case_int.h"
#include "json.h"
#include "uuid.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static char err[512];

static struct store *open_fresh(void)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_case.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		return NULL;
	struct store *st = store_open(dir, NULL, err, sizeof err);
	if (!st)
		fprintf(stderr, "store_open: %s\n", err);
	return st;
}

static int create(struct store *st, struct case_rec *out, const char *const *kv)
{
	struct case_fields f;
	case_fields_init(&f);
	for (; kv[0]; kv += 2)
		if (case_fields_set(&f, kv[0], kv[1], err, sizeof err) != 0) {
			case_fields_free(&f);
			return -2;
		}
	int rc = case_create(st, &f, "test", out, NULL, err, sizeof err);
	case_fields_free(&f);
	return rc;
}

static void test_codec(void)
{
	struct case_rec c = { 0 }, d;
	c.seq = 7;
	uuid_v7(c.id);
	CHECK(c.id[14] == '7');
	c.title = "Brute force on ssh";
	c.type = "intrusion";
	c.severity = CASE_SEV_HIGH;
	c.status = CASE_ACTIVE;
	c.owner = "alice";
	c.labels[0] = "ssh";
	c.labels[1] = "dmz";
	c.nlabels = 2;
	c.custom_json = "{\"ip\":\"10.0.0.1\"}";
	c.created = 1714557600000;
	c.updated = 1714557601000;
	c.sla_due = 1714561200000;
	c.entries = 3;
	struct store_buf b = { 0 };
	CHECK(case_encode(&c, &b) == 0);
	CHECK(b.len < 200);
	CHECK(case_decode(7, b.p, b.len, &d) == 0);
	CHECK_STR(d.id, c.id);
	CHECK_STR(d.title, c.title);
	CHECK_STR(d.owner, "alice");
	CHECK(d.role == NULL);
	CHECK(d.nlabels == 2);
	CHECK_STR(d.labels[1], "dmz");
	CHECK(d.severity == CASE_SEV_HIGH && d.status == CASE_ACTIVE);
	CHECK(d.created == c.created && d.updated == c.updated && d.sla_due == c.sla_due);
	CHECK(d.entries == 3);
	case_rec_free(&d);
	/* damaged bytes are refused, never read past the end */
	for (size_t cut = 0; cut < b.len; cut++) {
		struct case_rec x;
		if (case_decode(7, b.p, cut, &x) == 0)
			case_rec_free(&x);
	}
	b.p[0] = 99;
	CHECK(case_decode(7, b.p, b.len, &d) != 0);
	store_buf_free(&b);
}

static void test_fields(void)
{
	struct case_fields f;
	case_fields_init(&f);
	CHECK(case_fields_set(&f, "colour", "red", err, sizeof err) == -1);
	CHECK(strstr(err, "unknown case field 'colour'") != NULL);
	CHECK(case_fields_set(&f, "severity", "urgent", err, sizeof err) == -1);
	CHECK(strstr(err, "low, medium, high or critical") != NULL);
	CHECK(case_fields_set(&f, "status", "done", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "custom", "[1,2]", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "custom", "{\"a\":NaN}", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "custom", "{\"a\":1,}", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "custom", "{\"a\":[1,2.5e3,\"x\\u00e9\"],\"b\":{}}", err, sizeof err) == 0);
	CHECK(case_fields_set(&f, "source", "{\"src\":\"1.2.3.4\"} x", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "labels", "a,b c", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "labels", "a,+b", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "sla_due", "tomorrow", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "owner", "bad\nname", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "title", "", err, sizeof err) == -1);
	CHECK(case_fields_set(&f, "parent", "abc", err, sizeof err) == -1);
	case_fields_free(&f);

	int64_t t;
	CHECK(case_time_parse("2024-05-01T10:00:00Z", 0, &t) == 0 && t == 1714557600000);
	CHECK(case_time_parse("2024-05-01", 0, &t) == 0 && t == 1714521600000);
	CHECK(case_time_parse("+2h", 1000, &t) == 0 && t == 1000 + 7200000);
	CHECK(case_time_parse("@1714557600.5", 0, &t) == 0 && t == 1714557600500);
	/* an explicit offset is exact (timefmt_parse), not refused */
	CHECK(case_time_parse("2024-05-01T12:00:00+02:00", 0, &t) == 0 && t == 1714557600000);
	CHECK(case_time_parse("2024-05-01T10:00:00+0x:00", 0, &t) == -1);
	CHECK(case_time_parse("2024-13-01", 0, &t) == -1);
	char buf[40];
	CHECK_STR(case_time_format(1714557600000, buf, sizeof buf), "2024-05-01T10:00:00Z");
}

static void test_transitions(void)
{
	CHECK(case_transition_ok(CASE_NEW, CASE_ACTIVE));
	CHECK(case_transition_ok(CASE_NEW, CASE_CLOSED));
	CHECK(case_transition_ok(CASE_ACTIVE, CASE_PENDING));
	CHECK(case_transition_ok(CASE_PENDING, CASE_ACTIVE));
	CHECK(case_transition_ok(CASE_CLOSED, CASE_ACTIVE));
	CHECK(!case_transition_ok(CASE_ACTIVE, CASE_NEW));
	CHECK(!case_transition_ok(CASE_CLOSED, CASE_PENDING));
	CHECK(!case_transition_ok(CASE_CLOSED, CASE_NEW));
	CHECK(case_transition_ok(CASE_ACTIVE, CASE_ACTIVE));
}

static void test_sla(void)
{
	struct case_rec c = { 0 };
	c.status = CASE_ACTIVE;
	c.sla_due = 10000;
	CHECK(!case_sla_breached(&c, 9999));
	CHECK(case_sla_breached(&c, 10001));
	c.sla_pause_pending = 1;
	c.status = CASE_PENDING;
	c.sla_paused_at = 5000;
	CHECK(case_sla_effective_due(&c, 8000) == 13000);
	CHECK(!case_sla_breached(&c, 20000)); /* paused: the deadline moves with the clock */
	c.status = CASE_CLOSED;
	c.sla_paused_at = 0;
	c.sla_paused_ms = 3000;
	c.closed = 12000;
	CHECK(!case_sla_breached(&c, 99999)); /* closed before 10000 + 3000 */
	c.closed = 14000;
	CHECK(case_sla_breached(&c, 99999));
}

static void test_store_ops(struct store *st)
{
	struct case_rec a, b, c;
	CHECK(create(st, &a, (const char *const[]){ "title", "Phishing report", "type", "phishing",
		"severity", "high", "owner", "alice", "labels", "mail,user", "sla_due", "+1h",
		"sla_pause_pending", "true", "custom", "{\"reporter\":\"bob\"}",
		"source", "{\"id\":1}", NULL }) == 0);
	CHECK(a.seq == 1);
	CHECK(strlen(a.id) == 36);
	CHECK(a.status == CASE_NEW && a.severity == CASE_SEV_HIGH);
	CHECK(a.nlabels == 2 && a.entries == 1);
	CHECK(a.sla_due > a.created);

	/* bad input: nothing written, the number is not used up */
	CHECK(create(st, &b, (const char *const[]){ "type", "x", NULL }) == -1);
	CHECK(strstr(err, "needs a title") != NULL);
	CHECK(create(st, &b, (const char *const[]){ "title", "t", "parent", "#999", NULL }) == -1);
	CHECK(strstr(err, "not found") != NULL);
	CHECK(create(st, &b, (const char *const[]){ "title", "Second", "parent", "1", NULL }) == 0);
	CHECK(b.seq == 2 && b.parent == 1);

	/* get by number and by id */
	CHECK(case_get(st, "#1", &c, err, sizeof err) == 0 && c.seq == 1);
	case_rec_free(&c);
	CHECK(case_get(st, a.id, &c, err, sizeof err) == 0 && c.seq == 1);
	CHECK_STR(c.custom_json, "{\"reporter\":\"bob\"}");
	case_rec_free(&c);
	CHECK(case_get(st, "#77", &c, err, sizeof err) == 1);
	CHECK(case_get(st, "nope", &c, err, sizeof err) == -1);
	/* the parent's timeline names its child */
	struct case_entry *e;
	size_t n;
	CHECK(case_timeline(st, "1", 1, 0, &e, &n, err, sizeof err) == 0);
	CHECK(n == 2 && e[1].kind == CASE_ENTRY_LINK && strstr(e[1].text, "child #2"));
	case_entries_free(e, n);
	free(e);

	/* transitions */
	struct case_fields f;
	case_fields_init(&f);
	case_fields_set(&f, "status", "pending", err, sizeof err);
	case_fields_set(&f, "labels", "+urgent,-user", err, sizeof err);
	case_fields_set(&f, "owner", "carol", err, sizeof err);
	CHECK(case_update(st, "1", &f, "test", &c, err, sizeof err) == 0);
	CHECK(c.status == CASE_PENDING && c.sla_paused_at != 0);
	CHECK(c.nlabels == 2 && strcmp(c.labels[1], "urgent") == 0);
	CHECK_STR(c.owner, "carol");
	CHECK(c.entries == 5); /* created, child, + status, assign, update */
	case_rec_free(&c);
	case_fields_free(&f);
	case_fields_init(&f);
	case_fields_set(&f, "status", "new", err, sizeof err);
	CHECK(case_update(st, "1", &f, "test", NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "cannot go from pending to new") != NULL);
	case_fields_free(&f);
	case_fields_init(&f);
	case_fields_set(&f, "dedupe_key", "x", err, sizeof err);
	CHECK(case_update(st, "1", &f, "test", NULL, err, sizeof err) == -1);
	case_fields_free(&f);
	CHECK(case_get(st, "1", &c, err, sizeof err) == 0 && c.entries == 5 && c.status == CASE_PENDING);
	case_rec_free(&c);

	/* close, then a closed case cannot go pending, and reopening works */
	CHECK(case_close(st, "1", "", "test", NULL, err, sizeof err) == -1);
	CHECK(case_close(st, "1", "false positive", "test", &c, err, sizeof err) == 0);
	CHECK(c.status == CASE_CLOSED && c.closed && strcmp(c.close_reason, "false positive") == 0);
	CHECK(c.sla_paused_at == 0);
	case_rec_free(&c);
	case_fields_init(&f);
	case_fields_set(&f, "status", "pending", err, sizeof err);
	CHECK(case_update(st, "1", &f, "test", NULL, err, sizeof err) == -1);
	case_fields_free(&f);

	/* notes */
	uint32_t no = 0;
	CHECK(case_note(st, "2", CASE_ENTRY_NOTE, "alice", "looked at headers", NULL, &no, err, sizeof err) == 0);
	CHECK(no == 2);
	CHECK(case_note(st, "2", CASE_ENTRY_RESULT, "vt", "ok", "{\"score\":3}", &no, err, sizeof err) == 0);
	CHECK(case_note(st, "2", CASE_ENTRY_RESULT, "vt", "ok", "{bad", &no, err, sizeof err) == -1);
	CHECK(case_note(st, "2", CASE_ENTRY_STATUS, "vt", "x", NULL, &no, err, sizeof err) == -1);
	CHECK(case_note(st, "99", CASE_ENTRY_NOTE, "vt", "x", NULL, &no, err, sizeof err) == 1);

	/* dedupe: an open case holding the key absorbs the second create */
	struct case_fields d;
	int deduped = 0;
	case_fields_init(&d);
	case_fields_set(&d, "title", "ssh from 1.2.3.4", err, sizeof err);
	case_fields_set(&d, "dedupe_key", "ip:1.2.3.4", err, sizeof err);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == 0 && !deduped);
	uint64_t first = c.seq;
	case_rec_free(&c);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == 0 && deduped && c.seq == first);
	case_rec_free(&c);
	char ref[32];
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)first);
	CHECK(case_close(st, ref, "done", "t", NULL, err, sizeof err) == 0);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == 0 && !deduped && c.seq != first);
	case_rec_free(&c);
	case_fields_free(&d);

	/* created closed (a pre-processing rule): only with its reason, and it
	 * holds no dedupe key; both create paths (with a parent, the other one) */
	case_fields_init(&d);
	case_fields_set(&d, "title", "backup login", err, sizeof err);
	case_fields_set(&d, "dedupe_key", "user:svc_backup", err, sizeof err);
	case_fields_set(&d, "status", "closed", err, sizeof err);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == -1);
	CHECK(strstr(err, "close_reason") != NULL);
	CHECK(case_fields_set(&d, "close_reason", "known service account", err, sizeof err) == 0);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == 0 && !deduped);
	CHECK(c.status == CASE_CLOSED && c.closed > 0 && c.close_reason &&
	      strcmp(c.close_reason, "known service account") == 0);
	first = c.seq;
	case_rec_free(&c);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == 0 && !deduped && c.seq != first);
	case_rec_free(&c);
	CHECK(case_fields_set(&d, "parent", "1", err, sizeof err) == 0);
	CHECK(case_create(st, &d, "t", &c, &deduped, err, sizeof err) == 0 && !deduped);
	CHECK(c.status == CASE_CLOSED && c.parent == 1 && c.closed > 0);
	case_rec_free(&c);
	case_fields_free(&d);

	/* links: related both ways, parent cycles refused */
	CHECK(case_link(st, "1", "3", "related", "t", err, sizeof err) == 0);
	uint64_t *rel;
	CHECK(case_related(st, "3", &rel, &n, err, sizeof err) == 0 && n == 1 && rel[0] == 1);
	free(rel);
	CHECK(case_link(st, "1", "1", "related", "t", err, sizeof err) == -1);
	CHECK(case_link(st, "1", "2", "parent", "t", err, sizeof err) == -1); /* 2's parent is 1 */
	CHECK(strstr(err, "cycle") != NULL);
	CHECK(case_link(st, "2", "3", "child", "t", err, sizeof err) == 0);
	CHECK(case_get(st, "3", &c, err, sizeof err) == 0 && c.parent == 2);
	case_rec_free(&c);

	/* attachments: stored once, refused past the limit */
	char sha[65], sha2[65];
	CHECK(case_attach(st, "2", "headers.txt", "Received: x\n", 12, "t", sha, err, sizeof err) == 0);
	CHECK(case_attach(st, "3", "copy.txt", "Received: x\n", 12, "t", sha2, err, sizeof err) == 0);
	CHECK_STR(sha, sha2);
	void *data;
	size_t len;
	uint64_t refs;
	CHECK(blob_get(st, sha, &data, &len, &refs, err, sizeof err) == 0 && len == 12 && refs == 2);
	free(data);
	blob_set_limit(16);
	CHECK(case_attach(st, "2", "big", "01234567890123456789", 20, "t", sha, err, sizeof err) == -1);
	CHECK(strstr(err, "limit") != NULL);
	blob_set_limit(0);
	CHECK(case_get(st, "2", &c, err, sizeof err) == 0);
	uint32_t entries = c.entries;
	case_rec_free(&c);
	CHECK(case_timeline(st, "2", entries, 0, &e, &n, err, sizeof err) == 0);
	CHECK(n == 1 && e[0].kind == CASE_ENTRY_ATTACHMENT && strstr(e[0].data, sha2));
	case_entries_free(e, n);
	free(e);

	case_rec_free(&a);
	case_rec_free(&b);
}

static void test_search(struct store *st)
{
	/* 300 cases over 3 types, severities rotating; then page through. */
	for (int i = 0; i < 300; i++) {
		char title[32];
		snprintf(title, sizeof title, "case %d", i);
		struct case_rec c;
		CHECK(create(st, &c, (const char *const[]){ "title", title,
			"type", i % 3 == 0 ? "alpha" : i % 3 == 1 ? "beta" : "gamma",
			"severity", i % 4 == 0 ? "critical" : "low",
			"owner", i % 2 ? "odd" : "even", NULL }) == 0);
		case_rec_free(&c);
	}
	struct case_query q = { 0 };
	struct case_page p;
	q.type = "alpha";
	q.limit = 30;
	size_t total = 0;
	uint64_t prev = UINT64_MAX;
	int pages = 0, ordered = 1;
	char cursor[64] = "";
	do {
		q.cursor = cursor;
		CHECK(case_search(st, &q, &p, err, sizeof err) == 0);
		for (size_t i = 0; i < p.n; i++) {
			ordered &= p.items[i].seq < prev && strcmp(p.items[i].type, "alpha") == 0;
			prev = p.items[i].seq;
		}
		total += p.n;
		pages++;
		snprintf(cursor, sizeof cursor, "%s", p.next);
		case_page_free(&p);
	} while (cursor[0] && pages < 100);
	CHECK(total == 100);
	CHECK(pages == 4);
	CHECK(ordered);

	/* indexed first page reads only what it returns */
	q = (struct case_query){ 0 };
	q.severity = CASE_SEV_CRITICAL;
	q.limit = 10;
	CHECK(case_search(st, &q, &p, err, sizeof err) == 0);
	CHECK(p.n == 10 && p.scanned == 10 && p.next[0]);
	case_page_free(&p);

	/* two filters, ascending, updated sort, status mask */
	q = (struct case_query){ 0 };
	q.type = "beta";
	q.owner = "odd";
	q.ascending = 1;
	q.limit = 1000;
	q.status_mask = 1u << CASE_NEW;
	CHECK(case_search(st, &q, &p, err, sizeof err) == 0);
	CHECK(p.n == 50);
	CHECK(p.n > 1 && p.items[0].seq < p.items[1].seq);
	case_page_free(&p);
	q.sort = CASE_SORT_UPDATED;
	q.cursor = "c1.1";
	CHECK(case_search(st, &q, &p, err, sizeof err) == -1);
	q.cursor = NULL;
	q.created_from = store_now_ms() + 3600000;
	CHECK(case_search(st, &q, &p, err, sizeof err) == 0 && p.n == 0);
	case_page_free(&p);

	/* children of #2 by the parent index */
	q = (struct case_query){ 0 };
	q.parent = 2;
	CHECK(case_search(st, &q, &p, err, sizeof err) == 0 && p.n == 1 && p.items[0].seq == 3);
	case_page_free(&p);
	/* label index follows label changes */
	q = (struct case_query){ 0 };
	q.label = "urgent";
	CHECK(case_search(st, &q, &p, err, sizeof err) == 0 && p.n == 1 && p.items[0].seq == 1);
	case_page_free(&p);
	q.label = "user";
	CHECK(case_search(st, &q, &p, err, sizeof err) == 0 && p.n == 0);
	case_page_free(&p);
}

static void test_json(struct store *st)
{
	struct case_rec c;
	CHECK(case_get(st, "1", &c, err, sizeof err) == 0);
	struct store_buf b = { 0 };
	case_rec_json(&c, store_now_ms(), &b);
	char *s = store_buf_cstr(&b);
	CHECK(strstr(s, "\"number\":1,") != NULL);
	CHECK(strstr(s, "\"status\":\"closed\"") != NULL);
	CHECK(strstr(s, "\"custom\":{\"reporter\":\"bob\"}") != NULL);
	char why[200];
	CHECK(json_check(s, strlen(s), 1, why, sizeof why) == 0);
	store_buf_free(&b);
	case_rec_free(&c);
}

int main(void)
{
	test_codec();
	test_fields();
	test_transitions();
	test_sla();
	struct store *st = open_fresh();
	CHECK(st != NULL);
	if (st) {
		test_store_ops(st);
		test_search(st);
		test_json(st);
		store_close(st);
	}
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}
