/* store_copy.h - the store as a whole, for operators: a consistent copy of the
 * environment taken while others write (backup, compact), and the size of each
 * named database (store stats). */
#ifndef SOAR_STORE_COPY_H
#define SOAR_STORE_COPY_H

#include "store.h"

/* Copies the store into the new file `path` (created with O_EXCL, mode 0600),
 * fsync'd, from one read transaction: the copy is the store as of one commit,
 * and writers (this process's committer or another process's) go on meanwhile.
 * `compact` drops free pages and renumbers the rest (slower, smaller). The
 * writeback is paced (a few MiB dirty at a time) so that other writers' fsyncs
 * are not held up, and the written pages leave the page cache. sha256 (may be
 * NULL) receives the SHA-256 of the file. On failure the partial file is
 * removed. Returns 0, or -1 with `err` set. */
int store_copy(struct store *st, const char *path, int compact, unsigned char sha256[32],
	       char *err, size_t errlen);

/* One named database as mdb_stat sees it. */
struct store_db_stat {
	const char *name;
	uint64_t entries;
	uint64_t pages;      /* branch + leaf + overflow */
	uint64_t bytes;      /* pages x page size */
};

/* Fills out[0 .. STORE_DB__COUNT-1] from one read transaction; *file_pages
 * (may be NULL) receives the pages in use in the file (last page + 1), and
 * *page_size the page size. Returns 0, or -1 with `err` set. */
int store_db_stats(struct store *st, struct store_db_stat *out, uint64_t *file_pages,
		   unsigned *page_size, char *err, size_t errlen);

#endif
