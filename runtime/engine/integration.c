/* integration.c - see integration.h. */
#include "integration.h"
#include "datadir.h"
#include "file_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES ((size_t)1 << 20)   /* the config file, an integration file */

static atomic_int mock_all;

void integration_set_mock_all(int on)
{
	atomic_store(&mock_all, on);
}

int integration_mock_all(void)
{
	if (atomic_load(&mock_all))
		return 1;
	const char *e = getenv("SOARCTL_MOCK");
	return e && strcmp(e, "1") == 0;
}

static char record_name[64], record_fixture[64];

void integration_set_record(const char *name, const char *fixture)
{
	snprintf(record_name, sizeof record_name, "%s", name && fixture ? name : "");
	snprintf(record_fixture, sizeof record_fixture, "%s", name && fixture ? fixture : "");
}

const char *integration_record_for(const char *name)
{
	return record_name[0] && strcmp(record_name, name) == 0 ? record_fixture : NULL;
}

int integration_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 63 || name[0] == '_' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

void integration_bundled_dir(const char *lua_dir, char *out, size_t len)
{
	snprintf(out, len, "%s/../integrations", lua_dir);
}

int integration_find(const char *lua_dir, const char *name, char *out, size_t len,
		     char *err, size_t errlen)
{
	if (!integration_name_ok(name)) {
		snprintf(err, errlen, "'%s' is not an integration name (a-z, 0-9, _ and -)", name);
		return -1;
	}
	int rc = integ_snap_find_(name, out, len);
	if (rc >= 0) {
		if (rc == 0)
			snprintf(err, errlen, "no integration '%s' (the daemon loaded none of that "
				 "name at its start or last reload)", name);
		return rc ? 0 : -1;
	}
	const char *own = getenv("SOARCTL_INTEGRATIONS_DIR");
	char bundled[4096];
	integration_bundled_dir(lua_dir, bundled, sizeof bundled);
	const char *dirs[] = { own && *own ? own : NULL, bundled };
	for (size_t i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		snprintf(out, len, "%s/%s.lua", dirs[i], name);
		if (access(out, R_OK) == 0)
			return 0;
	}
	snprintf(err, errlen, "no integration '%s' (looked in %s%s%s)", name,
		 own && *own ? own : "", own && *own ? " and " : "", bundled);
	return -1;
}

char *integration_config_path(void)
{
	const char *env = getenv("SOARCTL_INTEGRATIONS_CONFIG");
	char path[4096];
	if (env && *env)
		snprintf(path, sizeof path, "%s", env);
	else if (datadir_get())
		snprintf(path, sizeof path, "%s/integrations.json", datadir_get());
	else
		return NULL;
	return strdup(path);
}

int integration_config_read_disk(char **text, size_t *len, char *err, size_t errlen)
{
	const char *env = getenv("SOARCTL_INTEGRATIONS_CONFIG");
	*text = NULL;
	*len = 0;
	char *path = integration_config_path();
	if (!path)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int rc = 0;
		if (errno != ENOENT || (env && *env)) {
			snprintf(err, errlen, "cannot read integration config %s: %s", path,
				 strerror(errno));
			rc = -1;
		}
		free(path);
		return rc;
	}
	char *buf = malloc(MAX_CONFIG_BYTES + 1);
	size_t n = buf ? fread(buf, 1, MAX_CONFIG_BYTES + 1, f) : 0;
	fclose(f);
	if (!buf || n > MAX_CONFIG_BYTES) {
		free(buf);
		snprintf(err, errlen, "integration config %s is larger than 1 MiB", path);
		free(path);
		return -1;
	}
	free(path);
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 1;
}

int integration_config_read(char **text, size_t *len, char *err, size_t errlen)
{
	*text = NULL;
	*len = 0;
	int rc = integ_snap_config_(text, len);
	if (rc == -2)
		snprintf(err, errlen, "out of memory");
	if (rc != -1)
		return rc == -2 ? -1 : rc;
	return integration_config_read_disk(text, len, err, errlen);
}

int integration_source_read(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	int rc = integ_snap_source_(path, text, len);
	if (rc == 1)
		return 0;
	if (rc == 0) {
		snprintf(err, errlen, "%s is not among the integrations the daemon loaded", path);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(MAX_CONFIG_BYTES + 1) : NULL;
	size_t n = buf ? fread(buf, 1, MAX_CONFIG_BYTES + 1, f) : 0;
	if (f)
		fclose(f);
	if (!buf || n > MAX_CONFIG_BYTES) {
		free(buf);
		snprintf(err, errlen, "cannot read %s (or larger than 1 MiB)", path);
		return -1;
	}
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

void integration_fixture_path(const char *integration_path, const char *name,
			      const char *fixture, char *out, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", integration_path);
	snprintf(out, len, "%s/fixtures/%s/%s.json", dirname(tmp), name, fixture);
}

int integration_write_file(const char *path, const char *data, size_t len,
			   char *err, size_t errlen)
{
	return file_write_atomic(path, data, len, err, errlen);
}
