/* report.c - the figures of `soarctl report` and GET /api/v1/report (report.h):
 * cases created per day, by severity and type (from the case indexes,
 * store/case_stats.h), cases open now, SLA breaches, runs per playbook and
 * minutes saved (dash_roi.h); written as a terminal summary, JSON, or a
 * self-contained HTML page with SVG charts. */
#include "prompt_form.h"
#include "report.h"

#include "case.h"
#include "case_stats.h"
#include "daemon_int.h"
#include "dash_roi.h"
#include "dash_svg.h"
#include "runstore.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define MAX_TYPES 10
#define MAX_DAYS 366

struct report {
	int64_t now, since, from;
	size_t days;
	uint64_t total, by_status[5];
	uint64_t per_day[MAX_DAYS], sev_day[5][MAX_DAYS], created, by_sev[5];
	char *types[MAX_TYPES];
	uint64_t type_total[MAX_TYPES], type_all[MAX_TYPES];
	int ntypes;
	uint64_t sla_breached, sla_sample;
	uint64_t prompts_open;
	struct roi roi;
	uint64_t runs_ok, runs_failed;
};

int report_parse_since(const char *s, int64_t *ms)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v <= 0)
		return -1;
	double unit = strcmp(end, "s") == 0 ? 1e3 : strcmp(end, "m") == 0 ? 60e3
		      : strcmp(end, "h") == 0 ? 3600e3 : strcmp(end, "d") == 0 ? 86400e3
		      : strcmp(end, "w") == 0 ? 7 * 86400e3 : 0;
	if (unit == 0 || v * unit > 366 * 86400e3)
		return -1;
	*ms = (int64_t)(v * unit);
	return 0;
}

static int gather(struct store *st, const struct pb_set *set, struct report *r, char *err,
		  size_t errlen)
{
	char v[8];
	if (case_stat_count(st, CASE_STAT_ALL, NULL, &r->total, err, errlen) != 0)
		return -1;
	for (int i = 1; i <= 4; i++) {
		snprintf(v, sizeof v, "%d", i);
		if (case_stat_count(st, CASE_STAT_STATUS, v, &r->by_status[i], err, errlen) != 0 ||
		    case_stat_histogram(st, CASE_STAT_SEVERITY, v, r->from, DAY_MS, r->days, r->sev_day[i],
					NULL, err, errlen) != 0)
			return -1;
	}
	if (case_stat_histogram(st, CASE_STAT_ALL, NULL, r->from, DAY_MS, r->days, r->per_day, NULL,
				err, errlen) != 0)
		return -1;
	for (size_t d = 0; d < r->days; d++) {
		r->created += r->per_day[d];
		for (int i = 1; i <= 4; i++)
			r->by_sev[i] += r->sev_day[i][d];
	}
	r->ntypes = case_stat_types(st, MAX_TYPES, r->types, r->type_all, err, errlen);
	if (r->ntypes < 0)
		return -1;
	uint64_t *tmp = calloc(r->days, sizeof *tmp);
	for (int t = 0; tmp && t < r->ntypes; t++) {
		memset(tmp, 0, r->days * sizeof *tmp);
		if (case_stat_histogram(st, CASE_STAT_TYPE, r->types[t], r->from, DAY_MS, r->days, tmp,
					&r->type_total[t], err, errlen) != 0) {
			free(tmp);
			return -1;
		}
	}
	free(tmp);
	struct case_query q;
	struct case_page pg;
	memset(&q, 0, sizeof q);
	q.status_mask = 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
	q.limit = 1000;
	if (case_search(st, &q, &pg, err, errlen) != 0)
		return -1;
	r->sla_sample = pg.n;
	for (size_t i = 0; i < pg.n; i++)
		r->sla_breached += (uint64_t)case_sla_breached(&pg.items[i], r->now);
	case_page_free(&pg);
	struct prompt_rec *p = NULL;
	size_t np = 0;
	if (prompt_list(st, 1, 100000, &p, &np, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < np; i++)
		prompt_rec_free(&p[i]);
	free(p);
	r->prompts_open = np;
	if (roi_compute(st, set, r->since, r->now, 0, &r->roi, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < r->roi.n; i++) {
		r->runs_ok += r->roi.rows[i].succeeded;
		r->runs_failed += r->roi.rows[i].failed;
	}
	return 0;
}

static void report_free_parts(struct report *r)
{
	for (int i = 0; i < r->ntypes; i++)
		free(r->types[i]);
	roi_free(&r->roi);
}

/* "paid back" as words, for all three outputs. */
static void paid_back(const struct roi_row *w, char *out, size_t len)
{
	if (w->minutes_to_build <= 0)
		snprintf(out, len, "-");
	else if (w->saved >= w->minutes_to_build)
		snprintf(out, len, "yes");
	else
		snprintf(out, len, "%.0f%%", w->minutes_each > 0 ? 100 * w->saved / w->minutes_to_build : 0);
}

/* ---- the terminal ---- */

static void spark(struct store_buf *o, const uint64_t *v, size_t n, int colour)
{
	static const char *const bars[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	/* at most 60 columns: buckets summed into columns */
	size_t cols = n > 60 ? 60 : n;
	uint64_t col[60] = {0}, cmax = 0;
	for (size_t i = 0; i < n; i++)
		col[i * cols / n] += v[i];
	for (size_t i = 0; i < cols; i++)
		if (col[i] > cmax)
			cmax = col[i];
	if (colour)
		store_buf_str(o, "\033[36m");
	for (size_t i = 0; i < cols; i++)
		store_buf_str(o, cmax ? bars[col[i] * 7 / cmax] : " ");
	if (colour)
		store_buf_str(o, "\033[0m");
	(void)max;
}

static void print_text(struct store_buf *o, const struct report *r, int colour)
{
	char a[32], b[32];
	const char *B = colour ? "\033[1m" : "", *N = colour ? "\033[0m" : "";
	store_buf_printf(o, "%ssoarctl report%s  %s .. %s (%zu days)\n\n", B, N,
	       case_time_format(r->since, a, sizeof a), case_time_format(r->now, b, sizeof b), r->days);
	store_buf_printf(o, "%-16s %8llu  ", "cases created", (unsigned long long)r->created);
	spark(o, r->per_day, r->days, colour);
	store_buf_printf(o, "\n");
	for (int i = 4; i >= 1; i--) {
		store_buf_printf(o, "  %-14s %8llu  ", case_severity_name(i), (unsigned long long)r->by_sev[i]);
		spark(o, r->sev_day[i], r->days, colour);
		store_buf_printf(o, "\n");
	}
	for (int t = 0; t < r->ntypes; t++)
		store_buf_printf(o, "  type %-9s %8llu\n", r->types[t], (unsigned long long)r->type_total[t]);
	store_buf_printf(o, "\n%scases now%s        %llu in all: new %llu, active %llu, pending %llu, closed %llu\n",
	       B, N, (unsigned long long)r->total, (unsigned long long)r->by_status[1],
	       (unsigned long long)r->by_status[2], (unsigned long long)r->by_status[3],
	       (unsigned long long)r->by_status[4]);
	store_buf_printf(o, "SLA breached     %llu of the %llu newest open cases\n",
	       (unsigned long long)r->sla_breached, (unsigned long long)r->sla_sample);
	store_buf_printf(o, "open prompts     %llu\n", (unsigned long long)r->prompts_open);
	store_buf_printf(o, "\n%sruns%s             %llu: %llu succeeded, %llu failed or cancelled\n", B, N,
	       (unsigned long long)r->roi.runs, (unsigned long long)r->runs_ok,
	       (unsigned long long)r->runs_failed);
	store_buf_printf(o, "%sminutes saved%s    %.0f in the period (%.0f this month)\n\n", B, N, r->roi.saved,
	       r->roi.saved_month);
	store_buf_printf(o, "%-24s %6s %6s %9s %9s %10s %6s\n", "playbook", "runs", "ok%", "min/run", "saved min",
	       "own min", "paid");
	for (size_t i = 0; i < r->roi.n; i++) {
		const struct roi_row *w = &r->roi.rows[i];
		char paid[16];
		paid_back(w, paid, sizeof paid);
		store_buf_printf(o, "%-24.24s %6llu %5.0f%% %9.1f %9.0f %10.1f %6s\n", w->playbook,
		       (unsigned long long)w->runs,
		       w->runs ? 100.0 * (double)w->succeeded / (double)w->runs : 0.0, w->minutes_each,
		       w->saved, w->auto_minutes, paid);
	}
}

/* ---- JSON ---- */

static void print_json(struct store_buf *o, const struct report *r)
{
	char a[32], b[32];
	store_buf_printf(o, "{\"since\":\"%s\",\"until\":\"%s\",\"days\":%zu,\"cases\":{\"total\":%llu,"
		"\"created\":%llu,\"by_status\":{", case_time_format(r->since, a, sizeof a),
		case_time_format(r->now, b, sizeof b), r->days, (unsigned long long)r->total,
		(unsigned long long)r->created);
	for (int i = 1; i <= 4; i++)
		store_buf_printf(o, "%s\"%s\":%llu", i > 1 ? "," : "", case_status_name(i),
			(unsigned long long)r->by_status[i]);
	store_buf_printf(o, "},\"created_by_severity\":{");
	for (int i = 1; i <= 4; i++)
		store_buf_printf(o, "%s\"%s\":%llu", i > 1 ? "," : "", case_severity_name(i),
			(unsigned long long)r->by_sev[i]);
	store_buf_printf(o, "},\"created_by_type\":{");
	for (int t = 0; t < r->ntypes; t++) {
		store_buf_printf(o, "%s", t ? "," : "");
		store_buf_json(o, r->types[t]);
		store_buf_printf(o, ":%llu", (unsigned long long)r->type_total[t]);
	}
	store_buf_printf(o, "},\"created_per_day\":[");
	for (size_t d = 0; d < r->days; d++)
		store_buf_printf(o, "%s%llu", d ? "," : "", (unsigned long long)r->per_day[d]);
	store_buf_printf(o, "],\"sla_breached\":%llu,\"sla_sample\":%llu},\"prompts_open\":%llu,"
		"\"runs\":{\"total\":%llu,\"succeeded\":%llu,\"failed\":%llu,\"per_playbook\":[",
		(unsigned long long)r->sla_breached, (unsigned long long)r->sla_sample,
		(unsigned long long)r->prompts_open, (unsigned long long)r->roi.runs,
		(unsigned long long)r->runs_ok, (unsigned long long)r->runs_failed);
	for (size_t i = 0; i < r->roi.n; i++) {
		const struct roi_row *w = &r->roi.rows[i];
		store_buf_printf(o, "%s{\"playbook\":", i ? "," : "");
		store_buf_json(o, w->playbook);
		store_buf_printf(o, ",\"runs\":%llu,\"succeeded\":%llu,\"failed\":%llu,\"waiting\":%llu,"
			"\"minutes_saved_per_run\":%g,\"minutes_saved\":%g,\"minutes_saved_this_month\":%g,"
			"\"automation_minutes\":%.3f,\"minutes_to_build\":%g,\"paid_back\":%s}",
			(unsigned long long)w->runs, (unsigned long long)w->succeeded,
			(unsigned long long)w->failed, (unsigned long long)w->waiting, w->minutes_each,
			w->saved, w->saved_month, w->auto_minutes, w->minutes_to_build,
			w->minutes_to_build <= 0 ? "null" : w->saved >= w->minutes_to_build ? "true"
			: "false");
	}
	store_buf_printf(o, "]},\"minutes_saved\":{\"total\":%g,\"this_month\":%g}}\n", r->roi.saved,
		r->roi.saved_month);
}

/* ---- HTML ---- */

static void print_html(struct store_buf *out, const struct report *r)
{
	struct store_buf b = *out;
	char a[32], c[32];
	store_buf_str(&b, "<!doctype html><html lang=en><head><meta charset=utf-8>"
		      "<title>soarctl report</title><style>body{font:14px system-ui,sans-serif;"
		      "margin:2em;color:#1b1f24}table{border-collapse:collapse;margin:.5em 0 1.5em}"
		      "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}td.n{text-align:"
		      "right}.cards span{display:inline-block;border:1px solid #ccc;padding:.4em .8em;"
		      "margin:.2em}.cards b{display:block;font-size:1.4em}</style></head><body>");
	store_buf_printf(&b, "<h1>soarctl report</h1><p id=period>%s .. %s (%zu days)</p>",
			 case_time_format(r->since, a, sizeof a), case_time_format(r->now, c, sizeof c),
			 r->days);
	store_buf_printf(&b, "<div class=cards><span id=created><b>%llu</b>cases created</span>"
			 "<span id=total><b>%llu</b>cases in all</span><span id=open><b>%llu</b>open now"
			 "</span><span id=sla><b>%llu</b>SLA breached (of the %llu newest open)</span>"
			 "<span id=runs><b>%llu</b>runs</span><span id=succeeded><b>%llu</b>succeeded"
			 "</span><span id=saved><b>%.0f</b>minutes saved</span></div>",
			 (unsigned long long)r->created, (unsigned long long)r->total,
			 (unsigned long long)(r->by_status[1] + r->by_status[2] + r->by_status[3]),
			 (unsigned long long)r->sla_breached, (unsigned long long)r->sla_sample,
			 (unsigned long long)r->roi.runs, (unsigned long long)r->runs_ok, r->roi.saved);
	/* cases per day by severity */
	uint64_t *sev = calloc(4 * r->days, sizeof *sev);
	const char *names[4], *cols[4];
	for (int i = 0; sev && i < 4; i++) {
		memcpy(sev + (size_t)i * r->days, r->sev_day[4 - i], r->days * sizeof *sev);
		names[i] = case_severity_name(4 - i);
		cols[i] = dash_sev_colour[4 - i];
	}
	store_buf_str(&b, "<h2>Cases created per day, by severity</h2>");
	if (sev)
		dash_svg_stacked(&b, "chart-severity", sev, 4, r->days, names, cols, r->from, DAY_MS);
	free(sev);
	store_buf_str(&b, "<h2>Cases by type (created in the period)</h2><table id=types>");
	for (int t = 0; t < r->ntypes; t++) {
		store_buf_str(&b, "<tr><td>");
		pform_html_escape(&b, r->types[t]);
		store_buf_printf(&b, "</td><td class=n>%llu</td></tr>", (unsigned long long)r->type_total[t]);
	}
	store_buf_str(&b, "</table><h2>Minutes saved per month</h2>");
	const char *mname[1] = { "minutes saved" }, *mcol[1] = { dash_series_colour[2] };
	dash_svg_stacked(&b, "chart-minutes", r->roi.month_hist, 1, 12, mname, mcol,
			 roi_month_start(r->now, 11), 30 * DAY_MS);
	store_buf_str(&b, "<h2>Playbooks: runs, success and minutes saved</h2><table id=playbooks>"
		      "<tr><th>Playbook</th><th>Runs</th><th>Succeeded</th><th>Success</th>"
		      "<th>Minutes saved per run</th><th>Minutes saved</th><th>Its own minutes</th>"
		      "<th>Minutes to build</th><th>Paid back</th></tr>");
	for (size_t i = 0; i < r->roi.n; i++) {
		const struct roi_row *w = &r->roi.rows[i];
		char paid[16];
		paid_back(w, paid, sizeof paid);
		store_buf_str(&b, "<tr><td>");
		pform_html_escape(&b, w->playbook);
		store_buf_printf(&b, "</td><td class=n>%llu</td><td class=n>%llu</td><td class=n>%.0f%%</td>"
				 "<td class=n>%g</td><td class=n>%g</td><td class=n>%.1f</td>"
				 "<td class=n>%g</td><td>%s</td></tr>", (unsigned long long)w->runs,
				 (unsigned long long)w->succeeded,
				 w->runs ? 100.0 * (double)w->succeeded / (double)w->runs : 0.0,
				 w->minutes_each, w->saved, w->auto_minutes, w->minutes_to_build, paid);
	}
	store_buf_str(&b, "</table></body></html>\n");
	*out = b;
}


int report_build(struct store *st, const struct pb_set *set, int64_t span_ms, int64_t now_ms,
		 enum report_format fmt, int colour, struct store_buf *out, char *err, size_t errlen)
{
	struct report *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->now = now_ms;
	r->since = now_ms - span_ms;
	r->from = r->since / DAY_MS * DAY_MS;
	r->days = (size_t)(r->now / DAY_MS - r->since / DAY_MS) + 1;
	if (r->days > MAX_DAYS)
		r->days = MAX_DAYS;
	int rc = gather(st, set, r, err, errlen);
	if (rc == 0) {
		if (fmt == REPORT_JSON)
			print_json(out, r);
		else if (fmt == REPORT_HTML)
			print_html(out, r);
		else
			print_text(out, r, colour);
	}
	report_free_parts(r);
	free(r);
	return rc;
}
