/* backup_files.c - see backup_files.h. */
#include "hex.h"
#include "backup_files.h"

#include "file_atomic.h"
#include "json.h"
#include "secret_crypto.h"
#include "store_buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum bf_dir bf_dir_state(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return BF_MISSING;
	if (!S_ISDIR(sb.st_mode))
		return BF_NOTDIR;
	DIR *d = opendir(path);
	if (!d)
		return BF_NONEMPTY; /* unreadable: treat as in use */
	struct dirent *e;
	enum bf_dir r = BF_EMPTY;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			r = BF_NONEMPTY;
			break;
		}
	closedir(d);
	return r;
}

int bf_sha256(const char *path, char out[65], uint64_t *size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	unsigned char h[32];
	if (sb.st_size == 0) {
		sc_sha256("", 0, h);
	} else {
		/* one mapping: the kernel pages it in; no buffer to size */
		void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
		sc_sha256(p, (size_t)sb.st_size, h);
		munmap(p, (size_t)sb.st_size);
	}
	close(fd);
	hex_encode(h, 32, out);
	*size = (uint64_t)sb.st_size;
	return 0;
}

int bf_copy(const char *src, const char *dst, unsigned mode, char *err, size_t errlen)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	static char buf[1 << 20];
	int bad = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bad = n < 0;
			break;
		}
		for (ssize_t off = 0; off < n && !bad;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				bad = 1;
			else
				off += w;
		}
		if (bad)
			break;
	}
	if (!bad && fsync(out) != 0)
		bad = 1;
	int e = errno;
	if (close(out) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	close(in);
	if (bad) {
		snprintf(err, errlen, "copying %s to %s: %s", src, dst, strerror(e));
		unlink(dst);
		return -1;
	}
	return 0;
}

int bf_sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot sync %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

char *bf_manifest_json(const struct bf_manifest *m)
{
	struct store_buf b = { 0 };
	store_buf_printf(&b, "{\"format\":\"%s\",\"schema\":%u,\"created_ms\":%" PRId64
			 ",\"compact\":%s,\"key_included\":%s,\"data_file\":\"%s\",\"data_bytes\":%"
			 PRIu64 ",\"data_sha256\":\"%s\",\"audit_head\":\"%s\",\"counts\":{"
			 "\"cases\":%" PRIu64 ",\"runs\":%" PRIu64 ",\"journal\":%" PRIu64
			 ",\"audit\":%" PRIu64 ",\"secrets\":%" PRIu64 ",\"blobs\":%" PRIu64
			 ",\"edl_entries\":%" PRIu64 ",\"users\":%" PRIu64 "}}",
			 BACKUP_FORMAT, m->schema, m->created_ms, m->compact ? "true" : "false",
			 m->key_included ? "true" : "false", BACKUP_DATA, m->data_bytes,
			 m->data_sha256, m->audit_head, m->cases, m->runs, m->journal, m->audit,
			 m->secrets, m->blobs, m->edl_entries, m->users);
	return b.p;
}

int bf_manifest_write(const char *dir, const struct bf_manifest *m, char *err, size_t errlen)
{
	char *j = bf_manifest_json(m);
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t n = strlen(j);
	char *text = malloc(n + 2);
	int rc = -1;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, BACKUP_MANIFEST);
	if (text) {
		memcpy(text, j, n);
		text[n] = '\n';
		rc = file_write_atomic(path, text, n + 1, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free(text);
	free(j);
	return rc;
}

static uint64_t num(const struct json_doc *d, const struct json_node *o, const char *key, int *bad)
{
	const struct json_node *v = json_get(d, o, key);
	if (!v || v->type != JSON_NUMBER) {
		*bad = 1;
		return 0;
	}
	return strtoull(v->str, NULL, 10);
}

static int flag(const struct json_doc *d, const struct json_node *o, const char *key, int *bad)
{
	const struct json_node *v = json_get(d, o, key);
	if (!v || (v->type != JSON_TRUE && v->type != JSON_FALSE)) {
		*bad = 1;
		return 0;
	}
	return v->type == JSON_TRUE;
}

static void str(const struct json_doc *d, const struct json_node *o, const char *key, char *out,
		size_t len, int *bad)
{
	const struct json_node *v = json_get(d, o, key);
	if (!v || v->type != JSON_STRING || v->len >= len) {
		*bad = 1;
		return;
	}
	memcpy(out, v->str, v->len + 1);
}

int bf_manifest_read(const char *dir, struct bf_manifest *m, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, BACKUP_MANIFEST);
	memset(m, 0, sizeof *m);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s is not a soarctl backup: no %s (%s)", dir, BACKUP_MANIFEST,
			 strerror(errno));
		return -1;
	}
	char text[8192];
	size_t n = fread(text, 1, sizeof text, f);
	fclose(f);
	struct json_doc d = { 0 };
	char perr[200];
	if (n == sizeof text || json_parse(&d, text, n, 0, perr, sizeof perr) != 0 ||
	    d.n[0].type != JSON_OBJECT) {
		snprintf(err, errlen, "%s is damaged: not the JSON object soarctl writes", path);
		json_doc_free(&d);
		return -1;
	}
	const struct json_node *root = &d.n[0];
	int bad = 0;
	char format[64] = "";
	str(&d, root, "format", format, sizeof format, &bad);
	if (bad || strcmp(format, BACKUP_FORMAT) != 0) {
		snprintf(err, errlen, "%s: unknown backup format '%s' (this soarctl reads %s)", path,
			 format, BACKUP_FORMAT);
		json_doc_free(&d);
		return -1;
	}
	m->schema = (unsigned)num(&d, root, "schema", &bad);
	m->created_ms = (int64_t)num(&d, root, "created_ms", &bad);
	m->compact = flag(&d, root, "compact", &bad);
	m->key_included = flag(&d, root, "key_included", &bad);
	m->data_bytes = num(&d, root, "data_bytes", &bad);
	str(&d, root, "data_sha256", m->data_sha256, sizeof m->data_sha256, &bad);
	str(&d, root, "audit_head", m->audit_head, sizeof m->audit_head, &bad);
	const struct json_node *c = json_get(&d, root, "counts");
	if (!c || c->type != JSON_OBJECT)
		bad = 1;
	else {
		m->cases = num(&d, c, "cases", &bad);
		m->runs = num(&d, c, "runs", &bad);
		m->journal = num(&d, c, "journal", &bad);
		m->audit = num(&d, c, "audit", &bad);
		m->secrets = num(&d, c, "secrets", &bad);
		m->blobs = num(&d, c, "blobs", &bad);
		m->edl_entries = num(&d, c, "edl_entries", &bad);
		m->users = num(&d, c, "users", &bad);
	}
	json_doc_free(&d);
	if (bad || strlen(m->data_sha256) != 64) {
		snprintf(err, errlen, "%s is damaged: a field is missing or of the wrong type", path);
		return -1;
	}
	return 0;
}
