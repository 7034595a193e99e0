/* cmd_edl.c - `soarctl edl list|show|add|rm|export`, over edl.h. */
#include "access.h"
#include "cli.h"
#include "runout.h"
#include "datadir.h"
#include "edl.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CMD "edl"

static const char usage[] =
	"Usage: soarctl edl SUBCOMMAND [ARGS] [--data DIR] [--json]\n"
	"\n"
	"External dynamic lists: text files of IPs, domains or URLs that a firewall\n"
	"fetches (PAN-OS formats). A list's type is set by its first entry (or --type).\n"
	"\n"
	"  list                              the lists, their type, entries and cap\n"
	"  show LIST                         the unexpired entries\n"
	"  add LIST VALUE... [--ttl SECONDS] [--comment TEXT] [--type ip|domain|url]\n"
	"                    [--cap N]       (type and cap apply to a new list)\n"
	"  rm LIST VALUE...\n"
	"  export LIST [--out FILE]          write the list, one entry a line, atomically\n"
	"                                    (default DATADIR/edl/LIST.txt)\n"
	"\n"
	"Formats: ip = IPv4, IPv6, CIDR (host bits cleared) or a range first-last;\n"
	"domain = host name or *.example.com; url = host[/path] without a scheme.\n"
	"Exit codes: 0 ok, 1 failed or not found, 2 bad arguments or an invalid value.\n";

static const char *cmd_sub; /* the subcommand: its permission (access.c) */

static struct store *open_store(const char *data)
{
	return access_open(CMD, cmd_sub, data, 0, NULL);
}

static void iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int print_list(const struct edl_list_info *l, void *ud)
{
	int json = *(int *)ud;
	if (json) {
		printf("{\"name\":");
		cli_json_string(stdout, l->name, strlen(l->name));
		printf(",\"type\":\"%s\",\"entries\":%u,\"cap\":%u}\n", edl_type_name(l->type), l->entries, l->cap);
	} else {
		printf("%-24s %-7s %8u / %u\n", l->name, edl_type_name(l->type), l->entries, l->cap);
	}
	return 0;
}

static int print_entry(const struct edl_entry *e, void *ud)
{
	int json = *(int *)ud;
	char a[32], x[32] = "";
	iso(e->added_ms, a, sizeof a);
	if (e->expires_ms)
		iso(e->expires_ms, x, sizeof x);
	if (json) {
		printf("{\"value\":");
		cli_json_string(stdout, e->value, strlen(e->value));
		printf(",\"added\":\"%s\",\"expires\":%s%s%s,\"comment\":", a, x[0] ? "\"" : "",
		       x[0] ? x : "null", x[0] ? "\"" : "");
		cli_json_string(stdout, e->comment, strlen(e->comment));
		printf("}\n");
	} else {
		printf("%-40s added %s%s%s%s%s\n", e->value, a, x[0] ? "  expires " : "", x,
		       e->comment[0] ? "  # " : "", e->comment);
	}
	return 0;
}

static int edl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ "ttl", required_argument, NULL, 't' },
		{ "comment", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 'T' },
		{ "cap", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *out = NULL;
	int json = 0, opt;
	struct edl_add_opts o = { 0 };
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'd': data = optarg; break;
		case 'J': json = 1; break;
		case 'o': out = optarg; break;
		case 'c': o.comment = optarg; break;
		case 't': {
			double s = strtod(optarg, &end);
			if (*end || !(s > 0))
				return cli_usage(CMD, "--ttl takes a number of seconds above 0");
			o.expires_ms = (int64_t)llround(s * 1000);   /* made absolute below */
			break;
		}
		case 'T':
			if (!(o.type = edl_type_parse(optarg)))
				return cli_usage(CMD, "--type takes ip, domain or url");
			break;
		case 'C': {
			long c = strtol(optarg, &end, 10);
			if (*end || c < 1 || c > EDL_MAX_CAP)
				return cli_usage(CMD, "--cap takes a number from 1 to %d", EDL_MAX_CAP);
			o.cap = (uint32_t)c;
			break;
		}
		default:
			return cli_usage(CMD, "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage(CMD, "which subcommand? list, show, add, rm or export");
	const char *sub = argv[optind++];
	cmd_sub = sub;
	int nargs = argc - optind;
	char **args = argv + optind;
	char err[1024];
	struct store *st;
	if (strcmp(sub, "list") == 0) {
		if (nargs)
			return cli_usage(CMD, "list takes no arguments");
		if (!(st = open_store(data)))
			return EXIT_FAIL;
		if (edl_lists(st, print_list, &json, err, sizeof err) != 0)
			return cli_fail(CMD, EXIT_FAIL, "%s", err);
		return EXIT_OK;
	}
	if (strcmp(sub, "show") == 0) {
		if (nargs != 1)
			return cli_usage(CMD, "show takes one LIST");
		if (!(st = open_store(data)))
			return EXIT_FAIL;
		int rc = edl_each(st, args[0], NULL, print_entry, &json, err, sizeof err);
		if (rc == EDL_NOT_FOUND)
			return cli_fail(CMD, EXIT_FAIL, "no list %s", args[0]);
		if (rc)
			return cli_fail(CMD, rc == EDL_REFUSED ? EXIT_USAGE : EXIT_FAIL, "%s", err);
		return EXIT_OK;
	}
	if (strcmp(sub, "add") == 0 || strcmp(sub, "rm") == 0) {
		int add = sub[0] == 'a';
		if (nargs < 2)
			return cli_usage(CMD, "%s takes LIST VALUE...", sub);
		if (!(st = open_store(data)))
			return EXIT_FAIL;
		if (o.expires_ms)
			o.expires_ms += store_now_ms();
		int status = EXIT_OK;
		for (int i = 1; i < nargs; i++) {
			int changed = 0;
			int rc = add ? edl_add(st, args[0], args[i], &o, &changed, err, sizeof err)
				     : edl_remove(st, args[0], args[i], &changed, err, sizeof err);
			if (rc == EDL_REFUSED) {
				fprintf(stderr, "soarctl edl: %s\n", err);
				status = EXIT_USAGE;
			} else if (rc) {
				return cli_fail(CMD, EXIT_FAIL, "%s", err);
			} else if (json) {
				printf("{\"value\":");
				cli_json_string(stdout, args[i], strlen(args[i]));
				printf(",\"%s\":%s}\n", add ? "added" : "removed", changed ? "true" : "false");
			} else {
				printf("%s %s\n", args[i], add ? (changed ? "added" : "refreshed")
							  : (changed ? "removed" : "was not in the list"));
			}
		}
		return status;
	}
	if (strcmp(sub, "export") == 0) {
		if (nargs != 1)
			return cli_usage(CMD, "export takes one LIST");
		if (!(st = open_store(data)))
			return EXIT_FAIL;
		char path[4096];
		if (!out) {
			if (edl_default_path(args[0], path, sizeof path, err, sizeof err) != 0)
				return cli_fail(CMD, EXIT_USAGE, "%s", err);
			out = path;
		}
		uint64_t n = 0;
		int rc = edl_export(st, args[0], out, &n, err, sizeof err);
		if (rc == EDL_NOT_FOUND)
			return cli_fail(CMD, EXIT_FAIL, "no list %s", args[0]);
		if (rc)
			return cli_fail(CMD, rc == EDL_REFUSED ? EXIT_USAGE : EXIT_FAIL, "%s", err);
		if (json) {
			printf("{\"path\":");
			cli_json_string(stdout, out, strlen(out));
			printf(",\"entries\":%llu}\n", (unsigned long long)n);
		} else {
			printf("%s: %llu entries\n", out, (unsigned long long)n);
		}
		return EXIT_OK;
	}
	return cli_usage(CMD, "no subcommand '%s' (list, show, add, rm, export)", sub);
}

const struct cli_command cmd_edl = {
	"edl", "external dynamic lists for firewalls: list, show, add, rm, export", usage, edl_main,
};
