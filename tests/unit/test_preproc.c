/* test_preproc.c - the daemon's JSON reader (the tree of json.h) and the
 * pre-processing fast path (preproc.h): matching, drop, dedupe within a
 * window (controllable clock: the now argument), bounded memory. */
#include "check.h"
#include "json.h"
#include "preproc.h"

#include <stdlib.h>
#include <string.h>

static void test_json(void)
{
	struct json_doc d;
	char err[128];
	const char *s = "[{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\",\"port\":8333,\"ok\":true,"
			"\"x\":null,\"u\":\"caf\\u00e9 \\ud83d\\ude00\",\"n\":{\"a\":[1,2]}}, {\"type\":\"y\"}]";
	CHECK(json_parse(&d, s, strlen(s), 0, err, sizeof err) == 0);
	const struct json_node *root = &d.n[0];
	CHECK(root->type == JSON_ARRAY && root->count == 2);
	const struct json_node *a = json_at(&d, root, 0);
	CHECK_STR(json_text(json_get(&d, a, "type")), "connection");
	CHECK_STR(json_text(json_get(&d, a, "port")), "8333");
	CHECK_STR(json_text(json_get(&d, a, "ok")), "true");
	CHECK_STR(json_text(json_get(&d, a, "x")), "null");
	CHECK_STR(json_text(json_get(&d, a, "u")), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	CHECK(json_get(&d, a, "missing") == NULL);
	CHECK(json_text(json_get(&d, a, "n")) == NULL);
	/* The raw text of an element: stored as the case's source, as it came. */
	CHECK(a->rawlen > 10 && a->raw[0] == '{' && a->raw[a->rawlen - 1] == '}');
	CHECK_STR(json_text(json_get(&d, json_at(&d, root, 1), "type")), "y");
	json_doc_free(&d);

	static const char *const bad[] = {
		"", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "NaN", "\"\\x\"", "\"a",
		"{\"a\" 1}", "[1] x", "\"\xff\"", "\"\xed\xa0\x80\"", "\"\\ud800\"", "1.", "-",
		"\"\\u0000\"", "tru",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = json_parse(&d, bad[i], strlen(bad[i]), 0, err, sizeof err);
		if (rc == 0)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(rc == -1);
		json_doc_free(&d);
	}
	/* Nesting is bounded. */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK(json_parse(&d, deep, 200, 0, err, sizeof err) == -1);
	CHECK_STR(err, "nesting deeper than 32 at offset 32");
	json_doc_free(&d);

	/* One rule for every reader: a key seen twice is refused, whichever copy a
	 * later reader would keep, and the error names the key and the object. */
	const char *dup = "{\"severity\":\"low\",\"severity\":\"critical\"}";
	CHECK(json_parse(&d, dup, strlen(dup), 0, err, sizeof err) == -1);
	CHECK_STR(err, "duplicate key \"severity\" in $ (keys must be unique) at offset 18");
	CHECK(d.n == NULL && d.strs == NULL); /* nothing kept after a failure */
	json_doc_free(&d);
	/* Spelled differently but the same key once decoded; nested; many keys. */
	const char *dup2 = "[{\"a\":{\"x\":1,\"sev\":1,\"s\\u0065v\":2}}]";
	CHECK(json_parse(&d, dup2, strlen(dup2), 0, err, sizeof err) == -1);
	CHECK_STR(err, "duplicate key \"sev\" in $[0].a (keys must be unique) at offset 21");
	json_doc_free(&d);
	/* An object with many members (the sorted check), with and without a twin. */
	for (int twin = 0; twin < 2; twin++) {
		char big[4096];
		size_t n = (size_t)snprintf(big, sizeof big, "{");
		for (int i = 0; i < 100; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", i, i);
		n += (size_t)snprintf(big + n, sizeof big - n, "\"%s\":0}", twin ? "k57" : "zz");
		CHECK(json_parse(&d, big, n, 0, err, sizeof err) == (twin ? -1 : 0));
		if (twin)
			CHECK_HAS(err, "duplicate key \"k57\" in $ (keys must be unique) at offset ");
		else
			CHECK(d.n[0].count == 101);
		json_doc_free(&d);
	}

	/* Numbers JSON cannot carry as a double are refused, naming the field. */
	const char *huge = "{\"type\":\"x\",\"data\":{\"score\":1e999999}}";
	CHECK(json_parse(&d, huge, strlen(huge), 0, err, sizeof err) == -1);
	CHECK_STR(err, "number out of range (not finite as a double) in $.data.score at offset 28");
	json_doc_free(&d);
	const char *huge2 = "[-1e400]";
	CHECK(json_parse(&d, huge2, strlen(huge2), 0, err, sizeof err) == -1);
	CHECK_STR(err, "number out of range (not finite as a double) in $[0] at offset 1");
	json_doc_free(&d);
	const char *ok = "{\"tiny\":1e-400,\"big\":123456789012345678901234567890,\"f\":2.5}";
	CHECK(json_parse(&d, ok, strlen(ok), 0, err, sizeof err) == 0);
	double f = 0;
	CHECK(json_number(json_get(&d, &d.n[0], "f"), &f) == 0 && f == 2.5);
	CHECK(json_number(json_get(&d, &d.n[0], "tiny"), &f) == 0 && f == 0);
	CHECK(json_number(&d.n[0], &f) == -1);
	CHECK_STR(json_text(json_get(&d, &d.n[0], "big")), "123456789012345678901234567890");
	json_doc_free(&d);
}

struct seen_s { int calls; unsigned dups; char ref[40]; };
static void cb(const char *key, const char *ref, unsigned dups, void *ud)
{
	(void)key;
	struct seen_s *s = ud;
	s->calls++;
	s->dups += dups;
	snprintf(s->ref, sizeof s->ref, "%s", ref);
}

static struct pp_rule rule_dedupe(void)
{
	struct pp_rule r;
	memset(&r, 0, sizeof r);
	r.match.n = 1;
	r.match.c = calloc(1, sizeof *r.match.c);
	r.match.c[0].field = strdup("type");
	r.match.c[0].values = calloc(1, sizeof(char *));
	r.match.c[0].values[0] = strdup("connection");
	r.match.c[0].nvalues = 1;
	r.dedupe_fields = calloc(1, sizeof(char *));
	r.dedupe_fields[0] = strdup("src_ip");
	r.ndedupe = 1;
	r.window_s = 3600;
	return r;
}

static enum pp_action eval(const struct pp_rule *const *rules, int n, struct pp_window *w,
			   const char *json, int64_t now, struct pp_result *res)
{
	struct json_doc d;
	if (json_parse(&d, json, strlen(json), 0, NULL, 0) != 0)
		return (enum pp_action)-1;
	pp_evaluate(rules, n, w, &d, &d.n[0], now, res);
	json_doc_free(&d);
	return res->action;
}

/* Pre-processing never sees a document with a key twice: the reader refuses it
 * before any rule runs, so a drop rule on "severity":"low" cannot be shown one
 * value while the playbook reads another. */
static void test_rules_dup(void)
{
	struct pp_window *w = pp_window_new(10);
	struct pp_rule drop;
	struct pp_result res;
	memset(&drop, 0, sizeof drop);
	drop.drop = 1;
	drop.match.n = 1;
	drop.match.c = calloc(1, sizeof *drop.match.c);
	drop.match.c[0].field = strdup("severity");
	drop.match.c[0].values = calloc(1, sizeof(char *));
	drop.match.c[0].values[0] = strdup("low");
	drop.match.c[0].nvalues = 1;
	const struct pp_rule *rules[] = { &drop };
	CHECK(eval(rules, 1, w, "{\"severity\":\"low\"}", 0, &res) == PP_DROP);
	CHECK((int)eval(rules, 1, w, "{\"severity\":\"low\",\"severity\":\"critical\"}", 0, &res) == -1);
	CHECK((int)eval(rules, 1, w, "{\"severity\":\"critical\",\"severity\":\"low\"}", 0, &res) == -1);
	pp_rule_free(&drop);
	pp_window_free(w);
}

static void test_rules(void)
{
	struct pp_window *w = pp_window_new(1000);
	struct pp_rule dedupe = rule_dedupe();
	struct pp_rule drop;
	memset(&drop, 0, sizeof drop);
	drop.drop = 1;
	drop.match.n = 1;
	drop.match.c = calloc(1, sizeof *drop.match.c);
	drop.match.c[0].field = strdup("noise");   /* present: drop */
	drop.match.c[0].want_present = 1;
	const struct pp_rule *rules[] = {&drop, &dedupe};
	struct pp_result res;
	int64_t t0 = 1800000000000;

	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\"}", t0, &res) == PP_CASE);
	CHECK_STR(res.key, "src_ip:1.2.3.4");
	CHECK(res.rule == &dedupe);
	pp_window_set_case(w, res.key, "case-1");
	/* Within the hour: a duplicate of case-1. */
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\"}", t0 + 59 * 60000,
		   &res) == PP_DUPLICATE);
	CHECK_STR(res.dup_case, "case-1");
	/* Another IP, another type, no IP: not duplicates. */
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"5.6.7.8\"}", t0, &res) == PP_CASE);
	CHECK(eval(rules, 2, w, "{\"type\":\"login\",\"src_ip\":\"1.2.3.4\"}", t0, &res) == PP_CASE);
	CHECK(res.rule == NULL);
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\"}", t0, &res) == PP_CASE);
	CHECK_STR(res.key, "");
	/* The drop rule comes first. */
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\",\"noise\":1}", t0, &res)
	      == PP_DROP);
	/* After the window: a new case. */
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\"}",
		   t0 + 3600000 + 1, &res) == PP_CASE);
	pp_window_set_case(w, res.key, "case-2");

	/* Duplicates drained once, with their count, for the case timeline. */
	struct seen_s seen = {0, 0, ""};
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\"}", t0 + 3600000 + 2,
		   &res) == PP_DUPLICATE);
	CHECK(eval(rules, 2, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\"}", t0 + 3600000 + 3,
		   &res) == PP_DUPLICATE);
	pp_window_drain(w, cb, &seen);
	CHECK(seen.calls == 2); /* case-1's earlier duplicate, and case-2's two */
	pp_window_drain(w, cb, &seen);
	CHECK(seen.calls == 2);

	/* Bounded: 10x the cap in distinct keys keeps at most the cap. */
	for (int i = 0; i < 10000; i++) {
		char a[80];
		snprintf(a, sizeof a, "{\"type\":\"connection\",\"src_ip\":\"10.0.%d.%d\"}", i / 256, i % 256);
		eval(rules, 2, w, a, t0 + i, &res);
	}
	CHECK(pp_window_size(w) <= 1000);
	pp_rule_free(&dedupe);
	pp_rule_free(&drop);
	pp_window_free(w);
}

/* link: the key (no window: every alert of the key is linked by the store) or
 * the case the alert names; the rule's fields missing: a case of its own. */
static void test_link(void)
{
	struct pp_window *w = pp_window_new(100);
	struct pp_rule link = rule_dedupe();            /* type = connection */
	link.link_fields = link.dedupe_fields;
	link.nlink = link.ndedupe;
	link.dedupe_fields = NULL;
	link.ndedupe = 0;
	link.link_case = strdup("case");
	const struct pp_rule *rules[] = {&link};
	struct pp_result res;
	int64_t t0 = 1800000000000;
	for (int i = 0; i < 2; i++) {                   /* twice: no window, never a duplicate */
		CHECK(eval(rules, 1, w, "{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\"}", t0,
			   &res) == PP_CASE);
		CHECK(res.link == 1);
		CHECK_STR(res.key, "src_ip:1.2.3.4");
		CHECK_STR(res.link_ref, "");
	}
	CHECK(pp_window_size(w) == 0);
	CHECK(eval(rules, 1, w, "{\"type\":\"connection\",\"case\":42}", t0, &res) == PP_CASE);
	CHECK(res.link == 1);
	CHECK_STR(res.link_ref, "42");
	CHECK_STR(res.key, "");
	CHECK(eval(rules, 1, w, "{\"type\":\"connection\",\"case\":null}", t0, &res) == PP_CASE);
	CHECK_STR(res.link_ref, "");
	CHECK(eval(rules, 1, w, "{\"type\":\"login\",\"case\":\"7\"}", t0, &res) == PP_CASE);
	CHECK(res.link == 0);                           /* the rule does not match */
	pp_rule_free(&link);
	pp_window_free(w);
}

int main(void)
{
	test_json();
	test_rules_dup();
	test_rules();
	test_link();
	return CHECK_DONE();
}
