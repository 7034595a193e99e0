/* cmd_indicator.c - `soarctl indicator get|set|list`, over indicator.h. */
#include "access.h"
#include "cli.h"
#include "runout.h"

#include "case.h"
#include "datadir.h"
#include "indicator.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: soarctl indicator SUBCOMMAND [ARGS] [--data DIR] [--json]\n"
	"\n"
	"Indicators are keyed by type and normalised value.\n"
	"TYPE: ipv4 ipv6 cidr domain url md5 sha1 sha256 email\n"
	"\n"
	"  get TYPE VALUE\n"
	"  set TYPE VALUE [--verdict V] [--score 0-100] [--source S]... [--tag T]...\n"
	"                 [--seen TIME] [--expires TIME|never] [--case REF]\n"
	"        V: unknown, benign, suspicious, malicious; sources and tags add up;\n"
	"        --case links the indicator to a case (and notes it in its timeline)\n"
	"  list [--type TYPE] [--verdict V] [--tag T] [--min-score N] [--limit N] [--cursor C]\n"
	"\n"
	"Internationalised domain names are stored as IDNA2008 A-labels, one form for every\n"
	"spelling (Bücher.de, BU\xcc\x88" "CHER.de -> xn--bcher-kva.de).\n"
	"Exit codes: 0 ok, 1 not found or failed, 2 bad arguments or an invalid value.\n";

#define CMD "indicator"

static const char *cmd_sub; /* the subcommand: its permission (access.c) */

static struct store *open_store(const char *data)
{
	return access_open(CMD, cmd_sub, data, 0, NULL);
}

static void print_ind(const struct indicator *ind, int json)
{
	int64_t now = store_now_ms();
	if (json) {
		struct store_buf b = { 0 };
		indicator_json(ind, now, &b);
		store_buf_str(&b, "\n");
		fwrite(b.p, 1, b.len, stdout);
		store_buf_free(&b);
		return;
	}
	char t1[40], t2[40], t3[40];
	printf("%s %s\n  verdict %s  score %d\n", indicator_type_name(ind->type), ind->value,
	       indicator_verdict_name(ind->verdict), ind->score);
	printf("  first seen %s  last seen %s  expires %s%s\n",
	       case_time_format(ind->first_seen, t1, sizeof t1),
	       case_time_format(ind->last_seen, t2, sizeof t2),
	       ind->expires ? case_time_format(ind->expires, t3, sizeof t3) : "never",
	       ind->expires && ind->expires <= now ? " (expired)" : "");
	for (size_t i = 0; i < ind->nsources; i++)
		printf("%s%s", i ? ", " : "  sources ", ind->sources[i]);
	if (ind->nsources)
		putchar('\n');
	for (size_t i = 0; i < ind->ntags; i++)
		printf("%s%s", i ? ", " : "  tags ", ind->tags[i]);
	if (ind->ntags)
		putchar('\n');
	for (size_t i = 0; i < ind->ncases; i++)
		printf("%s#%llu", i ? " " : "  cases ", (unsigned long long)ind->cases[i]);
	if (ind->ncases)
		putchar('\n');
}

static int type_arg(const char *s, int *type)
{
	if (!(*type = indicator_type_parse(s)))
		return cli_usage(CMD, "unknown type '%s': use ipv4, ipv6, cidr, domain, url, md5, "
				 "sha1, sha256 or email", s);
	return 0;
}

static int indicator_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(CMD, "which subcommand? get, set or list");
	const char *sub = argv[1], *data = NULL, *pos[3] = { 0 };
	cmd_sub = sub;
	int npos = 0, json = 0, rc;
	struct indicator_update u;
	indicator_update_init(&u);
	struct indicator_query q = { .verdict = -1 };
	int is_set = strcmp(sub, "set") == 0, is_list = strcmp(sub, "list") == 0;
	char err[1024];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			json = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (npos == 3)
				return cli_usage(CMD, "too many arguments at '%s'", a);
			pos[npos++] = a;
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage(CMD, "%s needs a value", a);
		const char *v = argv[++i];
		const char *n = a + 2;
		int64_t t;
		if (strcmp(n, "data") == 0) {
			data = v;
		} else if (is_set && strcmp(n, "verdict") == 0) {
			if ((u.verdict = indicator_verdict_parse(v)) < 0)
				return cli_usage(CMD, "bad verdict '%s': use unknown, benign, suspicious or malicious", v);
		} else if (is_set && strcmp(n, "score") == 0) {
			char *end;
			long s = strtol(v, &end, 10);
			if (*end || s < 0 || s > 100)
				return cli_usage(CMD, "--score must be a number from 0 to 100");
			u.score = (int)s;
		} else if (is_set && strcmp(n, "source") == 0) {
			if (u.nsources == IND_MAX_LIST)
				return cli_usage(CMD, "at most %d sources", IND_MAX_LIST);
			u.sources[u.nsources++] = v;
		} else if (is_set && strcmp(n, "tag") == 0) {
			if (u.ntags == IND_MAX_LIST)
				return cli_usage(CMD, "at most %d tags", IND_MAX_LIST);
			u.tags[u.ntags++] = v;
		} else if (is_set && strcmp(n, "seen") == 0) {
			if (case_time_parse(v, store_now_ms(), &t))
				return cli_usage(CMD, "--seen '%s' is not a time (now, -2h, 2024-05-01T10:00:00Z)", v);
			u.seen = t;
		} else if (is_set && strcmp(n, "expires") == 0) {
			if (strcmp(v, "never") == 0)
				u.expires = -1;
			else if (case_time_parse(v, store_now_ms(), &t))
				return cli_usage(CMD, "--expires '%s' is not a time (+30d, 2025-01-01, never)", v);
			else
				u.expires = t;
		} else if (is_set && strcmp(n, "case") == 0) {
			u.case_ref = v;
		} else if (is_list && strcmp(n, "type") == 0) {
			if ((rc = type_arg(v, &q.type)) != 0)
				return rc;
		} else if (is_list && strcmp(n, "verdict") == 0) {
			if ((q.verdict = indicator_verdict_parse(v)) < 0)
				return cli_usage(CMD, "bad verdict '%s'", v);
		} else if (is_list && strcmp(n, "tag") == 0) {
			q.tag = v;
		} else if (is_list && (strcmp(n, "min-score") == 0 || strcmp(n, "limit") == 0)) {
			char *end;
			long s = strtol(v, &end, 10);
			if (*end || s < 0 || s > 1000)
				return cli_usage(CMD, "--%s must be a number from 0 to 1000", n);
			if (n[0] == 'm')
				q.min_score = (int)s;
			else
				q.limit = (size_t)s;
		} else if (is_list && strcmp(n, "cursor") == 0) {
			q.cursor = v;
		} else {
			return cli_usage(CMD, "unknown option %s for '%s'", a, sub);
		}
	}
	if (strcmp(sub, "get") == 0 || is_set) {
		int type;
		if (npos != 2)
			return cli_usage(CMD, "%s needs TYPE VALUE", sub);
		if ((rc = type_arg(pos[0], &type)) != 0)
			return rc;
		char norm[IND_MAX_VALUE + 1];
		if (indicator_normalise(type, pos[1], norm, err, sizeof err) != 0)
			return cli_fail(CMD, EXIT_USAGE, "invalid %s: %s", pos[0], err);
		struct store *st = open_store(data);
		if (!st)
			return EXIT_FAIL;
		struct indicator ind;
		int r = is_set ? indicator_set(st, type, norm, &u, &ind, err, sizeof err)
			       : indicator_get(st, type, norm, &ind, err, sizeof err);
		if (r != 0)
			return cli_fail(CMD, EXIT_FAIL, "%s", err);
		print_ind(&ind, json);
		indicator_free(&ind);
		return EXIT_OK;
	}
	if (is_list) {
		if (npos)
			return cli_usage(CMD, "unexpected argument '%s'", pos[0]);
		struct store *st = open_store(data);
		if (!st)
			return EXIT_FAIL;
		struct indicator_page p;
		if (indicator_search(st, &q, &p, err, sizeof err) != 0)
			return cli_fail(CMD, EXIT_USAGE, "%s", err);
		if (json) {
			struct store_buf b = { 0 };
			store_buf_str(&b, "{\"indicators\":[");
			for (size_t i = 0; i < p.n; i++) {
				if (i)
					store_buf_str(&b, ",");
				indicator_json(&p.items[i], store_now_ms(), &b);
			}
			store_buf_str(&b, "],\"next\":");
			store_buf_json(&b, p.next[0] ? p.next : NULL);
			store_buf_str(&b, "}\n");
			fwrite(b.p, 1, b.len, stdout);
			store_buf_free(&b);
		} else if (!p.n) {
			printf("no indicators match\n");
		} else {
			char t[40];
			printf("%-7s %-10s %5s %-20s %s\n", "TYPE", "VERDICT", "SCORE", "LAST SEEN", "VALUE");
			for (size_t i = 0; i < p.n; i++)
				printf("%-7s %-10s %5d %-20s %s\n", indicator_type_name(p.items[i].type),
				       indicator_verdict_name(p.items[i].verdict), p.items[i].score,
				       case_time_format(p.items[i].last_seen, t, sizeof t), p.items[i].value);
			if (p.next[0])
				printf("more: add --cursor %s\n", p.next);
		}
		indicator_page_free(&p);
		return EXIT_OK;
	}
	return cli_usage(CMD, "no subcommand '%s': use get, set or list", sub);
}

const struct cli_command cmd_indicator = {
	"indicator", "look up and record indicators (IPs, domains, hashes...)", usage,
	indicator_main,
};
