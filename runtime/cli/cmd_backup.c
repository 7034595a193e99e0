/* cmd_backup.c - `soarctl backup DEST` and `soarctl restore SRC --data DIR`.
 *
 * A backup is a directory: store.mdb (a copy of the LMDB environment as of one
 * commit, taken while the daemon writes), manifest.json (what restore checks),
 * and master.key only when asked (--with-key). Restore checks a backup before
 * anything is written: manifest, checksum, the store's structure, its case
 * indexes and its audit chain; then copies it into a new data directory. */
#include "secret.h"
#include "hex.h"
#include "cli.h"
#include "backup_files.h"
#include "backup_run.h"
#include "secret_cli.h"

#include "audit.h"
#include "datadir.h"
#include "keyfile.h"
#include "rbac.h"
#include "secret_crypto.h"
#include "store_check.h"
#include "store_copy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char backup_usage[] =
	"Usage: soarctl backup DEST [--compact] [--with-key] [--data DIR] [--json]\n"
	"\n"
	"Copies the store into the new directory DEST while soarctl (and the daemon)\n"
	"go on working: the copy is the store as of one moment; writers are not held.\n"
	"DEST must not exist, or be an empty directory. It receives store.mdb and\n"
	"manifest.json (schema, time, counts, SHA-256 of store.mdb).\n"
	"\n"
	"  --compact   leave out free pages (smaller copy, takes longer)\n"
	"  --with-key  also copy the master key file: anyone holding DEST can then read\n"
	"              every secret. Without it, keep the key (or passphrase) apart.\n"
	"\n"
	"Needs the user.manage permission (role admin).\n"
	"Exit codes: 0 written, 1 refused or failed, 2 bad arguments.\n";

static const char restore_usage[] =
	"Usage: soarctl restore SRC --data DIR [--json]\n"
	"\n"
	"Checks the backup SRC (manifest, checksum, the store's structure and indexes,\n"
	"the audit chain) and copies it into DIR, a new data directory (it must not\n"
	"exist, or be empty). Nothing is written when a check fails.\n"
	"If the backup holds no master key, provide it before reading secrets:\n"
	"DIR/master.key (mode 0600), $SOARCTL_MASTER_KEY_FILE, $SOARCTL_MASTER_KEY or\n"
	"$SOARCTL_PASSPHRASE, as for the original store.\n"
	"\n"
	"Exit codes: 0 restored, 1 refused (bad or damaged backup, DIR in use), 2 bad arguments.\n";

static int backup_main(int argc, char **argv)
{
	static const char *const bools[] = { "compact", "with-key", NULL };
	static const char *const known[] = { "compact", "with-key", NULL };
	struct scli c;
	int rc = scli_parse(&c, "backup", argc, argv, bools);
	if (rc || (rc = scli_only(&c, known)))
		return rc;
	if (c.npos != 1)
		return cli_usage("backup", "which directory? soarctl backup DEST");
	const char *dest = c.pos[0];
	int compact = scli_opt(&c, "compact") != NULL, with_key = scli_opt(&c, "with-key") != NULL;
	enum bf_dir ds = bf_dir_state(dest);
	if (ds == BF_NOTDIR)
		return cli_fail("backup", EXIT_FAIL, "%s exists and is not a directory: choose a new "
				"directory for the backup", dest);
	if (ds == BF_NONEMPTY)
		return cli_fail("backup", EXIT_FAIL, "%s exists and is not empty: choose a new "
				"directory (a backup never overwrites anything)", dest);
	if ((rc = scli_open(&c)) || (rc = scli_require(&c, RBAC_USER_MANAGE, "store")))
		return rc;
	char err[1024], keypath[4200];
	keyfile_path(c.dir, keypath, sizeof keypath);
	if (with_key && access(keypath, F_OK) != 0)
		return cli_fail("backup", EXIT_FAIL, "--with-key: there is no key file at %s (this "
				"store's key comes from $SOARCTL_MASTER_KEY or a passphrase): keep "
				"that yourself, and back up without --with-key", keypath);
	struct bf_manifest m;
	double copy_s = 0;
	if (backup_write(c.st, dest, compact, with_key ? keypath : NULL, c.actor, &m, &copy_s,
			 err, sizeof err) != 0)
		return cli_fail("backup", EXIT_FAIL, "%s", err);
	if (with_key)
		fprintf(stderr, "soarctl backup: warning: %s/%s holds the master key: anyone who can "
			"read %s can read every secret. Keep it encrypted and apart from other "
			"backups.\n", dest, BACKUP_KEY, dest);
	if (c.json) {
		char *j = bf_manifest_json(&m);
		printf("{\"backup\":");
		cli_json_string(stdout, dest, strlen(dest));
		printf(",\"copy_ms\":%.0f,\"manifest\":%s}\n", copy_s * 1000, j ? j : "null");
		free(j);
	} else {
		printf("backup written to %s: %" PRIu64 " bytes%s in %.2f s; %" PRIu64 " cases, %"
		       PRIu64 " runs, %" PRIu64 " audit entries, %" PRIu64 " secrets\n", dest,
		       m.data_bytes, compact ? " (compacted)" : "", copy_s, m.cases, m.runs, m.audit,
		       m.secrets);
		if (!with_key)
			printf("the master key is not in the backup: keep %s (or the passphrase) "
			       "somewhere else; restoring the secrets needs it\n", keypath);
	}
	return EXIT_OK;
}

/* The checks a store must pass before it is used: LMDB's view of every named
 * database, records against their indexes and back (store_check), the audit
 * chain. */
static int check_store(struct store *st, uint64_t *cases, struct audit_report *rep, char *err,
		       size_t errlen)
{
	char e[768];
	struct store_check_report *cr = malloc(sizeof *cr);
	if (!cr) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = store_check(st, cr, e, sizeof e);
	if (rc != 0) {
		if (rc < 0)
			snprintf(err, errlen, "the store cannot be read: %s", e);
		else
			snprintf(err, errlen, "the store is inconsistent (%" PRIu64 " problems; "
				 "`soarctl store check --data DIR` lists them): %s", cr->problems,
				 cr->problem[0]);
		free(cr);
		return -1;
	}
	free(cr);
	struct store_db_stat s[STORE_DB__COUNT];
	if (store_db_stats(st, s, NULL, NULL, e, sizeof e) != 0) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	*cases = s[STORE_DB_CASES].entries;
	rc = audit_verify(st, NULL, rep, e, sizeof e);
	if (rc < 0 && rep->need_key)
		return 0;       /* keyed, and no key here: the caller says so */
	if (rc < 0) {
		snprintf(err, errlen, "the audit log cannot be read: %s", e);
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "the audit log is broken at entry %" PRIu64 ": %s", rep->first_bad,
			 rep->why);
		return -1;
	}
	return 0;
}

static int restore_main(int argc, char **argv)
{
	static const char *const known[] = { NULL };
	struct scli c;
	int rc = scli_parse(&c, "restore", argc, argv, NULL);
	if (rc || (rc = scli_only(&c, known)))
		return rc;
	if (c.npos != 1)
		return cli_usage("restore", "which backup? soarctl restore SRC --data DIR");
	if (!c.data)
		return cli_usage("restore", "restore needs --data DIR: the new data directory "
				 "(never the one in use)");
	const char *src = c.pos[0], *dir = c.data;
	char err[1024], e2[1024];
	enum bf_dir ss = bf_dir_state(src);
	if (ss == BF_MISSING)
		return cli_fail("restore", EXIT_FAIL, "%s does not exist: give the directory "
				"`soarctl backup` wrote", src);
	if (ss != BF_NONEMPTY)
		return cli_fail("restore", EXIT_FAIL, "%s is not a soarctl backup (%s)", src,
				ss == BF_NOTDIR ? "not a directory" : "empty");
	enum bf_dir ds = bf_dir_state(dir);
	if (ds == BF_NOTDIR || ds == BF_NONEMPTY)
		return cli_fail("restore", EXIT_FAIL, "%s %s: restore only into a new data "
				"directory (nothing there was touched)", dir,
				ds == BF_NOTDIR ? "is a file" : "is not empty");
	struct bf_manifest m;
	if (bf_manifest_read(src, &m, err, sizeof err) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s", err);
	char data[4200], sum[65];
	uint64_t size;
	snprintf(data, sizeof data, "%s/%s", src, BACKUP_DATA);
	if (bf_sha256(data, sum, &size, err, sizeof err) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s", err);
	if (size != m.data_bytes || strcmp(sum, m.data_sha256) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s is damaged: its checksum differs from the "
				"manifest's (the file changed after the backup); use another backup",
				data);
	struct store *st = store_open_readonly(src, err, sizeof err);
	if (!st)
		return cli_fail("restore", EXIT_FAIL, "%s", err);
	/* The keyed audit chain is checked with the master key when one can be had
	 * (the environment, or the key file a --with-key backup holds). */
	char kerr[512];
	struct secret_vault *vault = secret_vault_open(st, src, kerr, sizeof kerr);
	uint64_t cases = 0;
	struct audit_report rep;
	rc = check_store(st, &cases, &rep, err, sizeof err);
	if (vault)
		secret_vault_close(vault);
	store_close(st);
	if (rc != 0)
		return cli_fail("restore", EXIT_FAIL, "%s: %s; nothing was restored", src, err);
	char keysrc[4200];
	snprintf(keysrc, sizeof keysrc, "%s/%s", src, BACKUP_KEY);
	if (m.key_included && access(keysrc, R_OK) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s: the manifest says the master key is "
				"included, but %s is missing", src, keysrc);

	/* Checked: now write, each file complete before its final name appears. */
	if (datadir_create(dir, e2, sizeof e2) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s", e2);
	char dst[4200], tmp[4300];
	snprintf(dst, sizeof dst, "%s/%s", dir, BACKUP_DATA);
	snprintf(tmp, sizeof tmp, "%s.part", dst);
	if (bf_copy(data, tmp, 0600, err, sizeof err) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s", err);
	if (bf_sha256(tmp, sum, &size, err, sizeof err) != 0 || strcmp(sum, m.data_sha256) != 0) {
		unlink(tmp);
		return cli_fail("restore", EXIT_FAIL, "the copy in %s differs from the backup "
				"(disk error?); nothing was restored", dir);
	}
	if (rename(tmp, dst) != 0) {
		unlink(tmp);
		return cli_fail("restore", EXIT_FAIL, "cannot rename %s: %s", tmp, strerror(errno));
	}
	if (m.key_included) {
		char kdst[4200];
		snprintf(kdst, sizeof kdst, "%s/%s", dir, KEYFILE_NAME);
		if (bf_copy(keysrc, kdst, 0600, err, sizeof err) != 0)
			return cli_fail("restore", EXIT_FAIL, "%s", err);
	}
	if (bf_sync_dir(dir, err, sizeof err) != 0)
		return cli_fail("restore", EXIT_FAIL, "%s", err);
	/* Opened once the normal way: the lock file is made and the schema confirmed. */
	st = store_open(dir, NULL, err, sizeof err);
	if (!st)
		return cli_fail("restore", EXIT_FAIL, "the restored store does not open: %s", err);
	store_close(st);
	char head[100];
	audit_checkpoint_format(&rep.head, head, sizeof head);
	if (c.json) {
		printf("{\"restored\":");
		cli_json_string(stdout, dir, strlen(dir));
		printf(",\"cases\":%" PRIu64 ",\"audit_entries\":%" PRIu64 ",\"audit_head\":\"%s\","
		       "\"key_included\":%s,\"audit_verified\":%s}\n", cases, rep.entries, head,
		       m.key_included ? "true" : "false", rep.need_key ? "false" : "true");
	} else {
		if (rep.need_key)
			printf("restored %s into %s: %" PRIu64 " cases; store consistent; audit log keyed "
			       "with the master key, not verified here: run `soarctl audit verify --data %s` "
			       "with the key\n", src, dir, cases, dir);
		else
			printf("restored %s into %s: %" PRIu64 " cases; store consistent; audit log intact "
			       "(%" PRIu64 " entries, head %s)\n", src, dir, cases, rep.entries, head);
		if (!m.key_included)
			printf("the backup holds no master key: put the key file at %s/%s (mode 0600), "
			       "or set SOARCTL_MASTER_KEY_FILE, SOARCTL_MASTER_KEY or SOARCTL_PASSPHRASE "
			       "as for the original store, before reading secrets\n", dir, KEYFILE_NAME);
	}
	return EXIT_OK;
}

const struct cli_command cmd_backup = {
	"backup", "copy the store while it runs (online, consistent)", backup_usage, backup_main,
};

const struct cli_command cmd_restore = {
	"restore", "check a backup and restore it into a new data directory", restore_usage,
	restore_main,
};
