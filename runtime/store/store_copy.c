/* store_copy.c - copying the whole environment (mdb_env_copyfd2) and the
 * per-database statistics. LMDB copies from a read transaction of its own, so
 * writers are not blocked; the non-compacting copy takes the writer lock only
 * for the moment it reads the meta pages. */
#include "store_copy.h"
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_copy(struct store *st, const char *path, int compact, char *err, size_t errlen)
{
	if (st->pid != getpid()) {
		snprintf(err, errlen, "store: used in a child process after fork(); open it again there");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "copying the store: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	/* Shared: a map resize in this process must wait (the copy holds a read
	 * transaction, and mdb_env_set_mapsize needs none open). */
	pthread_rwlock_rdlock(&st->resize_lock);
	int rc = mdb_env_copyfd2(st->env, fd, compact ? MDB_CP_COMPACT : 0);
	pthread_rwlock_unlock(&st->resize_lock);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc) {
		char what[4300];
		snprintf(what, sizeof what, "copying the store to %s", path);
		if (rc == ENOSPC || rc == EDQUOT)
			snprintf(err, errlen, "%s: no space left on that disk", what);
		else
			store_error(st, rc, what, err, errlen);
		unlink(path);
		return -1;
	}
	return 0;
}

int store_db_stats(struct store *st, struct store_db_stat *out, uint64_t *file_pages,
		   unsigned *page_size, char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	int rc = 0;
	MDB_stat ms;
	for (int i = 0; i < STORE_DB__COUNT && rc == 0; i++) {
		if ((rc = mdb_stat(txn, st->dbi[i], &ms)) != 0)
			break;
		out[i].name = store_db_name((enum store_db)i);
		out[i].entries = ms.ms_entries;
		out[i].pages = (uint64_t)ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages;
		out[i].bytes = out[i].pages * ms.ms_psize;
	}
	MDB_envinfo info;
	if (rc == 0)
		rc = mdb_env_info(st->env, &info);
	if (rc == 0 && (rc = mdb_env_stat(st->env, &ms)) == 0) {
		if (file_pages)
			*file_pages = (uint64_t)info.me_last_pgno + 1;
		if (page_size)
			*page_size = ms.ms_psize;
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "reading the store's statistics", err, errlen);
		return -1;
	}
	return 0;
}
