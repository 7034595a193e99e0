/* cmd_secret.c - `soarctl secret`: set, list, rm, rotate-key, grant, ungrant,
 * grants. Values are read from standard input or a no-echo prompt, never from
 * the command line (argv shows in `ps` and shell history). */
#include "cli.h"

#include "keyfile.h"
#include "rbac.h"
#include "secret.h"
#include "secret_cli.h"
#include "secret_crypto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "secret"

static const char usage[] =
	"Usage: soarctl secret SUBCOMMAND [ARGS] [--data DIR] [--json]\n"
	"\n"
	"Secrets are encrypted at rest (AES-256-GCM) under a master key: the key file\n"
	"made by `soarctl init` (DATA/master.key, or $SOARCTL_MASTER_KEY_FILE), or\n"
	"$SOARCTL_MASTER_KEY (64 hex digits), or a passphrase ($SOARCTL_PASSPHRASE, or\n"
	"asked at a terminal). Names are integration.key, e.g. virustotal.api_key.\n"
	"\n"
	"  set NAME [--raw]       read the value from standard input (one trailing\n"
	"                         newline removed unless --raw), or ask for it without\n"
	"                         echo at a terminal. Never give it on the command line.\n"
	"  list                   names, who set them and when; never values\n"
	"  rm NAME                remove a secret (and its grants)\n"
	"  rotate-key             re-encrypt every value under a new data key; the old\n"
	"                         key is kept until all are done (run again if stopped)\n"
	"  rotate-master [--to file|env|passphrase]\n"
	"                         replace the master key (default: the same kind): a new\n"
	"                         key file, $SOARCTL_NEW_MASTER_KEY, or a new passphrase\n"
	"                         ($SOARCTL_NEW_PASSPHRASE or asked); then rotate-key\n"
	"  grant NAME --playbook P     let playbook P read NAME\n"
	"  ungrant NAME --playbook P   take that back\n"
	"  grants                 who was granted what\n"
	"\n"
	"Integrations read their own secrets (NAME.*) without a grant. Every command\n"
	"needs the secret.write permission (role admin); every change is audited.\n"
	"Exit codes: 0 ok, 1 refused or failed (wrong master key, denied, not found),\n"
	"2 bad arguments.\n";

static struct secret_vault *open_vault(struct scli *c)
{
	char err[1024];
	struct secret_vault *v = secret_vault_open(c->st, c->dir, err, sizeof err);
	if (!v)
		cli_fail(CMD, EXIT_FAIL, "%s", err);
	return v;
}

/* Reads the value: a no-echo prompt at a terminal, else all of stdin. Returns
 * the length, or minus an exit code after printing why. buf holds
 * SECRET_MAX_VALUE + 2. */
static long read_value(const char *name, int raw, unsigned char *buf, size_t cap)
{
	if (isatty(STDIN_FILENO)) {
		char prompt[256];
		snprintf(prompt, sizeof prompt, "value for %s (not shown): ", name);
		long n = keyfile_read_noecho(prompt, (char *)buf, cap);
		if (n <= 0) {
			return -cli_fail(CMD, EXIT_FAIL, "no value was entered; nothing stored");
		}
		return n;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			return -cli_fail(CMD, EXIT_FAIL, "reading standard input: %s", strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			break;
	}
	if (!raw && n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n > SECRET_MAX_VALUE) {
		return -cli_fail(CMD, EXIT_USAGE, "the value is longer than %d bytes; nothing stored",
				 SECRET_MAX_VALUE);
	}
	if (n == 0) {
		return -cli_fail(CMD, EXIT_USAGE, "the value on standard input is empty; nothing "
				 "stored (pipe it in: `printf %%s \"$VALUE\" | soarctl secret set %s`)",
				 name);
	}
	return (long)n;
}

static int do_set(struct scli *c)
{
	static const char *const known[] = { "raw", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	if (c->npos < 2)
		return cli_usage(CMD, "set needs a NAME");
	if (c->npos > 2)
		return cli_usage(CMD, "the value is read from standard input, never from the "
				 "command line (it would show in `ps` and shell history): "
				 "`soarctl secret set %s < file`", c->pos[1]);
	char err[1024];
	if (secret_name_check(c->pos[1], err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_USAGE, "%s", err);
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_SECRET_WRITE, c->pos[1])))
		return rc;
	struct secret_vault *v = open_vault(c);
	if (!v)
		return EXIT_FAIL;
	size_t cap = SECRET_MAX_VALUE + 2;
	unsigned char *buf = malloc(cap);
	if (!buf) {
		secret_vault_close(v);
		return cli_fail(CMD, EXIT_FAIL, "out of memory");
	}
	long n = read_value(c->pos[1], scli_opt(c, "raw") != NULL, buf, cap);
	rc = n < 0 ? (int)-n : 0;
	if (n >= 0 && secret_set(v, c->pos[1], buf, (size_t)n, c->actor, err, sizeof err) != 0)
		rc = cli_fail(CMD, EXIT_FAIL, "%s", err);
	sc_zero(buf, cap);
	free(buf);
	secret_vault_close(v);
	if (rc)
		return rc;
	if (c->json) {
		printf("{\"name\":");
		cli_json_string(stdout, c->pos[1], strlen(c->pos[1]));
		printf(",\"size\":%ld}\n", n);
	} else {
		printf("stored %s (%ld bytes)\n", c->pos[1], n);
	}
	return EXIT_OK;
}

struct list_state {
	int json, n;
};

static int list_one(const struct secret_info *i, void *ud)
{
	struct list_state *s = ud;
	char when[40];
	scli_time(i->set_at_ms, when, sizeof when);
	if (s->json) {
		printf("%s{\"name\":", s->n ? "," : "");
		cli_json_string(stdout, i->name, strlen(i->name));
		printf(",\"set_by\":");
		cli_json_string(stdout, i->set_by, strlen(i->set_by));
		printf(",\"set_at_ms\":%" PRId64 ",\"key_id\":%u,\"size\":%zu}", i->set_at_ms,
		       (unsigned)i->key_id, i->size);
	} else {
		printf("%-40s %-20s %s\n", i->name, i->set_by, when);
	}
	s->n++;
	return 0;
}

static int do_list(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)) || (rc = scli_require(c, RBAC_SECRET_WRITE, "secrets")))
		return rc;
	struct list_state s = { c->json, 0 };
	char err[1024];
	if (c->json)
		printf("{\"secrets\":[");
	else
		printf("%-40s %-20s %s\n", "NAME", "SET BY", "SET AT");
	if (secret_list(c->st, list_one, &s, err, sizeof err) != 0) {
		if (c->json)
			printf("]}\n");
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	}
	if (c->json)
		printf("]}\n");
	return EXIT_OK;
}

static int do_rm(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc)
		return rc;
	if (c->npos != 2)
		return cli_usage(CMD, "rm needs exactly one NAME");
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_SECRET_WRITE, c->pos[1])))
		return rc;
	struct secret_vault *v = open_vault(c);
	if (!v)
		return EXIT_FAIL;
	char err[1024];
	rc = secret_rm(v, c->pos[1], c->actor, err, sizeof err);
	secret_vault_close(v);
	if (rc != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json)
		printf("{\"removed\":true}\n");
	else
		printf("removed %s\n", c->pos[1]);
	return EXIT_OK;
}

/* rotate-key, and rotate-master (which rotates the data keys after it: an old
 * master key and an old copy of the store must not open values sealed from now
 * on). */
static int do_rotate(struct scli *c, int master)
{
	static const char *const known[] = { "to", NULL };
	int rc = scli_only(c, master ? known : NULL);
	if (rc)
		return rc;
	if (c->npos != 1)
		return cli_usage(CMD, master ? "rotate-master takes no arguments but --to "
				 "file|env|passphrase" : "rotate-key takes no arguments");
	const char *to = scli_opt(c, "to");
	if (to && strcmp(to, "file") && strcmp(to, "env") && strcmp(to, "passphrase"))
		return cli_usage(CMD, "--to takes file, env or passphrase, not '%s'", to);
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_SECRET_WRITE, "keyring")))
		return rc;
	struct secret_vault *v = open_vault(c);
	if (!v)
		return EXIT_FAIL;
	char err[1024];
	struct secret_master_rotation m = { 0, NULL, 0 };
	struct secret_rotation r = { 0, 0, 0, 0 };
	if (master)
		rc = secret_rotate_master(v, c->dir, to, c->actor, &m, err, sizeof err);
	if (rc == 0)
		rc = secret_rotate(v, c->actor, &r, err, sizeof err);
	secret_vault_close(v);
	if (rc != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json) {
		printf("{\"old_key\":%u,\"new_key\":%u,\"reencrypted\":%" PRIu64 ",\"retired\":%u",
		       (unsigned)r.old_key, (unsigned)r.new_key, r.reencrypted, r.retired);
		if (master)
			printf(",\"to\":\"%s\",\"data_keys_rewrapped\":%u,\"keyfile_removed\":%s",
			       m.to, m.data_keys, m.keyfile_removed ? "true" : "false");
		printf("}\n");
		return EXIT_OK;
	}
	if (master)
		printf("master key replaced (%s): %u data keys wrapped again\n", m.to, m.data_keys);
	printf("data key %u is now current: %" PRIu64 " values re-encrypted, %u old keys "
	       "deleted\n", (unsigned)r.new_key, r.reencrypted, r.retired);
	if (master && strcmp(m.to, "env") == 0)
		printf("give every soarctl process the new key as $SOARCTL_MASTER_KEY\n");
	if (m.keyfile_removed)
		printf("the old key file was deleted: it opened nothing any more\n");
	if (master)
		printf("restart a running `soarctl serve`: it holds the old key\n");
	return EXIT_OK;
}

static int do_grant(struct scli *c, int add)
{
	static const char *const known[] = { "playbook", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	const char *pb = scli_opt(c, "playbook");
	if (c->npos != 2 || !pb)
		return cli_usage(CMD, "%s needs NAME --playbook PLAYBOOK", c->pos[0]);
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_SECRET_WRITE, c->pos[1])))
		return rc;
	char err[1024];
	rc = add ? secret_grant(c->st, pb, c->pos[1], c->actor, err, sizeof err)
		 : secret_ungrant(c->st, pb, c->pos[1], c->actor, err, sizeof err);
	if (rc != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json)
		printf("{\"ok\":true}\n");
	else
		printf("%s %s %s playbook %s\n", add ? "granted" : "ungranted", c->pos[1],
		       add ? "to" : "from", pb);
	return EXIT_OK;
}

static int grant_one(const char *pb, const char *name, void *ud)
{
	struct list_state *s = ud;
	if (s->json) {
		printf("%s{\"playbook\":", s->n ? "," : "");
		cli_json_string(stdout, pb, strlen(pb));
		printf(",\"secret\":");
		cli_json_string(stdout, name, strlen(name));
		printf("}");
	} else {
		printf("%-30s %s\n", pb, name);
	}
	s->n++;
	return 0;
}

static int do_grants(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)) || (rc = scli_require(c, RBAC_SECRET_WRITE, "grants")))
		return rc;
	struct list_state s = { c->json, 0 };
	char err[1024];
	printf(c->json ? "{\"grants\":[" : "%-30s %s\n", "PLAYBOOK", "SECRET");
	rc = secret_grants(c->st, grant_one, &s, err, sizeof err);
	if (c->json)
		printf("]}\n");
	return rc ? cli_fail(CMD, EXIT_FAIL, "%s", err) : EXIT_OK;
}

static int secret_main(int argc, char **argv)
{
	static const char *const bools[] = { "raw", NULL };
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, bools);
	if (rc)
		return rc;
	if (c.npos == 0)
		return cli_usage(CMD, "which subcommand? set, list, rm, rotate-key, rotate-master, grant, ungrant, grants");
	const char *sub = c.pos[0];
	if (strcmp(sub, "set") == 0)
		return do_set(&c);
	if (strcmp(sub, "list") == 0)
		return do_list(&c);
	if (strcmp(sub, "rm") == 0)
		return do_rm(&c);
	if (strcmp(sub, "rotate-key") == 0)
		return do_rotate(&c, 0);
	if (strcmp(sub, "rotate-master") == 0)
		return do_rotate(&c, 1);
	if (strcmp(sub, "grant") == 0)
		return do_grant(&c, 1);
	if (strcmp(sub, "ungrant") == 0)
		return do_grant(&c, 0);
	if (strcmp(sub, "grants") == 0)
		return do_grants(&c);
	return cli_usage(CMD, "no subcommand '%s': set, list, rm, rotate-key, rotate-master, grant, ungrant, grants",
			 sub);
}

const struct cli_command cmd_secret = {
	"secret", "encrypted secrets: set, list, rm, rotate-key, grant", usage, secret_main,
};
