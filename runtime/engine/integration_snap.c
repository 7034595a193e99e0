/* integration_snap.c - the daemon's frozen set of integrations and their config
 * (see integration.h). */
#include "integration.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES ((size_t)1 << 20)

struct snap_file {
	char name[64];
	char *path;
	char *text;
	size_t len;
};

struct integ_snap {
	struct snap_file *f;
	int n;
	char *config_path;        /* NULL: no config file */
	char *config;
	size_t config_len;
	int hide_config;
};

static pthread_mutex_t snap_mu = PTHREAD_MUTEX_INITIALIZER;
static struct integ_snap *installed;
static __thread struct integ_snap *here;

/* Reads a whole file of at most MAX_FILE_BYTES. 0, 1 (ENOENT), -1 with a message. */
static int slurp(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(MAX_FILE_BYTES + 1);
	size_t n = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (!buf || bad || n > MAX_FILE_BYTES) {
		free(buf);
		snprintf(err, errlen, "cannot read %s (or larger than 1 MiB)", path);
		return -1;
	}
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

static int add_dir(struct integ_snap *s, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0; /* as integration_find: a missing directory holds nothing */
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		char name[64];
		if (l < 5 || l - 4 >= sizeof name || strcmp(e->d_name + l - 4, ".lua") != 0)
			continue;
		memcpy(name, e->d_name, l - 4);
		name[l - 4] = 0;
		if (!integration_name_ok(name) || (l > 9 && strcmp(e->d_name + l - 9, "_test.lua") == 0))
			continue;
		int dup = 0;
		for (int i = 0; i < s->n; i++)
			dup |= strcmp(s->f[i].name, name) == 0;
		if (dup)
			continue; /* the deployment's own file shadows the bundled one */
		struct snap_file *nf = realloc(s->f, (size_t)(s->n + 1) * sizeof *nf);
		if (!nf) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		s->f = nf;
		struct snap_file *f = &s->f[s->n];
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", name);
		size_t pl = strlen(dir) + l + 2;
		if (!(f->path = malloc(pl))) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		snprintf(f->path, pl, "%s/%s", dir, e->d_name);
		int r = slurp(f->path, &f->text, &f->len, err, errlen);
		if (r != 0) {
			if (r > 0)
				snprintf(err, errlen, "%s: vanished while reading", f->path);
			free(f->path);
			rc = -1;
			break;
		}
		s->n++;
	}
	closedir(d);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct snap_file *)a)->name, ((const struct snap_file *)b)->name);
}

struct integ_snap *integ_snap_read(const char *lua_dir, char *err, size_t errlen)
{
	struct integ_snap *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	const char *own = getenv("SOARCTL_INTEGRATIONS_DIR");
	char bundled[4096];
	integration_bundled_dir(lua_dir, bundled, sizeof bundled);
	if ((own && *own && add_dir(s, own, err, errlen) != 0) ||
	    add_dir(s, bundled, err, errlen) != 0) {
		integ_snap_free(s);
		return NULL;
	}
	if (s->n > 1)
		qsort(s->f, (size_t)s->n, sizeof *s->f, by_name);
	/* The config file: read where integration_config_read reads it. */
	char *text;
	size_t len;
	int rc = integration_config_read_disk(&text, &len, err, errlen);
	if (rc < 0) {
		integ_snap_free(s);
		return NULL;
	}
	if (rc > 0) {
		s->config = text;
		s->config_len = len;
		s->config_path = integration_config_path();
	}
	return s;
}

void integ_snap_free(struct integ_snap *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		free(s->f[i].path);
		free(s->f[i].text);
	}
	free(s->f);
	free(s->config_path);
	free(s->config);
	free(s);
}

int integ_snap_count(const struct integ_snap *s) { return s->n; }
const char *integ_snap_name(const struct integ_snap *s, int i) { return s->f[i].name; }
const char *integ_snap_path(const struct integ_snap *s, int i) { return s->f[i].path; }
const char *integ_snap_config_path(const struct integ_snap *s) { return s->config_path; }

const char *integ_snap_config(const struct integ_snap *s, size_t *len)
{
	*len = s->config_len;
	return s->config;
}

void integ_snap_hide_config(struct integ_snap *s, int hide) { s->hide_config = hide; }

struct integ_snap *integ_snap_install(struct integ_snap *s)
{
	pthread_mutex_lock(&snap_mu);
	struct integ_snap *old = installed;
	installed = s;
	pthread_mutex_unlock(&snap_mu);
	return old;
}

void integ_snap_use_here(struct integ_snap *s) { here = s; }

/* ---- for integration.c: answers from the snapshot, when there is one ---- */

/* The thread's snapshot with the lock held when it is the shared one. */
static struct integ_snap *take(int *locked)
{
	*locked = 0;
	if (here)
		return here;
	pthread_mutex_lock(&snap_mu);
	if (installed) {
		*locked = 1;
		return installed;
	}
	pthread_mutex_unlock(&snap_mu);
	return NULL;
}

static void give(int locked)
{
	if (locked)
		pthread_mutex_unlock(&snap_mu);
}

int integ_snap_find_(const char *name, char *out, size_t len)
{
	int locked, rc = 0;
	struct integ_snap *s = take(&locked);
	if (!s)
		return -1;
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->f[i].name, name) == 0) {
			snprintf(out, len, "%s", s->f[i].path);
			rc = 1;
			break;
		}
	give(locked);
	return rc;
}

static char *copy(const char *p, size_t n)
{
	char *c = malloc(n + 1);
	if (c) {
		memcpy(c, p, n);
		c[n] = 0;
	}
	return c;
}

int integ_snap_source_(const char *path, char **text, size_t *len)
{
	int locked, rc = 0;
	struct integ_snap *s = take(&locked);
	if (!s)
		return -1;
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->f[i].path, path) == 0) {
			*text = copy(s->f[i].text, s->f[i].len);
			*len = s->f[i].len;
			rc = *text ? 1 : 0;
			break;
		}
	give(locked);
	return rc;
}

int integ_snap_config_(char **text, size_t *len)
{
	int locked, rc = 0;
	struct integ_snap *s = take(&locked);
	if (!s)
		return -1;
	if (s->config && !s->hide_config) {
		*text = copy(s->config, s->config_len);
		*len = s->config_len;
		rc = *text ? 1 : -2;
	}
	give(locked);
	return rc;
}
