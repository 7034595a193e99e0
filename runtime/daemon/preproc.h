/* preproc.h - pre-processing: the cheap rules that see every alert before any
 * playbook does (match on fields; drop; dedupe on a key within a window;
 * link to an existing case; close; set fields; choose the playbook), and the alert triggers of
 * playbooks. Pure C over ingest_json trees: no Lua, no store; the daemon's
 * loop thread owns the dedupe window.
 *
 * Rules come from playbooks (`preprocess = {{match=, dedupe=, link=, drop=,
 * close=, set=, playbook=}}`), triggers from `triggers = {{field=value...}}`: see
 * docs/daemon.md. */
#ifndef SOAR_PREPROC_H
#define SOAR_PREPROC_H

#include "json.h"

#include <stddef.h>
#include <stdint.h>

/* One condition: field equal to one of values; or (nvalues 0) present/absent. */
struct pp_cond {
	char *field;
	char **values;
	int nvalues;
	int want_present;         /* nvalues 0: 1 present, 0 absent */
};

struct pp_match {
	struct pp_cond *c;
	int n;
};

struct pp_rule {
	char *owner;              /* the playbook that declared it */
	struct pp_match match;
	int drop;
	char **dedupe_fields;     /* the key: these fields' values */
	int ndedupe;
	int window_s;             /* dedupe window; default 3600 */
	char **link_fields;       /* link: to the open case holding these fields' key */
	int nlink;
	char *link_case;          /* link: the alert field naming a case (id or number) */
	char *close_reason;       /* create the case closed, with this reason */
	char **set_k, **set_v;    /* alert fields to set (title, severity...) */
	int nset;
	char *playbook;           /* run this playbook (instead of the triggers) */
};

void pp_match_free(struct pp_match *m);
void pp_rule_free(struct pp_rule *r);

/* Whether alert (an object node of d) satisfies m. */
int pp_match(const struct json_doc *d, const struct json_node *alert, const struct pp_match *m);

enum pp_action { PP_CASE, PP_DROP, PP_DUPLICATE };

struct pp_result {
	enum pp_action action;
	const struct pp_rule *rule;   /* the first rule that matched, or NULL */
	char key[320];                /* dedupe key ("" none) */
	char dup_case[40];            /* PP_DUPLICATE: the case it counts on, if known */
	int link;                     /* a link rule: `key` (if any) links, no window */
	char link_ref[64];            /* link: the case the alert names ("" none) */
};

/* The dedupe window: key -> (case, until). Bounded: when full, expired entries
 * are swept, then the oldest half. */
struct pp_window;
struct pp_window *pp_window_new(size_t max_entries);
void pp_window_free(struct pp_window *w);
size_t pp_window_size(const struct pp_window *w);
/* Records key (seen now) for window_s; case_ref may be "" until it is known. */
void pp_window_put(struct pp_window *w, const char *key, const char *case_ref, int64_t now_ms,
		   int window_s);
/* Sets the case of a key (once its case is durable). */
void pp_window_set_case(struct pp_window *w, const char *key, const char *case_ref);
/* The case of a key in the window, or NULL (none, or not durable yet). */
const char *pp_window_case(struct pp_window *w, const char *key);
/* 1 when key is inside its window: *case_ref (may be "") and the count bumped. */
int pp_window_hit(struct pp_window *w, const char *key, int64_t now_ms, const char **case_ref);
/* Calls fn for each entry with uncounted duplicates and a known case, then
 * zeroes their counts (to record them on the case). */
void pp_window_drain(struct pp_window *w, void (*fn)(const char *key, const char *case_ref,
						     unsigned dups, void *ud), void *ud);

/* Applies the rules (first match wins) to an alert. */
void pp_evaluate(const struct pp_rule *const *rules, int nrules, struct pp_window *w,
		 const struct json_doc *d, const struct json_node *alert, int64_t now_ms,
		 struct pp_result *out);

#endif
