/* cmd_audit.c - `soarctl audit`: list, verify, checkpoint (over audit.h). */
#include "cli.h"
#include "hex.h"

#include "audit.h"
#include "rbac.h"
#include "secret_cli.h"
#include "secret_crypto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "audit"

static const char usage[] =
	"Usage: soarctl audit SUBCOMMAND [--data DIR] [--json]\n"
	"\n"
	"The audit log is append-only; each entry holds the hash of the one before, so\n"
	"a changed, removed or reordered entry breaks the chain.\n"
	"\n"
	"  list [--last N | --from SEQ]   entries, oldest first (default: the last 50)\n"
	"  verify [--checkpoint SEQ:HASH] check the whole chain; report the first bad entry.\n"
	"                                 With a checkpoint, also detect a cut-off tail.\n"
	"  checkpoint                     print the log's size and head hash (SEQ:HASH):\n"
	"                                 keep it somewhere else, verify against it later\n"
	"\n"
	"Needs the audit.read permission (role admin).\n"
	"Exit codes: 0 ok (verify: intact), 1 tampered or refused, 2 bad arguments.\n";

struct list_state {
	int json, n;
};

static void json_n(const char *s, size_t n)
{
	cli_json_string(stdout, s, n);
}

static int entry_one(const struct audit_entry *e, void *ud)
{
	struct list_state *s = ud;
	char when[40], hash[65];
	hex_encode(e->hash, 32, hash);
	if (s->json) {
		printf("%s{\"seq\":%" PRIu64 ",\"time_ms\":%" PRId64 ",\"actor\":", s->n ? "," : "",
		       e->seq, e->time_ms);
		json_n(e->actor, e->actor_len);
		printf(",\"action\":");
		json_n(e->action, e->action_len);
		printf(",\"object\":");
		json_n(e->object, e->object_len);
		/* details are JSON already (checked when appended) */
		printf(",\"details\":%.*s,\"hash\":\"%s\"}", (int)e->details_len, e->details, hash);
	} else {
		printf("%6" PRIu64 " %s %-20.*s %-22.*s %-28.*s %.*s\n", e->seq,
		       scli_time(e->time_ms, when, sizeof when), (int)e->actor_len, e->actor,
		       (int)e->action_len, e->action, (int)e->object_len, e->object,
		       (int)e->details_len, e->details);
	}
	s->n++;
	return 0;
}

static int do_list(struct scli *c)
{
	static const char *const known[] = { "last", "from", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	const char *last = scli_opt(c, "last"), *from = scli_opt(c, "from");
	char *end;
	long long n = last ? strtoll(last, &end, 10) : 50;
	if (last && (*end || n <= 0))
		return cli_usage(CMD, "--last needs a positive number");
	unsigned long long f = from ? strtoull(from, &end, 10) : 0;
	if (from && (*end || f == 0))
		return cli_usage(CMD, "--from needs a sequence number (1 or more)");
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_AUDIT_READ, "audit")))
		return rc;
	uint64_t start = from ? f : audit_tail_from(c->st, (size_t)n);
	struct list_state s = { c->json, 0 };
	char err[1024];
	if (c->json)
		printf("{\"entries\":[");
	rc = audit_list(c->st, start, from && !last ? 0 : (size_t)n, entry_one, &s, err, sizeof err);
	if (c->json)
		printf("]}\n");
	return rc ? cli_fail(CMD, EXIT_FAIL, "%s", err) : EXIT_OK;
}

static int do_verify(struct scli *c)
{
	static const char *const known[] = { "checkpoint", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	struct audit_checkpoint cp;
	const char *cps = scli_opt(c, "checkpoint");
	if (cps && audit_checkpoint_parse(cps, &cp) != 0)
		return cli_usage(CMD, "bad --checkpoint '%s': expected SEQ:HASH as printed by "
				 "`soarctl audit checkpoint`", cps);
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_AUDIT_READ, "audit")))
		return rc;
	struct audit_report rep;
	char err[1024], head[100];
	rc = audit_verify(c->st, cps ? &cp : NULL, &rep, err, sizeof err);
	if (rc < 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	audit_checkpoint_format(&rep.head, head, sizeof head);
	if (c->json) {
		printf("{\"intact\":%s,\"entries\":%" PRIu64 ",\"head\":\"%s\",\"keyed_from\":%" PRIu64
		       ",\"head_file\":%s", rc ? "false" : "true", rep.entries, head, rep.keyed_from,
		       rep.head_file == 1 ? "\"checked\"" : rep.head_file == 2 ? "\"written\"" : "null");
		if (rc) {
			printf(",\"first_bad\":%" PRIu64 ",\"why\":", rep.first_bad);
			cli_json_string(stdout, rep.why, strlen(rep.why));
		}
		printf("}\n");
	} else if (rc == 0) {
		printf("audit log intact: %" PRIu64 " entries, head %s%s\n", rep.entries, head,
		       cps ? " (matches the checkpoint)" : "");
		if (rep.keyed_from > 1)
			printf("entries 1-%" PRIu64 " predate the keyed chain (plain SHA-256, held "
			       "by entry %" PRIu64 ", the first keyed one, which chains to them); "
			       "entries from %" PRIu64 " on are keyed\n", rep.keyed_from - 1,
			       rep.keyed_from, rep.keyed_from);
		else if (!rep.keyed_from && rep.entries)
			printf("the log is not keyed (no master key has written to it): edits are "
			       "found, a cut tail only against a checkpoint\n");
	}
	if (rc)
		return cli_fail(CMD, EXIT_FAIL, "audit log TAMPERED at entry %" PRIu64 ": %s "
				"(%" PRIu64 " entries before it are intact)", rep.first_bad, rep.why,
				rep.entries);
	return EXIT_OK;
}

static int do_checkpoint(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)) || (rc = scli_require(c, RBAC_AUDIT_READ, "audit")))
		return rc;
	struct audit_checkpoint cp;
	char err[1024], buf[100], hex[65];
	if (audit_checkpoint(c->st, &cp, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	audit_checkpoint_format(&cp, buf, sizeof buf);
	hex_encode(cp.head, 32, hex);
	if (c->json)
		printf("{\"entries\":%" PRIu64 ",\"head\":\"%s\",\"checkpoint\":\"%s\"}\n", cp.seq, hex, buf);
	else
		printf("%s\n", buf);
	return EXIT_OK;
}

static int audit_main(int argc, char **argv)
{
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, NULL);
	if (rc)
		return rc;
	if (c.npos != 1)
		return cli_usage(CMD, c.npos ? "unexpected argument '%s'" : "which subcommand? list, "
				 "verify, checkpoint%s", c.npos ? c.pos[1] : "");
	if (strcmp(c.pos[0], "list") == 0)
		return do_list(&c);
	if (strcmp(c.pos[0], "verify") == 0)
		return do_verify(&c);
	if (strcmp(c.pos[0], "checkpoint") == 0)
		return do_checkpoint(&c);
	return cli_usage(CMD, "no subcommand '%s': list, verify, checkpoint", c.pos[0]);
}

const struct cli_command cmd_audit = {
	"audit", "the tamper-evident audit log: list, verify, checkpoint", usage, audit_main,
};
