/* backup_files.h - the file work of `soarctl backup` and `restore`: the state
 * of a destination directory, whole-file copies and checksums, and the backup's
 * manifest (manifest.json beside store.mdb). */
#ifndef SOAR_BACKUP_FILES_H
#define SOAR_BACKUP_FILES_H

#include <stddef.h>
#include <stdint.h>

#define BACKUP_FORMAT "soarctl-backup-v1"
#define BACKUP_MANIFEST "manifest.json"
#define BACKUP_DATA "store.mdb"
#define BACKUP_KEY "master.key"

enum bf_dir { BF_MISSING, BF_EMPTY, BF_NONEMPTY, BF_NOTDIR };
/* What is at `path`: nothing, an empty directory, a non-empty one, or a file. */
enum bf_dir bf_dir_state(const char *path);

/* SHA-256 of the file as 64 hex digits (out[65]) and its size. 0, or -1 + err. */
int bf_sha256(const char *path, char out[65], uint64_t *size, char *err, size_t errlen);

/* Copies src to the new file dst (O_EXCL, `mode`), fsync'd. 0, or -1 + err
 * (a partial dst is removed). */
int bf_copy(const char *src, const char *dst, unsigned mode, char *err, size_t errlen);

/* fsyncs a directory, so that a rename in it is durable. 0 or -1 + err. */
int bf_sync_dir(const char *dir, char *err, size_t errlen);

/* The manifest: what `restore` checks before it trusts a backup. */
struct bf_manifest {
	unsigned schema;
	int64_t created_ms;
	int compact, key_included;
	uint64_t data_bytes;
	char data_sha256[65];
	char audit_head[100];   /* "SEQ:HASH" of the copy's audit log */
	/* counts in the copy */
	uint64_t cases, runs, journal, audit, secrets, blobs, edl_entries, users;
};

/* Writes DIR/manifest.json atomically. 0, or -1 + err. */
int bf_manifest_write(const char *dir, const struct bf_manifest *m, char *err, size_t errlen);
/* The manifest as JSON (no newline), for --json output. Caller frees. */
char *bf_manifest_json(const struct bf_manifest *m);
/* Reads DIR/manifest.json. 0, or -1 + err saying what is wrong. */
int bf_manifest_read(const char *dir, struct bf_manifest *m, char *err, size_t errlen);

#endif
