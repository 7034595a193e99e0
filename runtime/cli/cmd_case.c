/* cmd_case.c - `soarctl case`: list, show, new, update, close, note, attach,
 * link, children, check. A thin front end over case.h. */
#include "access.h"
#include "cli.h"
#include "cmd_case_export.h"
#include "runout.h"
#include "rbac.h"

#include "blob.h"
#include "case.h"
#include "case_attachment.h"
#include "case_breached.h"
#include "sla_watch.h"
#include "datadir.h"
#include "indicator.h"
#include "store_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: soarctl case SUBCOMMAND [ARGS] [--data DIR] [--json]\n"
	"\n"
	"Cases: numbered (#42), with a stable id, a status, an owner and a timeline.\n"
	"\n"
	"  list [FILTERS]           newest first; FILTERS:\n"
	"        --status S[,S]     new, active, pending, closed, or open (= not closed)\n"
	"        --severity S --type T --owner O --role R --label L --dedupe-key K\n"
	"        --parent REF       children of a case\n"
	"        --created-since T --created-before T --updated-since T --updated-before T\n"
	"        --sort created|updated  --asc  --limit N (default 50)  --cursor C\n"
	"        --breached         only cases whose SLA is breached (or closed late)\n"
	"  show REF [--entries N]   the case and its timeline (last N entries; default all)\n"
	"  new --title T [--FIELD VALUE]...\n"
	"  update REF --FIELD VALUE...\n"
	"        FIELDs: title type severity status owner role labels custom dedupe-key\n"
	"        source parent sla-due sla-pause-pending close-reason\n"
	"        severity: low|medium|high|critical   labels: a,b (update: +a,-b)\n"
	"        custom: a JSON object; source: JSON (custom and source take @FILE)\n"
	"        sla-due: +4h, +30m, +2d, 2024-05-01T10:00:00Z or @UNIXSECONDS\n"
	"  close REF --reason TEXT\n"
	"  note REF TEXT [--kind note|command|result|prompt|answer] [--data-json JSON]\n"
	"        TEXT - reads standard input\n"
	"  attach REF FILE [--name NAME]   (limit 32 MiB; $SOARCTL_BLOB_MAX)\n"
	"  attachment get REF NAME [-o FILE]   the attachment's bytes to FILE (else stdout)\n"
	"  link REF OTHER [--relation related|parent|child]   OTHER becomes REF's ...\n"
	"  children REF             the cases whose parent is REF\n"
	"  check                    verify the store's structure and case indexes\n"
	"  export --since T [--until T] [--format jsonl] [--out FILE]\n"
	"                           cases created since T (-30d, @0 for all), one JSON\n"
	"                           line each: the case, its timeline, links, attachments\n"
	"  import FILE              an export's lines into this store (same numbers and\n"
	"                           ids; a case already there is skipped; role admin)\n"
	"\n"
	"REF is a case number (42 or #42) or a case id. Times are UTC.\n"
	"Status changes allowed: new -> active|pending|closed, active -> pending|closed,\n"
	"pending -> active|closed, closed -> active.\n"
	"Exit codes: 0 ok, 1 not found or refused, 2 bad arguments or values.\n";

#define CMD "case"

struct opts {
	const char *data;
	int json;
	char *pos[4];
	int npos;
	/* --name value pairs not consumed by the common parser */
	const char *keys[40], *vals[40];
	int nkv;
};

/* Parses argv after the subcommand: --data, --json, flags with values (all other
 * --x take one value, except the listed boolean ones), positionals. */
static int parse(int argc, char **argv, struct opts *o, const char *const *bools)
{
	memset(o, 0, sizeof *o);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "-") == 0) {
			if (o->npos == 4)
				return cli_usage(CMD, "too many arguments at '%s'", a);
			o->pos[o->npos++] = argv[i];
			continue;
		}
		const char *name = a + 2, *val = NULL;
		const char *eq = strchr(name, '=');
		static char namebuf[64];
		if (eq) {
			snprintf(namebuf, sizeof namebuf, "%.*s", (int)(eq - name), name);
			name = namebuf;
			val = eq + 1;
		}
		int is_bool = strcmp(name, "json") == 0;
		for (int b = 0; bools && bools[b]; b++)
			is_bool |= strcmp(name, bools[b]) == 0;
		if (is_bool) {
			if (strcmp(name, "json") == 0)
				o->json = 1;
			else if (o->nkv < 40) {
				o->keys[o->nkv] = name;
				o->vals[o->nkv++] = "true";
			}
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return cli_usage(CMD, "--%s needs a value", name);
			val = argv[++i];
		}
		if (strcmp(name, "data") == 0) {
			o->data = val;
			continue;
		}
		if (o->nkv == 40)
			return cli_usage(CMD, "too many options");
		o->keys[o->nkv] = eq ? strdup(name) : name;
		o->vals[o->nkv++] = val;
	}
	return 0;
}

static const char *opt(const struct opts *o, const char *name)
{
	const char *v = NULL;
	for (int i = 0; i < o->nkv; i++)
		if (strcmp(o->keys[i], name) == 0)
			v = o->vals[i];
	return v;
}

/* Refuses options this subcommand does not know. */
static int only(const struct opts *o, const char *const *known)
{
	for (int i = 0; i < o->nkv; i++) {
		int ok = 0;
		for (int k = 0; known[k] && !ok; k++)
			ok = strcmp(o->keys[i], known[k]) == 0;
		if (!ok)
			return cli_usage(CMD, "unknown option --%s", o->keys[i]);
	}
	return 0;
}

static const char *case_sub; /* the subcommand: its permission (access.c) */

static struct store *open_store(const struct opts *o)
{
	return access_open(CMD, case_sub, o->data, 0, NULL);
}

static const char *actor(void)
{
	static char buf[300];
	char u[128];
	snprintf(buf, sizeof buf, "cli:%s", rbac_os_user(u, sizeof u));   /* as RBAC names people */
	return buf;
}

static char *read_all(FILE *f, size_t limit, size_t *len)
{
	struct store_buf b = { 0 };
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		store_buf_add(&b, tmp, n);
		if (b.len > limit)
			break;
	}
	*len = b.len;
	char *s = store_buf_cstr(&b);
	if (!s)
		store_buf_free(&b);
	return s;
}

/* Turns --a-b VALUE pairs into case fields; "@FILE" for custom/source. */
static int to_fields(const struct opts *o, struct case_fields *f, const char *const *skip)
{
	char err[1024];
	for (int i = 0; i < o->nkv; i++) {
		int skipped = 0;
		for (int s = 0; skip && skip[s] && !skipped; s++)
			skipped = strcmp(o->keys[i], skip[s]) == 0;
		if (skipped)
			continue;
		char name[64];
		snprintf(name, sizeof name, "%s", o->keys[i]);
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		const char *val = o->vals[i];
		char *loaded = NULL;
		if ((strcmp(name, "custom") == 0 || strcmp(name, "source") == 0) && val[0] == '@') {
			FILE *fp = fopen(val + 1, "rb");
			if (!fp)
				return cli_fail(CMD, EXIT_USAGE, "--%s: cannot read %s: %s", o->keys[i],
						val + 1, strerror(errno));
			size_t len;
			loaded = read_all(fp, CASE_MAX_JSON + 1, &len);
			fclose(fp);
			if (!loaded)
				return cli_fail(CMD, EXIT_FAIL, "out of memory");
			val = loaded;
		}
		int rc = case_fields_set(f, name, val, err, sizeof err);
		free(loaded);
		if (rc != 0)
			return cli_fail(CMD, EXIT_USAGE, "%s", err);
	}
	return 0;
}

/* ---- output ---- */

enum { C_RESET, C_BOLD, C_DIM, C_RED, C_GREEN, C_YELLOW, C_BLUE, C_MAGENTA, C_CYAN };
static const char *const colours[] = { "\033[0m", "\033[1m", "\033[2m", "\033[31m",
	"\033[32m", "\033[33m", "\033[34m", "\033[35m", "\033[36m" };
static int use_colour;

static const char *col(int c)
{
	return use_colour ? colours[c] : "";
}

static int status_colour(int s)
{
	return s == CASE_NEW ? C_CYAN : s == CASE_ACTIVE ? C_YELLOW : s == CASE_PENDING ? C_MAGENTA : C_GREEN;
}

static int sev_colour(int s)
{
	return s >= CASE_SEV_HIGH ? C_RED : s == CASE_SEV_MEDIUM ? C_YELLOW : C_DIM;
}

/* The terminal's width; when stdout is not a terminal, $COLUMNS if set, else 100. */
static int term_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	long n = c ? strtol(c, NULL, 10) : 0;
	return n >= 40 && n <= 1000 ? (int)n : 100;
}

/* Bytes of the UTF-8 character at s (1 for a stray byte); one column each. */
static size_t char_len(const char *s, const char *end)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	for (size_t i = 1; i < n; i++)
		if (s + i >= end || ((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

static void put_span(const char *s, const char *end)
{
	for (; s < end; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

/* Prints s on one line in at most `w` columns, "…" last when it is cut (control
 * characters shown as spaces, so hostile titles cannot drive the terminal). */
static void put_clipped(const char *s, int w)
{
	if (!s)
		return;
	const char *end = s + strlen(s), *p = s;
	int cols = 0;
	while (p < end && cols < w) {
		p += char_len(p, end);
		cols++;
	}
	if (p < end) { /* cut: make room for the ellipsis */
		p = s;
		for (cols = 0; cols < w - 1; cols++)
			p += char_len(p, end);
		put_span(s, p);
		fputs("…", stdout);
		return;
	}
	put_span(s, end);
}

/* Prints s wrapped to `w` columns, at spaces where it can (a longer word is cut),
 * its own line breaks kept; every line but the first starts with `indent`
 * spaces. Control characters print as spaces. Ends with a newline. */
static void put_wrapped(const char *s, int indent, int w)
{
	int first = 1;
	for (;;) {
		const char *nl = strchr(s, '\n'), *end = nl ? nl : s + strlen(s);
		do {
			const char *p = s, *brk = NULL;
			for (int cols = 0; p < end && cols < w; cols++) {
				if (*p == ' ')
					brk = p;
				p += char_len(p, end);
			}
			const char *stop = p < end && *p != ' ' && brk && brk > s ? brk : p;
			if (!first)
				printf("%*s", indent, "");
			put_span(s, stop);
			putchar('\n');
			first = 0;
			for (s = stop; s < end && *s == ' '; s++)
				;
		} while (s < end);
		if (!nl)
			break;
		s = nl + 1;
		if (!*s)
			break;
	}
}

static void print_list_header(void)
{
	printf("%s%-7s %-8s %-8s %-14s %-12s %-20s %s%s\n", col(C_BOLD), "NUMBER", "STATUS",
	       "SEVERITY", "TYPE", "OWNER", "UPDATED", "TITLE", col(C_RESET));
}

static void print_list_row(const struct case_rec *c, int width)
{
	char t[40], num[24];
	snprintf(num, sizeof num, "#%llu", (unsigned long long)c->seq);
	printf("%-7s %s%-8s%s %s%-8s%s %-14.14s %-12.12s %-20s ", num,
	       col(status_colour(c->status)), case_status_name(c->status), col(C_RESET),
	       col(sev_colour(c->severity)), case_severity_name(c->severity), col(C_RESET),
	       c->type ? c->type : "-", c->owner ? c->owner : "-",
	       case_time_format(c->updated, t, sizeof t));
	put_clipped(c->title, width - 76 > 20 ? width - 76 : 20);
	putchar('\n');
}

static int print_page(const struct case_page *p, int json, const char *label)
{
	if (json) {
		struct store_buf b = { 0 };
		store_buf_str(&b, "{\"cases\":[");
		int64_t now = store_now_ms();
		for (size_t i = 0; i < p->n; i++) {
			if (i)
				store_buf_str(&b, ",");
			case_rec_json(&p->items[i], now, &b);
		}
		store_buf_str(&b, "],\"next\":");
		store_buf_json(&b, p->next[0] ? p->next : NULL);
		store_buf_str(&b, "}\n");
		fwrite(b.p, 1, b.len, stdout);
		store_buf_free(&b);
		return EXIT_OK;
	}
	if (!p->n) {
		printf("no %s\n", label);
		return EXIT_OK;
	}
	int w = term_width();
	print_list_header();
	for (size_t i = 0; i < p->n; i++)
		print_list_row(&p->items[i], w);
	if (p->next[0])
		printf("%smore: add --cursor %s%s\n", col(C_DIM), p->next, col(C_RESET));
	return EXIT_OK;
}

/* ---- subcommands ---- */

static int resolve_seq(struct store *st, const char *ref, uint64_t *seq)
{
	struct case_rec c;
	char err[1024];
	int rc = case_get(st, ref, &c, err, sizeof err);
	if (rc)
		return cli_fail(CMD, rc == 1 ? EXIT_FAIL : EXIT_USAGE, "%s", err);
	*seq = c.seq;
	case_rec_free(&c);
	return 0;
}

static int parse_time_opt(const struct opts *o, const char *name, int64_t *out)
{
	const char *v = opt(o, name);
	if (v && case_time_parse(v, store_now_ms(), out) != 0)
		return cli_usage(CMD, "--%s '%s' is not a time: use +4h, -2d, 2024-05-01, "
				 "2024-05-01T10:00:00Z or @UNIXSECONDS", name, v);
	return 0;
}

static int do_list(struct opts *o, uint64_t parent_only)
{
	static const char *const known[] = { "status", "severity", "type", "owner", "role", "label",
		"dedupe-key", "parent", "created-since", "created-before", "updated-since",
		"updated-before", "sort", "asc", "limit", "cursor", "breached", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	int breached = opt(o, "breached") != NULL;
	if (o->npos > (parent_only ? 1 : 0))
		return cli_usage(CMD, "unexpected argument '%s'", o->pos[parent_only ? 1 : 0]);
	struct case_query q = { 0 };
	const char *v;
	if ((v = opt(o, "status"))) {
		char tmp[128];
		snprintf(tmp, sizeof tmp, "%s", v);
		for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (strcmp(t, "open") == 0) {
				q.status_mask |= 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
				continue;
			}
			int s = case_status_parse(t);
			if (!s)
				return cli_usage(CMD, "bad status '%s': use new, active, pending, closed or open", t);
			q.status_mask |= 1u << s;
		}
	}
	if ((v = opt(o, "severity")) && !(q.severity = case_severity_parse(v)))
		return cli_usage(CMD, "bad severity '%s': use low, medium, high or critical", v);
	q.type = opt(o, "type");
	q.owner = opt(o, "owner");
	q.role = opt(o, "role");
	q.label = opt(o, "label");
	q.dedupe_key = opt(o, "dedupe-key");
	q.cursor = opt(o, "cursor");
	q.ascending = opt(o, "asc") != NULL;
	if ((v = opt(o, "sort"))) {
		if (strcmp(v, "created") == 0)
			q.sort = CASE_SORT_CREATED;
		else if (strcmp(v, "updated") == 0)
			q.sort = CASE_SORT_UPDATED;
		else
			return cli_usage(CMD, "--sort must be created or updated");
	}
	if ((v = opt(o, "limit"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 1000)
			return cli_usage(CMD, "--limit must be a number from 1 to 1000");
		q.limit = (size_t)n;
	}
	if ((rc = parse_time_opt(o, "created-since", &q.created_from)) ||
	    (rc = parse_time_opt(o, "created-before", &q.created_to)) ||
	    (rc = parse_time_opt(o, "updated-since", &q.updated_from)) ||
	    (rc = parse_time_opt(o, "updated-before", &q.updated_to)))
		return rc;
	struct store *st = open_store(o);
	if (!st)
		return EXIT_FAIL;
	if (parent_only)
		q.parent = parent_only;
	else if ((v = opt(o, "parent")) && (rc = resolve_seq(st, v, &q.parent)) != 0)
		return rc;
	if (parent_only == UINT64_MAX) /* `children REF` */
		if ((rc = resolve_seq(st, o->pos[0], &q.parent)) != 0)
			return rc;
	struct case_page p;
	char err[1024];
	if ((breached ? case_search_breached(st, &q, store_now_ms(), 100000, &p, err, sizeof err)
		      : case_search(st, &q, &p, err, sizeof err)) != 0)
		return cli_fail(CMD, EXIT_USAGE, "%s", err);
	rc = print_page(&p, o->json, parent_only ? "children" : "cases match");
	case_page_free(&p);
	return rc;
}

/* The case's escalation and its tasks' SLAs (store/sla_watch.h). */
static void print_task_slas(struct store *st, const struct case_rec *c, int64_t now)
{
	struct sla_watch *w = NULL;
	size_t n = 0;
	char err[200], t1[40];
	if (sla_watch_list(st, c->seq, 0, &w, &n, err, sizeof err) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!w[i].task) {
			if (w[i].on_breach)
				printf("  on breach %s%s\n", w[i].on_breach, w[i].fired ? "  (escalated)" : "");
			continue;
		}
		int breached = w[i].done ? w[i].done > w[i].due : now > w[i].due;
		const char *state = w[i].done ? (breached ? "done late" : "done in time")
					      : breached ? "BREACHED" : "within SLA";
		printf("  task SLA %s (run %.8s%s%s) due %s  %s%s%s%s\n", w[i].path, w[i].run,
		       w[i].role[0] ? ", role " : "", w[i].role, case_time_format(w[i].due, t1, sizeof t1),
		       col(breached ? C_RED : C_GREEN), state, col(C_RESET),
		       w[i].fired ? "  (escalated)" : "");
	}
	sla_watch_free(w, n);
}

static void print_case(struct store *st, const struct case_rec *c, const struct case_entry *e,
		       size_t n)
{
	int w = term_width();
	int64_t now = store_now_ms();
	char t1[40], t2[40], t3[40];
	printf("%s#%llu%s  ", col(C_BOLD), (unsigned long long)c->seq, col(C_RESET));
	put_clipped(c->title, w - 30);
	printf("  %s[%s]%s %s%s%s\n", col(status_colour(c->status)), case_status_name(c->status),
	       col(C_RESET), col(sev_colour(c->severity)), case_severity_name(c->severity), col(C_RESET));
	printf("  id       %s\n", c->id);
	printf("  type     %-20s owner %-16s role %s\n", c->type ? c->type : "-",
	       c->owner ? c->owner : "-", c->role ? c->role : "-");
	if (c->nlabels) {
		printf("  labels   ");
		for (size_t i = 0; i < c->nlabels; i++)
			printf("%s%s", i ? ", " : "", c->labels[i]);
		putchar('\n');
	}
	printf("  created  %s   updated %s", case_time_format(c->created, t1, sizeof t1),
	       case_time_format(c->updated, t2, sizeof t2));
	if (c->closed)
		printf("   closed %s", case_time_format(c->closed, t3, sizeof t3));
	putchar('\n');
	if (c->close_reason)
		printf("  reason   %s\n", c->close_reason);
	if (c->sla_due) {
		int64_t due = case_sla_effective_due(c, now);
		int breached = case_sla_breached(c, now);
		printf("  SLA      due %s  %s%s%s%s\n", case_time_format(due, t1, sizeof t1),
		       col(breached ? C_RED : C_GREEN), breached ? "BREACHED" : "within SLA",
		       c->sla_paused_at ? " (paused while pending)" : "", col(C_RESET));
	}
	print_task_slas(st, c, now);
	if (c->dedupe_key)
		printf("  dedupe   %s\n", c->dedupe_key);
	if (c->parent)
		printf("  parent   #%llu\n", (unsigned long long)c->parent);
	char err[1024];
	struct case_query q = { .parent = c->seq, .limit = 20, .ascending = 1 };
	struct case_page p;
	if (case_search(st, &q, &p, err, sizeof err) == 0) {
		if (p.n) {
			printf("  children");
			for (size_t i = 0; i < p.n; i++)
				printf(" #%llu(%s)", (unsigned long long)p.items[i].seq,
				       case_status_name(p.items[i].status));
			printf("%s\n", p.next[0] ? " ..." : "");
		}
		case_page_free(&p);
	}
	uint64_t *rel;
	size_t nrel;
	char ref[32];
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)c->seq);
	if (case_related(st, ref, &rel, &nrel, err, sizeof err) == 0) {
		if (nrel) {
			printf("  related ");
			for (size_t i = 0; i < nrel; i++)
				printf(" #%llu", (unsigned long long)rel[i]);
			putchar('\n');
		}
		free(rel);
	}
	char **inds;
	size_t nind;
	if (indicator_of_case(st, c->seq, &inds, &nind, err, sizeof err) == 0) {
		for (size_t i = 0; i < nind; i++) {
			printf("%s%s", i ? ", " : "  indicators ", inds[i]);
			free(inds[i]);
		}
		if (nind)
			putchar('\n');
		free(inds);
	}
	if (c->custom_json) {
		printf("  custom   ");
		put_clipped(c->custom_json, w - 11);
		putchar('\n');
	}
	if (c->source_json) {
		printf("  source   ");
		put_clipped(c->source_json, w - 11);
		putchar('\n');
	}
	printf("\n%sTimeline%s (%u entries)\n", col(C_BOLD), col(C_RESET), c->entries);
	/* "  " no(4) "  " time(20) "  " kind(10) " " actor(14) " ": the text column */
	enum { TEXT_COL = 56 };
	for (size_t i = 0; i < n; i++) {
		printf("  %s%4u  %s  %-10s%s %-14.14s ", col(C_DIM), e[i].no,
		       case_time_format(e[i].time, t1, sizeof t1), case_entry_kind_name(e[i].kind),
		       col(C_RESET), e[i].actor ? e[i].actor : "-");
		/* Text wraps to the terminal under its own column; data is one clipped line. */
		int tw = w - TEXT_COL > 30 ? w - TEXT_COL : 30;
		put_wrapped(e[i].text ? e[i].text : "", TEXT_COL, tw);
		if (e[i].data) {
			printf("%*s%s", TEXT_COL, "", col(C_DIM));
			put_clipped(e[i].data, tw);
			printf("%s\n", col(C_RESET));
		}
	}
}

static int do_show(struct opts *o)
{
	static const char *const known[] = { "entries", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	if (o->npos != 1)
		return cli_usage(CMD, "show needs one case: soarctl case show REF");
	size_t max = 0;
	const char *v = opt(o, "entries");
	if (v) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 1)
			return cli_usage(CMD, "--entries must be a positive number");
		max = (size_t)n;
	}
	struct store *st = open_store(o);
	if (!st)
		return EXIT_FAIL;
	char err[1024];
	struct case_rec c;
	if ((rc = case_get(st, o->pos[0], &c, err, sizeof err)) != 0)
		return cli_fail(CMD, rc == 1 ? EXIT_FAIL : EXIT_USAGE, "%s", err);
	uint32_t from = max && c.entries > max ? c.entries - (uint32_t)max + 1 : 1;
	struct case_entry *e;
	size_t n;
	if (case_timeline(st, o->pos[0], from, max, &e, &n, err, sizeof err) != 0) {
		case_rec_free(&c);
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	}
	if (o->json) {
		struct store_buf b = { 0 };
		store_buf_str(&b, "{\"case\":");
		case_rec_json(&c, store_now_ms(), &b);
		b.len--;        /* reopen the case object: its task SLAs and escalation */
		sla_case_json(st, c.seq, store_now_ms(), &b);
		store_buf_str(&b, "}");
		store_buf_str(&b, ",\"timeline\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				store_buf_str(&b, ",");
			case_entry_json(&e[i], &b);
		}
		store_buf_str(&b, "],\"related\":[");
		uint64_t *rel;
		size_t nrel;
		if (case_related(st, o->pos[0], &rel, &nrel, err, sizeof err) == 0) {
			for (size_t i = 0; i < nrel; i++)
				store_buf_printf(&b, "%s%llu", i ? "," : "", (unsigned long long)rel[i]);
			free(rel);
		}
		store_buf_str(&b, "],\"indicators\":[");
		char **inds;
		size_t nind;
		if (indicator_of_case(st, c.seq, &inds, &nind, err, sizeof err) == 0) {
			for (size_t i = 0; i < nind; i++) {
				if (i)
					store_buf_str(&b, ",");
				store_buf_json(&b, inds[i]);
				free(inds[i]);
			}
			free(inds);
		}
		store_buf_str(&b, "]}\n");
		fwrite(b.p, 1, b.len, stdout);
		store_buf_free(&b);
	} else {
		print_case(st, &c, e, n);
	}
	case_entries_free(e, n);
	free(e);
	case_rec_free(&c);
	return EXIT_OK;
}

static int print_one(const struct case_rec *c, int json, const char *verb, int deduped)
{
	if (json) {
		struct store_buf b = { 0 };
		case_rec_json(c, store_now_ms(), &b);
		if (deduped) {
			b.len--; /* reopen the object to say it was deduplicated */
			store_buf_str(&b, ",\"deduped\":true}");
		}
		store_buf_str(&b, "\n");
		fwrite(b.p, 1, b.len, stdout);
		store_buf_free(&b);
	} else {
		printf("%s case #%llu (%s) [%s]\n", verb, (unsigned long long)c->seq, c->id,
		       case_status_name(c->status));
	}
	return EXIT_OK;
}

static int do_new(struct opts *o)
{
	if (o->npos)
		return cli_usage(CMD, "new takes --FIELD VALUE options, not '%s'", o->pos[0]);
	struct case_fields f;
	case_fields_init(&f);
	int rc = to_fields(o, &f, NULL);
	if (rc == 0 && !(f.set & 1u)) /* title is field 0 */
		rc = cli_usage(CMD, "new needs --title");
	struct store *st = rc ? NULL : open_store(o);
	if (rc == 0 && !st)
		rc = EXIT_FAIL;
	if (rc == 0) {
		struct case_rec c;
		char err[1024];
		int deduped = 0;
		if (case_create(st, &f, actor(), &c, &deduped, err, sizeof err) != 0) {
			rc = cli_fail(CMD, EXIT_FAIL, "%s", err);
		} else {
			rc = print_one(&c, o->json, deduped ? "already open (dedupe key):" : "created", deduped);
			case_rec_free(&c);
		}
	}
	case_fields_free(&f);
	return rc;
}

static int do_update(struct opts *o)
{
	if (o->npos != 1)
		return cli_usage(CMD, "update needs one case: soarctl case update REF --FIELD VALUE...");
	if (!o->nkv)
		return cli_usage(CMD, "update needs at least one --FIELD VALUE");
	struct case_fields f;
	case_fields_init(&f);
	int rc = to_fields(o, &f, NULL);
	struct store *st = rc ? NULL : open_store(o);
	if (rc == 0 && !st)
		rc = EXIT_FAIL;
	if (rc == 0) {
		struct case_rec c;
		char err[1024];
		int r = case_update(st, o->pos[0], &f, actor(), &c, err, sizeof err);
		if (r != 0) {
			rc = cli_fail(CMD, EXIT_FAIL, "%s", err);
		} else {
			rc = print_one(&c, o->json, "updated", 0);
			case_rec_free(&c);
		}
	}
	case_fields_free(&f);
	return rc;
}

static int do_close(struct opts *o)
{
	static const char *const known[] = { "reason", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	if (o->npos < 1 || o->npos > 2)
		return cli_usage(CMD, "close needs a case and a reason: soarctl case close REF --reason TEXT");
	const char *reason = opt(o, "reason");
	if (!reason && o->npos == 2)
		reason = o->pos[1];
	if (!reason || !*reason)
		return cli_usage(CMD, "close needs --reason TEXT (e.g. \"false positive\")");
	struct store *st = open_store(o);
	if (!st)
		return EXIT_FAIL;
	struct case_rec c;
	char err[1024];
	if (case_close(st, o->pos[0], reason, actor(), &c, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	rc = print_one(&c, o->json, "closed", 0);
	case_rec_free(&c);
	return rc;
}

static int do_note(struct opts *o)
{
	/* --data is the data directory: the note's JSON is --data-json */
	static const char *const known[] = { "kind", "data-json", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	if (o->npos != 2)
		return cli_usage(CMD, "note needs a case and text: soarctl case note REF TEXT");
	int kind = CASE_ENTRY_NOTE;
	const char *k = opt(o, "kind");
	if (k && !(kind = case_entry_kind_parse(k)))
		return cli_usage(CMD, "bad --kind '%s': use note, command, result, prompt or answer", k);
	char *text = o->pos[1], *loaded = NULL;
	if (strcmp(text, "-") == 0) {
		size_t len;
		if (!(loaded = read_all(stdin, CASE_MAX_TEXT + 1, &len)))
			return cli_fail(CMD, EXIT_FAIL, "out of memory");
		text = loaded;
	}
	struct store *st = open_store(o);
	if (!st) {
		free(loaded);
		return EXIT_FAIL;
	}
	char err[1024];
	uint32_t no = 0;
	int r = case_note(st, o->pos[0], kind, actor(), text, opt(o, "data-json"), &no, err, sizeof err);
	free(loaded);
	if (r != 0)
		return cli_fail(CMD, r == 1 ? EXIT_FAIL : EXIT_USAGE, "%s", err);
	if (o->json)
		printf("{\"case\":\"%s\",\"entry\":%u}\n", o->pos[0], no);
	else
		printf("added entry %u to case %s\n", no, o->pos[0]);
	return EXIT_OK;
}

static int do_attach(struct opts *o)
{
	static const char *const known[] = { "name", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	if (o->npos != 2)
		return cli_usage(CMD, "attach needs a case and a file: soarctl case attach REF FILE");
	const char *path = o->pos[1];
	struct stat sb;
	char err[1024];
	errno = 0;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return cli_fail(CMD, EXIT_USAGE, "cannot attach %s: %s", path,
				errno ? strerror(errno) : "not a regular file");
	/* Refuse before reading: a 10 GiB file should fail at once. */
	if (blob_check_size((size_t)sb.st_size, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_USAGE, "%s: %s", path, err);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return cli_fail(CMD, EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
	size_t len;
	char *data = read_all(fp, blob_limit() + 1, &len);
	fclose(fp);
	if (!data)
		return cli_fail(CMD, EXIT_FAIL, "out of memory reading %s", path);
	const char *name = opt(o, "name");
	if (!name) {
		name = strrchr(path, '/');
		name = name ? name + 1 : path;
	}
	struct store *st = open_store(o);
	char sha[65];
	int r = st ? case_attach(st, o->pos[0], name, data, len, actor(), sha, err, sizeof err) : -2;
	free(data);
	if (r == -2)
		return EXIT_FAIL;
	if (r != 0)
		return cli_fail(CMD, r == 1 ? EXIT_FAIL : EXIT_USAGE, "%s", err);
	if (o->json) {
		printf("{\"case\":");
		cli_json_string(stdout, o->pos[0], strlen(o->pos[0]));
		printf(",\"name\":");
		cli_json_string(stdout, name, strlen(name));
		printf(",\"sha256\":\"%s\",\"size\":%zu}\n", sha, len);
	} else {
		printf("attached %s (%zu bytes, sha256 %s) to case %s\n", name, len, sha, o->pos[0]);
	}
	return EXIT_OK;
}

/* case attachment get REF NAME [-o FILE]: the bytes as attached. To a terminal
 * only with -o (binary on a terminal is never what was meant). */
static int do_attachment(struct opts *o, const char *out)
{
	static const char *const known[] = { "o", "output", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	if (o->npos != 3 || strcmp(o->pos[0], "get") != 0)
		return cli_usage(CMD, "attachment needs: soarctl case attachment get REF NAME [-o FILE]");
	if (!out)
		out = opt(o, "output");
	if (!out && isatty(1) && !o->json)
		return cli_usage(CMD, "standard output is a terminal: give -o FILE (or pipe it)");
	struct store *st = open_store(o);
	if (!st)
		return EXIT_FAIL;
	char err[1024], sha[65];
	void *data;
	size_t len;
	int r = case_attachment_get(st, o->pos[1], o->pos[2], &data, &len, sha, err, sizeof err);
	if (r != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	FILE *fp = stdout;
	if (out && strcmp(out, "-") != 0 && !(fp = fopen(out, "wb"))) {
		free(data);
		return cli_fail(CMD, EXIT_FAIL, "cannot write %s: %s", out, strerror(errno));
	}
	int bad = fwrite(data, 1, len, fp) != len;
	bad |= fp != stdout ? fclose(fp) != 0 : fflush(fp) != 0;
	free(data);
	if (bad)
		return cli_fail(CMD, EXIT_FAIL, "cannot write %s: %s", out ? out : "standard output",
				strerror(errno));
	if (out && strcmp(out, "-") != 0) {
		if (o->json) {
			printf("{\"case\":");
			cli_json_string(stdout, o->pos[1], strlen(o->pos[1]));
			printf(",\"name\":");
			cli_json_string(stdout, o->pos[2], strlen(o->pos[2]));
			printf(",\"file\":");
			cli_json_string(stdout, out, strlen(out));
			printf(",\"sha256\":\"%s\",\"size\":%zu}\n", sha, len);
		} else {
			fprintf(stderr, "wrote %s (%zu bytes, sha256 %s)\n", out, len, sha);
		}
	}
	return EXIT_OK;
}

static int do_link(struct opts *o)
{
	static const char *const known[] = { "relation", NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	if (o->npos != 2)
		return cli_usage(CMD, "link needs two cases: soarctl case link REF OTHER");
	const char *rel = opt(o, "relation");
	struct store *st = open_store(o);
	if (!st)
		return EXIT_FAIL;
	char err[1024];
	int r = case_link(st, o->pos[0], o->pos[1], rel ? rel : "related", actor(), err, sizeof err);
	if (r != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (o->json)
		printf("{\"linked\":true}\n");
	else
		printf("linked case %s to %s (%s)\n", o->pos[0], o->pos[1], rel ? rel : "related");
	return EXIT_OK;
}

static int do_check(struct opts *o)
{
	static const char *const known[] = { NULL };
	int rc;
	if ((rc = only(o, known)) != 0)
		return rc;
	struct store *st = open_store(o);
	if (!st)
		return EXIT_FAIL;
	char err[1024];
	uint64_t entries, ncases;
	if (store_verify(st, &entries, err, sizeof err) != 0 ||
	    case_check(st, &ncases, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "check failed: %s", err);
	if (o->json)
		printf("{\"ok\":true,\"cases\":%llu,\"entries\":%llu,\"schema\":%u}\n",
		       (unsigned long long)ncases, (unsigned long long)entries, store_schema(st));
	else
		printf("store ok: %llu cases, %llu entries, schema %u\n", (unsigned long long)ncases,
		       (unsigned long long)entries, store_schema(st));
	return EXIT_OK;
}

static int case_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(CMD, "which subcommand? list, show, new, update, close, note, attach, "
				 "link, children, check, export or import");
	const char *sub = argv[1];
	case_sub = sub;
	if (strcmp(sub, "export") == 0) /* cmd_case_export.c: options of their own */
		return case_export_main(argc, argv);
	if (strcmp(sub, "import") == 0)
		return case_import_main(argc, argv);
	static const char *const list_bools[] = { "asc", "breached", NULL };
	struct opts o;
	/* -o FILE (attachment get): the one short option, taken out before parsing. */
	const char *out_file = NULL;
	char *args[64];
	int nargs = 0;
	for (int i = 2; i < argc && nargs < 64; i++) {
		if (strcmp(sub, "attachment") == 0 && strcmp(argv[i], "-o") == 0) {
			if (i + 1 >= argc)
				return cli_usage(CMD, "-o needs a file name");
			out_file = argv[++i];
			continue;
		}
		args[nargs++] = argv[i];
	}
	if (argc - 2 > 64)
		return cli_usage(CMD, "too many arguments");
	int rc = parse(nargs, args, &o, strcmp(sub, "list") == 0 ? list_bools : NULL);
	if (rc)
		return rc;
	use_colour = !o.json && cli_use_colour(stdout);
	if (strcmp(sub, "list") == 0)
		return do_list(&o, 0);
	if (strcmp(sub, "children") == 0) {
		if (o.npos != 1)
			return cli_usage(CMD, "children needs one case: soarctl case children REF");
		return do_list(&o, UINT64_MAX);
	}
	if (strcmp(sub, "show") == 0)
		return do_show(&o);
	if (strcmp(sub, "new") == 0)
		return do_new(&o);
	if (strcmp(sub, "update") == 0)
		return do_update(&o);
	if (strcmp(sub, "close") == 0)
		return do_close(&o);
	if (strcmp(sub, "note") == 0)
		return do_note(&o);
	if (strcmp(sub, "attach") == 0)
		return do_attach(&o);
	if (strcmp(sub, "attachment") == 0)
		return do_attachment(&o, out_file);
	if (strcmp(sub, "link") == 0)
		return do_link(&o);
	if (strcmp(sub, "check") == 0)
		return do_check(&o);
	return cli_usage(CMD, "no subcommand '%s'", sub);
}

const struct cli_command cmd_case = {
	"case", "list, show, create and work cases", usage, case_main,
};
