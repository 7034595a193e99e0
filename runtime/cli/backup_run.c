/* backup_run.c - see backup_run.h. One backup is a directory: store.mdb (a copy
 * of the environment as of one commit, taken while others write), manifest.json
 * and, only when asked, master.key. */
#include "backup_run.h"

#include "audit.h"
#include "hex.h"
#include "keyfile.h"
#include "store_copy.h"

#include <dirent.h>
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Counts and audit head of a store, for the manifest. */
static int fill_counts(struct store *st, struct bf_manifest *m, char *err, size_t errlen)
{
	struct store_db_stat s[STORE_DB__COUNT];
	if (store_db_stats(st, s, NULL, NULL, err, errlen) != 0)
		return -1;
	m->schema = store_schema(st);
	m->cases = s[STORE_DB_CASES].entries;
	m->runs = s[STORE_DB_RUNS].entries;
	m->journal = s[STORE_DB_JOURNAL].entries;
	m->audit = s[STORE_DB_AUDIT].entries;
	m->secrets = s[STORE_DB_SECRETS].entries;
	m->blobs = s[STORE_DB_BLOBS].entries;
	m->edl_entries = s[STORE_DB_EDL_ENTRIES].entries;
	m->users = s[STORE_DB_USERS].entries;
	struct audit_checkpoint cp;
	if (audit_checkpoint(st, &cp, err, errlen) != 0)
		return -1;
	audit_checkpoint_format(&cp, m->audit_head, sizeof m->audit_head);
	return 0;
}

/* A backup that failed leaves nothing behind: its files go, and DEST too when
 * this backup created it, so that the same command can simply be run again. */
__attribute__((format(printf, 5, 6)))
static int bk_fail(char *err, size_t errlen, const char *dest, int created, const char *fmt, ...)
{
	static const char *const files[] = { BACKUP_DATA ".part", BACKUP_DATA, BACKUP_KEY,
					     BACKUP_MANIFEST };
	char msg[2048], path[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dest, files[i]);
		unlink(path);
	}
	if (created)
		rmdir(dest);
	snprintf(err, errlen, "%s; nothing was kept in %s", msg, dest);
	return -1;
}

int backup_write(struct store *st, const char *dest, int compact, const char *keypath,
		 const char *actor, struct bf_manifest *out, double *copy_s_out, char *err,
		 size_t errlen)
{
	enum bf_dir ds = bf_dir_state(dest);
	int with_key = keypath != NULL, rc;
	if (ds == BF_NOTDIR || ds == BF_NONEMPTY) {
		snprintf(err, errlen, "%s exists and is %s: choose a new directory (a backup never "
			 "overwrites anything)", dest, ds == BF_NOTDIR ? "not a directory" : "not empty");
		return -1;
	}
	if (ds == BF_MISSING && mkdir(dest, 0700) != 0)
	{
		snprintf(err, errlen, "cannot create %s: %s", dest, strerror(errno));
		return -1;
	}

	char data[4200], tmp[4300];
	snprintf(data, sizeof data, "%s/%s", dest, BACKUP_DATA);
	snprintf(tmp, sizeof tmp, "%s.part", data);
	struct bf_manifest m;
	memset(&m, 0, sizeof m);
	m.created_ms = store_now_ms();
	m.compact = compact;
	/* The copy yields the CPU to the daemon (on a small machine both compete):
	 * this thread and the copier it starts run at nice 10. */
	if (setpriority(PRIO_PROCESS, 0, 10) != 0)
		(void)0; /* not fatal: the copy only competes harder */
	double t0 = now_s();
	unsigned char sum[32];
	if (store_copy(st, tmp, compact, sum, err, errlen) != 0)
		return bk_fail(err, errlen, dest, ds == BF_MISSING, "%s", err);
	double copy_s = now_s() - t0;
	if (rename(tmp, data) != 0) {
		unlink(tmp);
		return bk_fail(err, errlen, dest, ds == BF_MISSING, "cannot rename %s: %s", tmp, strerror(errno));
	}
	/* The manifest describes the copy itself, not the live store (which moved on). */
	struct store *copy = store_open_readonly(dest, err, errlen);
	if (!copy)
		return bk_fail(err, errlen, dest, ds == BF_MISSING, "the copy does not open: %s", err);
	rc = fill_counts(copy, &m, err, errlen);
	store_close(copy);
	if (rc != 0)
		return bk_fail(err, errlen, dest, ds == BF_MISSING, "reading the copy: %s", err);
	/* the checksum of the bytes as they were written (no second read) */
	struct stat sb;
	if (stat(data, &sb) != 0)
		return bk_fail(err, errlen, dest, ds == BF_MISSING, "cannot read %s: %s", data, strerror(errno));
	m.data_bytes = (uint64_t)sb.st_size;
	hex_encode(sum, 32, m.data_sha256);
	if (with_key) {
		unsigned char key[32];
		/* read first: refuses a key file others can read, as every command does */
		rc = keyfile_read(keypath, key, err, errlen);
		memset(key, 0, sizeof key);
		char kdst[4200];
		snprintf(kdst, sizeof kdst, "%s/%s", dest, BACKUP_KEY);
		if (rc != 0 || bf_copy(keypath, kdst, 0600, err, errlen) != 0)
			return bk_fail(err, errlen, dest, ds == BF_MISSING, "copying the master key: %s", err);
		m.key_included = 1;
	}
	if (bf_manifest_write(dest, &m, err, errlen) != 0 ||
	    bf_sync_dir(dest, err, errlen) != 0)
		return bk_fail(err, errlen, dest, ds == BF_MISSING, "%s", err);
	char details[512];
	snprintf(details, sizeof details, "{\"compact\":%s,\"key_included\":%s,\"bytes\":%" PRIu64
		 ",\"cases\":%" PRIu64 ",\"sha256\":\"%s\"}", compact ? "true" : "false",
		 with_key ? "true" : "false", m.data_bytes, m.cases, m.data_sha256);
	char aerr[256];
	if (audit_append(st, actor, "store.backup", dest, details, aerr, sizeof aerr) != 0)
		fprintf(stderr, "soarctl backup: warning: the backup is written but not audited: %s\n",
			aerr);
	*out = m;
	*copy_s_out = copy_s;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes backup directory path (its known files, then the directory). */
static void remove_backup(const char *path)
{
	static const char *const files[] = { BACKUP_DATA ".part", BACKUP_DATA, BACKUP_KEY,
					     BACKUP_MANIFEST };
	char f[4600];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(f, sizeof f, "%s/%s", path, files[i]);
		unlink(f);
	}
	rmdir(path);
}

int backup_scheduled(struct store *st, const char *dir, int keep, int compact, char *made,
		     size_t madelen, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the backup directory %s: %s", dir, strerror(errno));
		return -1;
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(made, madelen, "%s/soarctl-%s", dir, stamp);
	for (int i = 2; bf_dir_state(made) != BF_MISSING && i < 100; i++)
		snprintf(made, madelen, "%s/soarctl-%s-%d", dir, stamp, i);
	struct bf_manifest m;
	double copy_s;
	if (backup_write(st, made, compact, NULL, "daemon", &m, &copy_s, err, errlen) != 0)
		return -1;
	/* Rotation: the names sort by time; keep the newest `keep`. */
	DIR *dh = opendir(dir);
	if (!dh)
		return 0;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (strncmp(de->d_name, "soarctl-", 8) != 0)
			continue;
		char man[4400];
		snprintf(man, sizeof man, "%s/%s/%s", dir, de->d_name, BACKUP_MANIFEST);
		if (access(man, F_OK) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(dh);
	qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; keep > 0 && i + (size_t)keep < n; i++) {
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		remove_backup(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}
