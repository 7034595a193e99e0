/* runscrub.c - see runscrub.h. */
#include "runscrub.h"
#include "redact.h"
#include "sandbox.h"

#include <lua.h>
#include <stdlib.h>
#include <string.h>

struct redact_set *run_redact_set(struct run_info *ri)
{
	if (!ri)
		ri = sandbox_current();
	if (!ri)
		return NULL;
	if (!ri->redact)
		ri->redact = redact_new();
	return ri->redact;
}

char *run_scrub(const struct run_info *ri, const char *s, size_t len, size_t *outlen)
{
	if (!ri)
		ri = sandbox_current();
	if (!ri || !ri->redact || !s || redact_count(ri->redact) == 0)
		return NULL;
	char *out = NULL;
	size_t n = 0;
	int rc = redact(ri->redact, s, len, &out, &n);
	if (rc > 0) {
		if (outlen)
			*outlen = n;
		return out;
	}
	if (rc < 0) {
		/* Out of memory while scrubbing: write a placeholder, never the text. */
		out = strdup("[unscrubbed output withheld]");
		if (outlen && out)
			*outlen = strlen(out);
		return out;
	}
	return NULL;
}

char *run_scrub_dup(const struct run_info *ri, const char *s, size_t len)
{
	if (!s)
		return NULL;
	size_t outlen;
	char *clean = run_scrub(ri, s, len, &outlen);
	if (clean)
		return clean;
	char *copy = malloc(len + 1);
	if (copy) {
		memcpy(copy, s, len);
		copy[len] = 0;
	}
	return copy;
}

void run_scrub_str(const struct run_info *ri, char **s)
{
	if (!*s)
		return;
	char *c = run_scrub(ri, *s, strlen(*s), NULL);
	if (c) {
		free(*s);
		*s = c;
	}
}

/* A scrubbed copy whose push raised: freed by the next call on the thread. */
static __thread char *t_pending;

int run_scrub_push(struct lua_State *L, const char *s, size_t len)
{
	size_t clen = 0;
	sandbox_noint_enter();
	free(t_pending);
	t_pending = run_scrub(NULL, s, len, &clen);
	sandbox_noint_leave();
	if (!t_pending)
		return 0;
	lua_pushlstring(L, t_pending, clen);   /* may raise */
	sandbox_noint_enter();
	free(t_pending);
	t_pending = NULL;
	sandbox_noint_leave();
	return 1;
}
