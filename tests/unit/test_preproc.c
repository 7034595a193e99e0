/* test_preproc.c - the daemon's JSON reader (ingest_json.h) and the
 * pre-processing fast path (preproc.h): matching, drop, dedupe within a
 * window (controllable clock: the now argument), bounded memory. */
#include "check.h"
#include "ingest_json.h"
#include "preproc.h"

#include <stdlib.h>
#include <string.h>

static void test_json(void)
{
	struct ij_doc d;
	char err[128];
	const char *s = "[{\"type\":\"connection\",\"src_ip\":\"1.2.3.4\",\"port\":8333,\"ok\":true,"
			"\"x\":null,\"u\":\"caf\\u00e9 \\ud83d\\ude00\",\"n\":{\"a\":[1,2]}}, {\"type\":\"y\"}]";
	CHECK(ij_parse(&d, s, strlen(s), err, sizeof err) == 0);
	const struct ij_node *root = &d.n[0];
	CHECK(root->type == IJ_ARR && root->count == 2);
	const struct ij_node *a = ij_at(&d, root, 0);
	CHECK_STR(ij_text(ij_get(&d, a, "type")), "connection");
	CHECK_STR(ij_text(ij_get(&d, a, "port")), "8333");
	CHECK_STR(ij_text(ij_get(&d, a, "ok")), "true");
	CHECK_STR(ij_text(ij_get(&d, a, "x")), "null");
	CHECK_STR(ij_text(ij_get(&d, a, "u")), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	CHECK(ij_get(&d, a, "missing") == NULL);
	CHECK(ij_text(ij_get(&d, a, "n")) == NULL);
	/* The raw text of an element: stored as the case's source, as it came. */
	CHECK(a->rawlen > 10 && a->raw[0] == '{' && a->raw[a->rawlen - 1] == '}');
	CHECK_STR(ij_text(ij_get(&d, ij_at(&d, root, 1), "type")), "y");
	ij_free(&d);

	static const char *const bad[] = {
		"", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "NaN", "\"\\x\"", "\"a",
		"{\"a\" 1}", "[1] x", "\"\xff\"", "\"\xed\xa0\x80\"", "\"\\ud800\"", "1.", "-",
		"\"\\u0000\"", "tru",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = ij_parse(&d, bad[i], strlen(bad[i]), err, sizeof err);
		if (rc == 0)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(rc == -1);
		ij_free(&d);
	}
	/* Nesting is bounded. */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK(ij_parse(&d, deep, 200, err, sizeof err) == -1);
	CHECK(strstr(err, "nested too deeply") != NULL);
	ij_free(&d);
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
	struct ij_doc d;
	if (ij_parse(&d, json, strlen(json), NULL, 0) != 0)
		return (enum pp_action)-1;
	pp_evaluate(rules, n, w, &d, &d.n[0], now, res);
	ij_free(&d);
	return res->action;
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
	test_rules();
	test_link();
	return CHECK_DONE();
}
