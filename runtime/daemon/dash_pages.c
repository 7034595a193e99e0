/* dash_pages.c - the dashboard's pages (dash.h). Everything taken from the
 * store is written through dash_printf's %s, which escapes it: a case title
 * holding <script> shows as text. Each page reads only bounded slices of the
 * store (index counts, one page of a query, the newest runs), so that a page
 * stays fast with a million cases (tools/bench/bench_dashboard). */
#include "dash.h"

#include "access_rules.h"
#include "case.h"
#include "case_stats.h"
#include "daemon_int.h"
#include "dash_hist.h"
#include "dash_roi.h"
#include "dash_session.h"
#include "dash_svg.h"
#include "edl.h"
#include "jobstore.h"
#include "json.h"
#include "runstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DAY_MS 86400000LL
#define RUNS_READ 2000        /* the newest runs the overview and ROI read */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *tfmt(int64_t ms, char *buf, size_t len)
{
	return case_time_format(ms, buf, len);
}

static const char *dur(double minutes, char *buf, size_t len)
{
	if (minutes < 1)
		snprintf(buf, len, "%.0f s", minutes * 60);
	else if (minutes < 120)
		snprintf(buf, len, "%.1f min", minutes);
	else if (minutes < 48 * 60)
		snprintf(buf, len, "%.1f h", minutes / 60);
	else
		snprintf(buf, len, "%.1f d", minutes / 1440);
	return buf;
}


static void card(struct dash_ctx *c, const char *id, const char *label, const char *value)
{
	dash_printf(c, "<div class=card id=\"%s\"><b>%s</b>%s</div>", id, value, label);
}

static void prompt_row(struct dash_ctx *c, const struct prompt_rec *p, const char *back)
{
	dash_printf(c, "<tr><td>%s</td><td>%s</td><td><a href=\"/ui/runs/%s\">%s</a></td><td>",
		    p->question ? p->question : "", p->to ? p->to : "anyone", p->run_id, p->run_id);
	struct json_doc doc;
	const struct json_node *opts = NULL;
	if (p->spec_json && json_parse(&doc, p->spec_json, strlen(p->spec_json), 0, NULL, 0) == 0) {
		opts = json_get(&doc, &doc.n[0], "options");
		if (opts && dash_may(c, ROUTE_PROMPT_ANSWER)) {
			dash_printf(c, "<form method=post class=inline action=\"/ui/prompts/%s/answer\">"
				    "<input type=hidden name=back value=\"%s\">", p->id, back);
			dash_csrf_field(c);
			for (int k = 0; k < opts->count; k++) {
				const char *o = json_text(json_at(&doc, opts, k));
				dash_printf(c, "<button name=choice value=\"%s\">%s</button> ", o ? o : "",
					    o ? o : "");
			}
			store_buf_str(&c->b, "</form>");
		}
		json_doc_free(&doc);
	}
	if (!opts)
		dash_printf(c, "a form: answer with <code>soarctl prompt answer %s</code>", p->id);
	store_buf_str(&c->b, "</td></tr>");
}

static const char PROMPT_HEAD[] = "<table id=prompts><tr><th>Question</th><th>For</th><th>Run</th>"
				  "<th>Answer</th></tr>";

/* The open prompts (the newest 50), or the one prompt `id`. */
static void prompt_forms(struct dash_ctx *c, const char *back, const char *id)
{
	char err[256];
	if (id) {
		struct prompt_rec p;
		if (prompt_get(c->d->st, id, &p, err, sizeof err) != 0) {
			dash_printf(c, "<p class=err>%s</p>", err);
			return;
		}
		if (p.open) {
			store_buf_str(&c->b, PROMPT_HEAD);
			prompt_row(c, &p, back);
			store_buf_str(&c->b, "</table>");
		}
		prompt_rec_free(&p);
		return;
	}
	struct prompt_rec *p = NULL;
	size_t n = 0;
	if (prompt_list(c->d->st, 1, 50, &p, &n, err, sizeof err) != 0) {
		dash_printf(c, "<p class=err>%s</p>", err);
		return;
	}
	if (n)
		store_buf_str(&c->b, PROMPT_HEAD);
	for (size_t i = 0; i < n; i++) {
		prompt_row(c, &p[i], back);
		prompt_rec_free(&p[i]);
	}
	free(p);
	store_buf_str(&c->b, n ? "</table>" : "<p id=prompts-none>No open prompt.</p>");
}

/* The XKCD "is it worth the time" view of the ROI rows. */
static void roi_table(struct dash_ctx *c, const struct roi *roi)
{
	char a[32], b[32], d[32];
	dash_printf(c, "<table id=roi><tr><th>Playbook</th><th>Runs</th><th>Succeeded</th>"
		    "<th>How often</th><th>Saved per run</th><th>Saved this month</th>"
		    "<th>Saved in all</th><th>Its own run time</th><th>Paid back?</th></tr>");
	for (size_t i = 0; i < roi->n; i++) {
		const struct roi_row *w = &roi->rows[i];
		double perday = w->days > 0 ? (double)w->runs / (w->days < 1 ? 1 : w->days) : 0;
		char often[48], paid[96];
		if (perday >= 1)
			snprintf(often, sizeof often, "%.1f a day", perday);
		else if (perday * 7 >= 1)
			snprintf(often, sizeof often, "%.1f a week", perday * 7);
		else
			snprintf(often, sizeof often, "%.1f a month", perday * 30);
		if (w->minutes_to_build <= 0)
			snprintf(paid, sizeof paid, "(no minutes_to_build)");
		else if (w->minutes_each <= 0)
			snprintf(paid, sizeof paid, "never (saves nothing)");
		else if (w->saved >= w->minutes_to_build)
			snprintf(paid, sizeof paid, "yes, after %.0f runs",
				 w->minutes_to_build / w->minutes_each + 0.999);
		else
			snprintf(paid, sizeof paid, "%.0f%% (%.0f more runs)",
				 100 * w->saved / w->minutes_to_build,
				 (w->minutes_to_build - w->saved) / w->minutes_each + 0.999);
		dash_printf(c, "<tr><td><a href=\"/ui/runs?playbook=%s\">%s</a></td><td class=n>%llu</td>"
			    "<td class=n>%llu (%.1f%%)</td><td>%s</td><td>%s</td><td class=n>%s</td>"
			    "<td class=n>%s</td><td class=n>%s</td><td>%s</td></tr>",
			    w->playbook, w->playbook, (unsigned long long)w->runs,
			    (unsigned long long)w->succeeded,
			    w->runs ? 100.0 * (double)w->succeeded / (double)w->runs : 0.0, often,
			    dur(w->minutes_each, a, sizeof a), dur(w->saved_month, b, sizeof b),
			    dur(w->saved, d, sizeof d), dur(w->auto_minutes, often, sizeof often), paid);
	}
	store_buf_str(&c->b, "</table>");
}

void dash_overview(struct dash_ctx *c)
{
	struct store *st = c->d->st;
	char err[256] = "", v[8], num[32];
	int64_t now = now_ms();
	dash_page_start(c, "Overview");
	uint64_t total = 0, bys[5] = {0}, byv[5] = {0};
	case_stat_count(st, CASE_STAT_ALL, NULL, &total, err, sizeof err);
	for (int i = 1; i <= 4; i++) {
		snprintf(v, sizeof v, "%d", i);
		case_stat_count(st, CASE_STAT_STATUS, v, &bys[i], err, sizeof err);
		case_stat_count(st, CASE_STAT_SEVERITY, v, &byv[i], err, sizeof err);
	}
	store_buf_str(&c->b, "<div class=cards>");
	snprintf(num, sizeof num, "%llu", (unsigned long long)total);
	card(c, "count-total", "cases", num);
	snprintf(num, sizeof num, "%llu", (unsigned long long)(bys[1] + bys[2] + bys[3]));
	card(c, "count-open", "open", num);
	for (int i = 1; i <= 4; i++) {
		char id[32];
		snprintf(id, sizeof id, "count-%s", case_status_name(i));
		snprintf(num, sizeof num, "%llu", (unsigned long long)bys[i]);
		card(c, id, case_status_name(i), num);
	}
	store_buf_str(&c->b, "</div><div class=cards>");
	for (int i = 4; i >= 1; i--) {
		char id[32];
		snprintf(id, sizeof id, "count-sev-%s", case_severity_name(i));
		snprintf(num, sizeof num, "%llu", (unsigned long long)byv[i]);
		card(c, id, case_severity_name(i), num);
	}
	store_buf_str(&c->b, "</div>");

	/* cases over the last 30 days, by severity and by type */
	enum { NB = DASH_HIST_DAYS };
	int64_t from = dash_hist_from(now);
	uint64_t hs[4 * NB] = {0};
	const char *snames[4], *scol[4];
	int hrc = 0;               /* 1: still being counted; -1: err says why */
	for (int i = 0; i < 4; i++) {
		snprintf(v, sizeof v, "%d", 4 - i);
		int r = dash_hist_get(st, CASE_STAT_SEVERITY, v, from, hs + i * NB, err, sizeof err);
		if (r && hrc >= 0)
			hrc = r;
		snames[i] = case_severity_name(4 - i);
		scol[i] = dash_sev_colour[4 - i];
	}
	store_buf_str(&c->b, "<h2>New cases, last 30 days, by severity</h2>");
	if (hrc == 1)
		store_buf_str(&c->b, "<p id=chart-counting>The charts are being counted in the background "
			      "since the daemon started (a large store): reload in a moment.</p>");
	else if (hrc < 0)
		dash_printf(c, "<p class=err>cannot count the cases over time: %s</p>", err);
	else
		dash_svg_stacked(&c->b, "chart-severity", hs, 4, NB, snames, scol, from, DAY_MS);
	char *tnames[6] = {0};
	uint64_t tcounts[6] = {0};
	int nt = hrc ? 0 : case_stat_types(st, 6, tnames, tcounts, err, sizeof err);
	if (nt > 0) {
		uint64_t *ht = calloc((size_t)nt * NB, sizeof *ht);
		int trc = 0;
		for (int i = 0; ht && i < nt && !trc; i++)
			trc = dash_hist_get(st, CASE_STAT_TYPE, tnames[i], from, ht + i * NB, err, sizeof err);
		store_buf_str(&c->b, "<h2>New cases, last 30 days, by type (the 6 most common)</h2>");
		if (trc == 1)
			store_buf_str(&c->b, "<p>Being counted in the background: reload in a moment.</p>");
		else if (trc < 0)
			dash_printf(c, "<p class=err>cannot count the cases over time: %s</p>", err);
		else if (ht)
			dash_svg_stacked(&c->b, "chart-type", ht, (size_t)nt, NB, (const char *const *)tnames,
				    dash_series_colour, from, DAY_MS);
		free(ht);
		for (int i = 0; i < nt; i++)
			free(tnames[i]);
	}

	/* SLA and times, from the newest cases (a sample: bounded work) */
	struct case_query q;
	struct case_page pg;
	memset(&q, 0, sizeof q);
	q.status_mask = 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
	q.limit = 1000;
	uint64_t breached = 0, sample_open = 0;
	if (case_search(st, &q, &pg, err, sizeof err) == 0) {
		sample_open = pg.n;
		for (size_t i = 0; i < pg.n; i++)
			breached += (uint64_t)case_sla_breached(&pg.items[i], now);
		case_page_free(&pg);
	}
	q.status_mask = 1u << CASE_CLOSED;
	q.limit = 200;
	double close_sum = 0, resp_sum = 0;
	uint64_t nclose = 0, nresp = 0;
	if (case_search(st, &q, &pg, err, sizeof err) == 0) {
		for (size_t i = 0; i < pg.n; i++) {
			const struct case_rec *k = &pg.items[i];
			if (k->closed > k->created) {
				close_sum += (double)(k->closed - k->created);
				nclose++;
			}
			/* responded: the first timeline entry after the creation */
			struct case_entry *e = NULL;
			size_t ne = 0;
			char ref[24];
			snprintf(ref, sizeof ref, "%llu", (unsigned long long)k->seq);
			if (i < 50 && case_timeline(st, ref, 2, 1, &e, &ne, err, sizeof err) == 0) {
				if (ne && e[0].time >= k->created) {
					resp_sum += (double)(e[0].time - k->created);
					nresp++;
				}
				case_entries_free(e, ne);
				free(e);
			}
		}
		case_page_free(&pg);
	}
	store_buf_str(&c->b, "<div class=cards>");
	snprintf(num, sizeof num, "%llu", (unsigned long long)breached);
	char lbl[96];
	snprintf(lbl, sizeof lbl, "SLA breached (of the %llu newest open)",
		 (unsigned long long)sample_open);
	card(c, "sla-breached", lbl, num);
	card(c, "mttr", "mean time to respond (newest closed)",
	     nresp ? dur(resp_sum / (double)nresp / 60000.0, num, sizeof num) : "-");
	card(c, "mttc", "mean time to close (newest closed)",
	     nclose ? dur(close_sum / (double)nclose / 60000.0, num, sizeof num) : "-");
	store_buf_str(&c->b, "</div>");

	/* minutes saved, runs and success per playbook */
	struct roi roi;
	struct pb_set *set = c->d->set;
	if (roi_compute(st, set, 0, now, RUNS_READ, &roi, err, sizeof err) == 0) {
		store_buf_str(&c->b, "<h2>Minutes saved</h2><div class=cards>");
		card(c, "saved-month", "saved this month", dur(roi.saved_month, num, sizeof num));
		card(c, "saved-total", "saved in all", dur(roi.saved, num, sizeof num));
		store_buf_str(&c->b, "</div><h2>Runs and success rate per playbook");
		if (roi.truncated)
			dash_printf(c, " (the newest %d runs)", RUNS_READ);
		store_buf_str(&c->b, "</h2>");
		roi_table(c, &roi);
		roi_free(&roi);
	} else
		dash_printf(c, "<p class=err>%s</p>", err);

	store_buf_str(&c->b, "<h2>Open prompts</h2>");
	prompt_forms(c, "/", NULL);

	/* the newest cases, with new ones pushed by the server */
	memset(&q, 0, sizeof q);
	q.limit = 10;
	dash_printf(c, "<h2>Newest cases (<span id=live-count>0</span> new since this page loaded)"
		    "</h2><table id=live-cases><thead><tr><th>#</th><th>Title</th><th>Type</th>"
		    "<th>Severity</th><th>Status</th><th>Created</th></tr></thead><tbody>");
	if (case_search(st, &q, &pg, err, sizeof err) == 0) {
		for (size_t i = 0; i < pg.n; i++) {
			const struct case_rec *k = &pg.items[i];
			char t[32];
			dash_printf(c, "<tr><td><a href=\"/ui/cases/%llu\">#%llu</a></td><td>%s</td><td>%s"
				    "</td><td class=\"sev-%s\">%s</td><td>%s</td><td>%s</td></tr>",
				    (unsigned long long)k->seq, (unsigned long long)k->seq,
				    k->title ? k->title : "", k->type ? k->type : "",
				    case_severity_name(k->severity), case_severity_name(k->severity),
				    case_status_name(k->status), tfmt(k->created, t, sizeof t));
		}
		case_page_free(&pg);
	}
	store_buf_str(&c->b, "</tbody></table>");
	dash_page_end(c);
}

/* ---- cases ---- */

static void case_rows(struct dash_ctx *c, const struct case_rec *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct case_rec *k = &items[i];
		char t[32], due[32];
		dash_printf(c, "<tr><td><a href=\"/ui/cases/%llu\">#%llu</a></td><td>%s</td><td>%s</td>"
			    "<td class=\"sev-%s\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			    (unsigned long long)k->seq, (unsigned long long)k->seq, k->title ? k->title : "",
			    k->type ? k->type : "", case_severity_name(k->severity),
			    case_severity_name(k->severity), case_status_name(k->status),
			    k->owner ? k->owner : "", tfmt(k->created, t, sizeof t),
			    k->sla_due ? tfmt(k->sla_due, due, sizeof due) : "");
	}
}

static void select_opt(struct dash_ctx *c, const char *name, const char *cur,
		       const char *const *vals)
{
	dash_printf(c, "<select name=%s id=\"f-%s\"><option value=\"\">any %s</option>", name, name,
		    name);
	for (; *vals; vals++)
		dash_printf(c, "<option%s>%s</option>", cur && strcmp(cur, *vals) == 0 ? " selected" : "",
			    *vals);
	store_buf_str(&c->b, "</select> ");
}

#define SEARCH_SCAN 20000     /* full-text search reads at most this many cases per page */

void dash_cases(struct dash_ctx *c)
{
	struct httpd_req *r = c->r;
	struct case_query q;
	memset(&q, 0, sizeof q);
	const char *status = httpd_query(r, "status"), *sev = httpd_query(r, "severity");
	const char *text = httpd_query(r, "q");
	if (status && *status) {
		if (strcmp(status, "open") == 0)
			q.status_mask = 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
		else if (case_status_parse(status))
			q.status_mask = 1u << case_status_parse(status);
	}
	if (sev && *sev)
		q.severity = case_severity_parse(sev);
	q.type = httpd_query(r, "type");
	q.owner = httpd_query(r, "owner");
	q.label = httpd_query(r, "label");
	if (q.type && !*q.type)
		q.type = NULL;
	if (q.owner && !*q.owner)
		q.owner = NULL;
	if (q.label && !*q.label)
		q.label = NULL;
	if (text && !*text)
		text = NULL;
	q.cursor = httpd_query(r, "cursor");
	if (q.cursor && !*q.cursor)
		q.cursor = NULL;
	q.limit = text ? 1000 : 50;
	dash_page_start(c, "Cases");
	static const char *const statuses[] = { "open", "new", "active", "pending", "closed", NULL };
	static const char *const sevs[] = { "critical", "high", "medium", "low", NULL };
	store_buf_str(&c->b, "<form method=get action=\"/ui/cases\" id=filters>");
	select_opt(c, "status", status, statuses);
	select_opt(c, "severity", sev, sevs);
	dash_printf(c, "<input name=type id=f-type placeholder=type value=\"%s\"> "
		    "<input name=owner placeholder=owner value=\"%s\"> "
		    "<input name=label placeholder=label value=\"%s\"> "
		    "<input name=q id=f-q placeholder=\"text in title\" value=\"%s\"> "
		    "<button id=f-apply>Filter</button></form>", q.type ? q.type : "",
		    q.owner ? q.owner : "", q.label ? q.label : "", text ? text : "");
	dash_printf(c, "<table id=cases><tr><th>#</th><th>Title</th><th>Type</th><th>Severity</th>"
		    "<th>Status</th><th>Owner</th><th>Created</th><th>SLA due</th></tr>");
	struct case_page pg;
	char err[256] = "", next[64] = "";
	size_t shown = 0, scanned = 0;
	for (;;) {
		if (case_search(c->d->st, &q, &pg, err, sizeof err) != 0) {
			store_buf_str(&c->b, "</table>");
			dash_printf(c, "<p class=err>%s</p>", err);
			dash_page_end(c);
			return;
		}
		scanned += pg.n;
		if (!text) {
			case_rows(c, pg.items, pg.n);
			shown += pg.n;
		} else {
			for (size_t i = 0; i < pg.n && shown < 50; i++)
				if (pg.items[i].title && strcasestr(pg.items[i].title, text)) {
					case_rows(c, &pg.items[i], 1);
					shown++;
				}
		}
		snprintf(next, sizeof next, "%s", pg.next);
		case_page_free(&pg);
		if (!text || !next[0] || shown >= 50 || scanned >= SEARCH_SCAN)
			break;
		q.cursor = next;
	}
	dash_printf(c, "</table><p id=case-count>%zu shown", shown);
	if (text)
		dash_printf(c, " (text searched in %zu cases)", scanned);
	store_buf_str(&c->b, "</p>");
	if (next[0]) {
		store_buf_str(&c->b, "<p><a id=next href=\"/ui/cases?");
		const char *keys[] = { "status", "severity", "type", "owner", "label", "q" };
		for (size_t i = 0; i < 6; i++) {
			const char *val = httpd_query(r, keys[i]);
			if (!val || !*val)
				continue;
			store_buf_printf(&c->b, "%s=", keys[i]);
			for (const unsigned char *p = (const unsigned char *)val; *p; p++)
				store_buf_printf(&c->b, (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' &&
						 (*p | 32) <= 'z') ? "%c" : "%%%02X", *p);
			store_buf_str(&c->b, "&amp;");
		}
		dash_printf(c, "cursor=%s\">Next page</a></p>", next);
	}
	dash_page_end(c);
}

/* Runs of a case: from the newest RUNS_READ runs. */
static void case_runs(struct dash_ctx *c, const struct case_rec *k)
{
	struct run_rec *runs = NULL;
	size_t n = 0, shown = 0;
	char err[256], seq[24], t[32];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)k->seq);
	if (run_list(c->d->st, 0, RUNS_READ, &runs, &n, err, sizeof err) != 0) {
		dash_printf(c, "<p class=err>%s</p>", err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *ref = runs[i].case_ref;
		if (ref && *ref == '#')
			ref++;
		if (ref && (strcmp(ref, seq) == 0 || strcmp(ref, k->id) == 0)) {
			if (!shown++)
				store_buf_str(&c->b, "<table id=case-runs><tr><th>Run</th><th>Playbook</th>"
					      "<th>Status</th><th>Steps</th><th>Started</th></tr>");
			dash_printf(c, "<tr><td><a href=\"/ui/runs/%s\">%s</a></td><td>%s</td><td>%s</td>"
				    "<td class=n>%u</td><td>%s</td></tr>", runs[i].id, runs[i].id,
				    runs[i].playbook ? runs[i].playbook : "", run_status_name(runs[i].status),
				    runs[i].steps, tfmt(runs[i].created, t, sizeof t));
		}
		run_rec_free(&runs[i]);
	}
	free(runs);
	store_buf_str(&c->b, shown ? "</table>" : "<p>No run on this case.</p>");
}

void dash_case(struct dash_ctx *c, const char *ref)
{
	struct store *st = c->d->st;
	struct case_rec k;
	char err[256] = "", t[32], t2[32];
	int rc = case_get(st, ref, &k, err, sizeof err);
	if (rc != 0) {
		dash_message(c, rc == 1 || strstr(err, "is not a case number") ? 404 : 500,
			     "No such case", err);
		return;
	}
	char title[64];
	snprintf(title, sizeof title, "Case #%llu", (unsigned long long)k.seq);
	dash_page_start(c, title);
	int64_t now = now_ms();
	dash_printf(c, "<h2 id=case-title>%s</h2><table id=case-fields><tr><th>Status</th><td id=case-status>"
		    "%s</td><th>Severity</th><td class=\"sev-%s\">%s</td><th>Type</th><td>%s</td></tr>"
		    "<tr><th>Owner</th><td>%s</td><th>Role</th><td>%s</td><th>Created</th><td>%s</td>"
		    "</tr><tr><th>SLA due</th><td id=case-sla>%s%s</td><th>Closed</th><td>%s</td>"
		    "<th>Close reason</th><td>%s</td></tr>",
		    k.title ? k.title : "", case_status_name(k.status), case_severity_name(k.severity),
		    case_severity_name(k.severity), k.type ? k.type : "", k.owner ? k.owner : "",
		    k.role ? k.role : "", tfmt(k.created, t, sizeof t),
		    k.sla_due ? tfmt(case_sla_effective_due(&k, now), t2, sizeof t2) : "none",
		    k.sla_due && case_sla_breached(&k, now) ? " (breached)" : "",
		    k.closed ? tfmt(k.closed, t, sizeof t) : "", k.close_reason ? k.close_reason : "");
	if (k.nlabels) {
		store_buf_str(&c->b, "<tr><th>Labels</th><td colspan=5>");
		for (size_t i = 0; i < k.nlabels; i++)
			dash_printf(c, "%s%s", i ? ", " : "", k.labels[i]);
		store_buf_str(&c->b, "</td></tr>");
	}
	store_buf_str(&c->b, "</table>");
	if (dash_may(c, ROUTE_CASES_WRITE) && k.status != CASE_CLOSED) {
		dash_printf(c, "<form method=post id=close-form action=\"/ui/cases/%llu/close\">",
			    (unsigned long long)k.seq);
		dash_csrf_field(c);
		store_buf_str(&c->b, "<input name=reason placeholder=\"close reason\" required> "
			      "<button id=close-case>Close case</button></form>");
	}

	/* children and links */
	struct case_query q;
	struct case_page pg;
	memset(&q, 0, sizeof q);
	q.parent = k.seq;
	q.limit = 100;
	if (k.parent)
		dash_printf(c, "<p>Parent: <a href=\"/ui/cases/%llu\">#%llu</a></p>",
			    (unsigned long long)k.parent, (unsigned long long)k.parent);
	if (case_search(st, &q, &pg, err, sizeof err) == 0) {
		if (pg.n) {
			store_buf_str(&c->b, "<h2>Children</h2><table id=children>");
			case_rows(c, pg.items, pg.n);
			store_buf_str(&c->b, "</table>");
		}
		case_page_free(&pg);
	}
	uint64_t *rel = NULL;
	size_t nrel = 0;
	if (case_related(st, ref, &rel, &nrel, err, sizeof err) == 0 && nrel) {
		store_buf_str(&c->b, "<h2>Related</h2><p id=related>");
		for (size_t i = 0; i < nrel; i++)
			dash_printf(c, "<a href=\"/ui/cases/%llu\">#%llu</a> ", (unsigned long long)rel[i],
				    (unsigned long long)rel[i]);
		store_buf_str(&c->b, "</p>");
	}
	free(rel);

	store_buf_str(&c->b, "<h2>Runs</h2>");
	case_runs(c, &k);

	/* the timeline, with the war room's commands and results and attachments */
	struct case_entry *e = NULL;
	size_t ne = 0;
	store_buf_str(&c->b, "<h2>Timeline</h2>");
	if (case_timeline(st, ref, 1, 500, &e, &ne, err, sizeof err) == 0) {
		store_buf_str(&c->b, "<table id=timeline><tr><th>#</th><th>When</th><th>Kind</th>"
			      "<th>Who</th><th>What</th></tr>");
		for (size_t i = 0; i < ne; i++) {
			dash_printf(c, "<tr class=\"entry-%s\"><td>%u</td><td>%s</td><td>%s</td><td>%s</td>"
				    "<td>%s", case_entry_kind_name(e[i].kind), e[i].no,
				    tfmt(e[i].time, t, sizeof t), case_entry_kind_name(e[i].kind),
				    e[i].actor ? e[i].actor : "", e[i].text ? e[i].text : "");
			if (e[i].data)
				dash_printf(c, "<pre>%s</pre>", e[i].data);
			store_buf_str(&c->b, "</td></tr>");
		}
		store_buf_str(&c->b, "</table>");
		if (k.entries > ne)
			dash_printf(c, "<p>The first %zu entries of %u.</p>", ne, k.entries);
		case_entries_free(e, ne);
		free(e);
	} else
		dash_printf(c, "<p class=err>%s</p>", err);
	if (dash_may(c, ROUTE_CASES_WRITE)) {
		dash_printf(c, "<form method=post id=note-form action=\"/ui/cases/%llu/note\">",
			    (unsigned long long)k.seq);
		dash_csrf_field(c);
		store_buf_str(&c->b, "<input name=text size=60 placeholder=\"a note\" required> "
			      "<button>Add note</button></form>");
	}
	if (dash_may(c, ROUTE_WARROOM)) {
		dash_printf(c, "<h2>War room</h2><form id=warroom action=\"/ui/cases/%llu/warroom\">"
			    "<input name=command size=60 placeholder=\"!integration.command arg=value\"> "
			    "<label><input type=checkbox name=mock> mock</label> <button>Run</button>"
			    "</form><pre id=warroom-out></pre>", (unsigned long long)k.seq);
	}
	case_rec_free(&k);
	dash_page_end(c);
}

/* ---- runs ---- */

void dash_runs(struct dash_ctx *c)
{
	const char *status = httpd_query(c->r, "status"), *pb = httpd_query(c->r, "playbook");
	int sv = status && *status ? run_status_parse(status) : 0;
	struct run_rec *runs = NULL;
	size_t n = 0;
	char err[256], t[32], t2[32];
	dash_page_start(c, "Runs");
	static const char *const statuses[] = { "running", "waiting", "succeeded", "failed",
						"cancelled", NULL };
	store_buf_str(&c->b, "<form method=get action=\"/ui/runs\">");
	select_opt(c, "status", status, statuses);
	dash_printf(c, "<input name=playbook placeholder=playbook value=\"%s\"> <button>Filter</button>"
		    "</form>", pb ? pb : "");
	if (run_list(c->d->st, sv, pb && *pb ? RUNS_READ : 200, &runs, &n, err, sizeof err) != 0) {
		dash_printf(c, "<p class=err>%s</p>", err);
		dash_page_end(c);
		return;
	}
	store_buf_str(&c->b, "<table id=runs><tr><th>Run</th><th>Playbook</th><th>Status</th>"
		      "<th>Case</th><th>Steps</th><th>Started</th><th>Finished</th></tr>");
	for (size_t i = 0; i < n; i++) {
		struct run_rec *x = &runs[i];
		if (!pb || !*pb || (x->playbook && strcmp(x->playbook, pb) == 0))
			dash_printf(c, "<tr><td><a href=\"/ui/runs/%s\">%s</a></td><td>%s</td><td>%s%s%s</td>"
				    "<td>%s</td><td class=n>%u</td><td>%s</td><td>%s</td></tr>", x->id,
				    x->id, x->playbook ? x->playbook : "", run_status_name(x->status),
				    x->wait_kind ? ": " : "", x->wait_kind ? x->wait_kind : "",
				    x->case_ref ? x->case_ref : "", x->steps, tfmt(x->created, t, sizeof t),
				    x->finished ? tfmt(x->finished, t2, sizeof t2) : "");
		run_rec_free(x);
	}
	free(runs);
	store_buf_str(&c->b, "</table>");
	dash_page_end(c);
}

void dash_run(struct dash_ctx *c, const char *id)
{
	struct run_rec x;
	char err[256], t[32];
	if (run_get(c->d->st, id, &x, err, sizeof err) != 0) {
		dash_message(c, 404, "No such run", err);
		return;
	}
	dash_page_start(c, "Run");
	dash_printf(c, "<table id=run-fields><tr><th>Id</th><td>%s</td><th>Playbook</th><td>%s</td></tr>"
		    "<tr><th>Status</th><td id=run-status>%s</td><th>Case</th><td>", x.id,
		    x.playbook ? x.playbook : "", run_status_name(x.status));
	if (x.case_ref)
		dash_printf(c, "<a href=\"/ui/cases/%s\">%s</a>", x.case_ref[0] == '#' ? x.case_ref + 1 :
			    x.case_ref, x.case_ref);
	dash_printf(c, "</td></tr><tr><th>Started</th><td>%s</td><th>By</th><td>%s</td></tr>",
		    tfmt(x.created, t, sizeof t), x.actor ? x.actor : "");
	if (x.status == RUN_WAITING)
		dash_printf(c, "<tr><th>Waiting on</th><td id=run-wait>%s</td><th>Until</th><td>%s</td></tr>",
			    x.wait_kind ? x.wait_kind : "", x.wait_until ? tfmt(x.wait_until, t, sizeof t)
			    : "-");
	if (x.result_json)
		dash_printf(c, "<tr><th>Result</th><td colspan=3><pre>%s</pre></td></tr>", x.result_json);
	if (x.error_json)
		dash_printf(c, "<tr><th>Error</th><td colspan=3><pre>%s</pre></td></tr>", x.error_json);
	store_buf_str(&c->b, "</table>");
	if (dash_may(c, ROUTE_RUNS_CONTROL) && (x.status == RUN_WAITING || x.status == RUN_RUNNING)) {
		if (x.status == RUN_WAITING) {
			dash_printf(c, "<form method=post class=inline action=\"/ui/runs/%s/resume\">", x.id);
			dash_csrf_field(c);
			store_buf_str(&c->b, "<button id=resume>Resume</button></form> ");
		}
		dash_printf(c, "<form method=post class=inline action=\"/ui/runs/%s/cancel\">", x.id);
		dash_csrf_field(c);
		store_buf_str(&c->b, "<button id=cancel>Cancel</button></form>");
	}
	if (x.status == RUN_WAITING && x.wait_prompt) {
		char back[64];
		snprintf(back, sizeof back, "/ui/runs/%s", x.id);
		store_buf_str(&c->b, "<h2>Its prompt</h2>");
		prompt_forms(c, back, x.wait_prompt);
	}
	struct journal_entry *j = NULL;
	size_t n = 0;
	store_buf_str(&c->b, "<h2>Steps</h2>");
	if (journal_load(c->d->st, x.id, &j, &n, err, sizeof err) == 0) {
		store_buf_str(&c->b, "<table id=steps><tr><th>#</th><th>Step</th><th>Task</th>"
			      "<th>Arguments</th><th>Result</th><th>Time</th></tr>");
		for (size_t i = 0; i < n; i++) {
			dash_printf(c, "<tr><td>%u</td><td>%s</td><td>%s</td><td>%s</td><td><pre>%s</pre>",
				    j[i].no, j[i].name ? j[i].name : "", j[i].task ? j[i].task : "",
				    j[i].args ? j[i].args : "", j[i].result_json ? j[i].result_json : "");
			if (j[i].error)
				dash_printf(c, "<p class=err>%s</p>", j[i].error);
			dash_printf(c, "</td><td>%s</td></tr>", tfmt(j[i].started, t, sizeof t));
		}
		store_buf_str(&c->b, "</table>");
		journal_entries_free(j, n);
	} else
		dash_printf(c, "<p class=err>%s</p>", err);
	run_rec_free(&x);
	dash_page_end(c);
}

/* ---- jobs, EDLs, playbooks ---- */

void dash_jobs(struct dash_ctx *c)
{
	struct store_buf j = {0};
	char err[256] = "", t[32];
	dash_page_start(c, "Jobs");
	struct json_doc doc;
	if (jobs_list_json(c->d->st, &j, 1, err, sizeof err) != 0 ||
	    json_parse(&doc, j.p ? j.p : "[]", j.p ? j.len : 2, 0, err, sizeof err) != 0) {
		dash_printf(c, "<p class=err>%s</p>", err);
	} else {
		const struct json_node *a = &doc.n[0];
		/* the last result: the job's newest run among the newest RUNS_READ */
		struct run_rec *runs = NULL;
		size_t nr = 0;
		if (run_list(c->d->st, 0, RUNS_READ, &runs, &nr, err, sizeof err) != 0)
			nr = 0;
		store_buf_str(&c->b, "<table id=jobs><tr><th>Job</th><th>Schedule</th><th>Next fire</th>"
			      "<th>Last fire</th><th>Last result</th><th>Paused</th><th>Running</th></tr>");
		for (int i = 0; i < a->count; i++) {
			const struct json_node *o = json_at(&doc, a, i);
			const char *name = json_text(json_get(&doc, o, "name"));
			const char *sch = json_text(json_get(&doc, o, "schedule"));
			const struct json_node *nx = json_get(&doc, o, "next"), *ls = json_get(&doc, o, "last");
			const struct json_node *pa = json_get(&doc, o, "paused"), *ru = json_get(&doc, o, "running");
			char nb[32], lb[32];
			snprintf(nb, sizeof nb, "%s", nx && nx->type == JSON_STRING ? json_text(nx) :
				 nx ? tfmt((int64_t)strtoll(nx->raw, NULL, 10), t, sizeof t) : "");
			snprintf(lb, sizeof lb, "%s", ls && ls->type == JSON_STRING ? json_text(ls) :
				 ls ? tfmt((int64_t)strtoll(ls->raw, NULL, 10), t, sizeof t) : "");
			dash_printf(c, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>", name ? name : "",
				    sch ? sch : "", nb, lb);
			for (size_t k = 0; name && k < nr; k++)
				if (runs[k].playbook && strcmp(runs[k].playbook, name) == 0) {
					dash_printf(c, "<a href=\"/ui/runs/%s\">%s</a>", runs[k].id,
						    run_status_name(runs[k].status));
					break;
				}
			dash_printf(c, "</td><td>%s</td><td>%s</td></tr>", pa && pa->raw[0] == 't' ? "yes" : "no",
				    ru && ru->raw[0] == 't' ? "yes" : "no");
		}
		store_buf_str(&c->b, "</table>");
		for (size_t k = 0; k < nr; k++)
			run_rec_free(&runs[k]);
		free(runs);
		json_doc_free(&doc);
	}
	store_buf_free(&j);
	dash_page_end(c);
}

struct edl_page {
	struct dash_ctx *c;
	int shown;
};

static int edl_entry_row(const struct edl_entry *e, void *ud)
{
	struct edl_page *p = ud;
	char t[32];
	if (p->shown++ >= 20)
		return 1;
	dash_printf(p->c, "<li>%s <small>expires %s</small></li>", e->value,
		    e->expires_ms ? tfmt(e->expires_ms, t, sizeof t) : "never");
	return 0;
}

static int edl_row(const struct edl_list_info *l, void *ud)
{
	struct dash_ctx *c = ud;
	char t[32], err[256];
	dash_printf(c, "<tr><td>%s</td><td>%s</td><td class=n>%u</td><td class=n>%u</td><td>%s</td><td><ul>",
		    l->name, edl_type_name(l->type), l->entries, l->cap, tfmt(l->created_ms, t, sizeof t));
	struct edl_page p = { c, 0 };
	edl_each(c->d->st, l->name, NULL, edl_entry_row, &p, err, sizeof err);
	store_buf_str(&c->b, "</ul></td></tr>");
	return 0;
}

void dash_edls(struct dash_ctx *c)
{
	char err[256] = "";
	dash_page_start(c, "EDLs");
	store_buf_str(&c->b, "<table id=edls><tr><th>List</th><th>Type</th><th>Entries</th><th>Cap</th>"
		      "<th>Created</th><th>First entries (expiry)</th></tr>");
	if (edl_lists(c->d->st, edl_row, c, err, sizeof err) != 0)
		dash_printf(c, "<tr><td colspan=6 class=err>%s</td></tr>", err);
	store_buf_str(&c->b, "</table>");
	dash_page_end(c);
}

void dash_playbooks(struct dash_ctx *c)
{
	dash_page_start(c, "Playbooks");
	struct pb_set *set = c->d->set;
	store_buf_str(&c->b, "<table id=playbooks><tr><th>Playbook</th><th>Description</th>"
		      "<th>Inputs</th><th>Schedule</th><th>Alert triggers</th><th>Minutes saved per run</th>"
		      "<th>Minutes to build</th><th>Self-service form</th></tr>");
	for (int i = 0; set && i < set->n; i++) {
		const struct pb_meta *m = &set->pb[i];
		dash_printf(c, "<tr><td>%s</td><td>%s</td><td><pre>%s</pre></td><td>%s</td><td class=n>%d</td>"
			    "<td class=n>%.1f</td><td class=n>%.1f</td><td>", m->name,
			    m->description ? m->description : "", m->inputs_text ? m->inputs_text : "",
			    m->schedule ? m->schedule : "", m->ntriggers, m->minutes_saved,
			    m->minutes_to_build);
		/* The form people start it from (daemon_selfservice.c), and who may. */
		if (m->form) {
			dash_printf(c, "<a class=form href=\"/forms/%s\">%s</a><br><small>roles: ", m->name,
				    m->form->title ? m->form->title : m->name);
			for (int k = 0; k < m->form->nroles; k++)
				dash_printf(c, k ? ", %s" : "%s", m->form->roles[k]);
			store_buf_str(&c->b, "</small>");
		}
		store_buf_str(&c->b, "</td></tr>");
	}
	store_buf_str(&c->b, "</table>");
	dash_page_end(c);
}

/* GET /ui/events: server-sent events. Each answer carries the cases created
 * since the client's Last-Event-ID (their number) and ends; EventSource
 * reconnects after `retry` and sends the last id it saw. Connections are not
 * held open, so a thousand open dashboards hold no daemon slots. */
void dash_events(struct dash_ctx *c)
{
	const char *last = httpd_header(c->r, "Last-Event-ID");
	if (!last)
		last = httpd_query(c->r, "after");
	uint64_t after = last ? strtoull(last, NULL, 10) : 0;
	struct case_query q;
	struct case_page pg;
	char err[256];
	memset(&q, 0, sizeof q);
	q.limit = 50;
	store_buf_str(&c->b, "retry: 2000\n\n");
	if (case_search(c->d->st, &q, &pg, err, sizeof err) == 0) {
		if (!last && pg.n)   /* first connection: start from the newest */
			store_buf_printf(&c->b, "id: %llu\n\n", (unsigned long long)pg.items[0].seq);
		for (size_t i = pg.n; last && i-- > 0;) {
			const struct case_rec *k = &pg.items[i];
			if (k->seq <= after)
				continue;
			char t[32];
			store_buf_printf(&c->b, "id: %llu\nevent: case\ndata: {\"seq\":%llu,\"title\":",
					 (unsigned long long)k->seq, (unsigned long long)k->seq);
			store_buf_json(&c->b, k->title ? k->title : "");
			store_buf_str(&c->b, ",\"type\":");
			store_buf_json(&c->b, k->type ? k->type : "");
			store_buf_printf(&c->b, ",\"severity\":\"%s\",\"status\":\"%s\",\"created\":\"%s\"}\n\n",
					 case_severity_name(k->severity), case_status_name(k->status),
					 tfmt(k->created, t, sizeof t));
		}
		case_page_free(&pg);
	}
	httpd_reply(c->r, 200, "text/event-stream; charset=utf-8", c->b.p, c->b.len,
		    "Cache-Control: no-store\nX-Content-Type-Options: nosniff");
	store_buf_free(&c->b);
}
