/* store_copy.c - copying the whole environment (mdb_env_copyfd2) and the
 * per-database statistics. LMDB copies from a read transaction of its own, so
 * writers are not blocked; the non-compacting copy takes the writer lock only
 * for the moment it reads the meta pages. */
#include "store_copy.h"
#include "store_int.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The copy runs on its own thread into a pipe; this thread writes what comes out
 * to the file. That lets it pace the writeback (the daemon's commits fsync the
 * same disk: a gigabyte of dirty pages flushed at once would hold them up for
 * hundreds of milliseconds), drop the written pages from the cache (they would
 * push out the store's hot pages), and hash the bytes on the way. */
struct copier {
	MDB_env *env;
	int fd;
	unsigned flags;
	int rc;
};

static void *copy_thread(void *arg)
{
	struct copier *c = arg;
	/* A write into a pipe whose reader gave up must fail (EPIPE), not kill. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	c->rc = mdb_env_copyfd2(c->env, c->fd, c->flags);
	close(c->fd);
	return NULL;
}

#define PACE_CHUNK ((off_t)8 << 20)

#define PUMP_BUF ((size_t)1 << 20)

/* (A heap buffer: a thread-local one would be in every thread's static TLS,
 * which a small-stack thread such as the sandbox watchdog cannot hold.) */
static int pump(int in, int out, unsigned char *buf, mbedtls_sha256_context *h)
{
	off_t done = 0, synced = 0;
	for (;;) {
		ssize_t n = read(in, buf, PUMP_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		if (h)
			mbedtls_sha256_update_ret(h, buf, (size_t)n);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return errno;
			off += w;
		}
		done += n;
		/* Start writing each 8 MiB as it fills; wait for the one before and
		 * drop it from the cache: at most ~16 MiB dirty at any time. */
		while (done - synced >= PACE_CHUNK) {
			sync_file_range(out, synced, PACE_CHUNK, SYNC_FILE_RANGE_WRITE);
			if (synced >= PACE_CHUNK) {
				sync_file_range(out, synced - PACE_CHUNK, PACE_CHUNK,
						SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
						SYNC_FILE_RANGE_WAIT_AFTER);
				posix_fadvise(out, synced - PACE_CHUNK, PACE_CHUNK, POSIX_FADV_DONTNEED);
			}
			synced += PACE_CHUNK;
		}
	}
}

int store_copy(struct store *st, const char *path, int compact, unsigned char sha256[32],
	       char *err, size_t errlen)
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
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "copying the store: %s", strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
	mbedtls_sha256_context h;
	if (sha256) {
		mbedtls_sha256_init(&h);
		mbedtls_sha256_starts_ret(&h, 0);
	}
	struct copier c = { st->env, p[1], compact ? MDB_CP_COMPACT : 0, 0 };
	pthread_t th;
	/* Shared: a map resize in this process must wait (the copy holds a read
	 * transaction, and mdb_env_set_mapsize needs none open). */
	pthread_rwlock_rdlock(&st->resize_lock);
	int rc = pthread_create(&th, NULL, copy_thread, &c);
	if (rc) {
		close(p[1]);
		close(p[0]);
	} else {
		unsigned char *buf = malloc(PUMP_BUF);
		rc = buf ? pump(p[0], fd, buf, sha256 ? &h : NULL) : ENOMEM;
		free(buf);
		close(p[0]); /* a failed pump: the copier's writes fail (EPIPE), it ends */
		pthread_join(th, NULL);
		if (rc == 0)
			rc = c.rc;
	}
	pthread_rwlock_unlock(&st->resize_lock);
	if (sha256) {
		mbedtls_sha256_finish_ret(&h, sha256);
		mbedtls_sha256_free(&h);
	}
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
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
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
	store_mdb_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "reading the store's statistics", err, errlen);
		return -1;
	}
	return 0;
}
