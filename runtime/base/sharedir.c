/* sharedir.c - finds the bundled files from the binary's own path (sharedir.h). */
#include "sharedir.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The build folder's pointer to the source tree; only a build tree has it. */
#define SOURCE_MARKER "soarctl-source-root"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char root[PATH_MAX + 32];
static char lua[PATH_MAX + 48];
static char playbooks[PATH_MAX + 48];
static const char *origin = "none";

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads the first line of `path` into `out`; 0 when it names a folder holding lua/. */
static int read_marker(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = fgets(out, (int)len, f);
	fclose(f);
	if (!line)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	char lua_path[PATH_MAX + 64];
	snprintf(lua_path, sizeof lua_path, "%s/lua", out);
	return out[0] == '/' && is_dir(lua_path) ? 0 : -1;
}

static void find_root(void)
{
	const char *env = getenv("SOARCTL_SHARE_DIR");
	char bindir[PATH_MAX] = ".";
	char path[PATH_MAX + 64];
	if (env && *env) {
		snprintf(root, sizeof root, "%s", env);
		origin = "env";
		goto done;
	}
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
	if (n > 0) {
		bindir[n] = '\0';
		char *slash = strrchr(bindir, '/');
		if (slash)
			*(slash == bindir ? slash + 1 : slash) = '\0';
	}
	/* Installed: the share folder beside bin/ comes first, so a build tree's
	 * marker can never steer an installed binary to a source folder. */
	snprintf(path, sizeof path, "%s/../share/soarctl/lua", bindir);
	if (is_dir(path)) {
		snprintf(root, sizeof root, "%s/../share/soarctl", bindir);
		origin = "installed";
		goto done;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", bindir);
	for (int up = 0; up <= 3; up++) {
		snprintf(path, sizeof path, "%s/" SOURCE_MARKER, dir);
		if (read_marker(path, root, sizeof root) == 0) {
			origin = "build";
			goto done;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	snprintf(root, sizeof root, "%s/../share/soarctl", bindir);
done:
	/* A canonical path reads better in errors and `soarctl version --json`. */
	{
		char real[PATH_MAX];
		if (realpath(root, real))
			snprintf(root, sizeof root, "%s", real);
	}
	snprintf(playbooks, sizeof playbooks, "%s/playbooks", root);
	snprintf(lua, sizeof lua, "%s/lua", root);
}

const char *sharedir_root(void)
{
	pthread_once(&once, find_root);
	return root;
}

const char *sharedir_origin(void)
{
	pthread_once(&once, find_root);
	return origin;
}

const char *sharedir_lua(void)
{
	const char *env = getenv("SOARCTL_LUA_DIR");
	if (env && *env)
		return env;
	pthread_once(&once, find_root);
	return lua;
}

const char *sharedir_playbooks(void)
{
	pthread_once(&once, find_root);
	return playbooks;
}
