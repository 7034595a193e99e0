/* datadir.c - see datadir.h. */
#include "datadir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char chosen[4096];

const char *datadir_resolve(const char *flag, char *buf, size_t len)
{
	const char *env = getenv("SOARCTL_DATA");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;
	if (flag && *flag)
		n = snprintf(buf, len, "%s", flag);
	else if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/soarctl", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.local/share/soarctl", home);
	else
		return NULL;
	return n > 0 && (size_t)n < len ? buf : NULL;
}

void datadir_set(const char *path)
{
	snprintf(chosen, sizeof chosen, "%s", path ? path : "");
}

const char *datadir_get(void)
{
	return chosen[0] ? chosen : NULL;
}

int datadir_create(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "data directory path is too long");
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory", tmp);
		return -1;
	}
	return 0;
}
