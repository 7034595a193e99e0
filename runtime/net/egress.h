/* egress.h - which hosts a piece of sandboxed code may reach over the network.
 *
 * A scope is a fixed-size value (no pointers, no allocation) so that it can live
 * inside a Lua userdata that sandboxed code cannot read or change: the http
 * functions handed to an integration carry their scope as an upvalue, and the
 * check happens here, in C, on every request and every redirect hop.
 *
 * Patterns: an exact host name or address ("api.bonus.ly", "127.0.0.1", "::1"),
 * or "*.example.com" for any name under example.com (not example.com itself).
 * Case does not matter, ports are not part of a pattern, and a trailing dot is
 * ignored. Nothing else (no "*" alone, no wildcard in the middle).
 */
#ifndef SOAR_EGRESS_H
#define SOAR_EGRESS_H

#include <stddef.h>

#define EGRESS_MAX_HOSTS 24
#define EGRESS_HOST_LEN  256

enum egress_kind { EGRESS_PLAYBOOK = 1, EGRESS_INTEGRATION = 2 };

struct egress_scope {
	enum egress_kind kind;
	char who[96];                 /* "integration bonusly", "playbook daily" */
	size_t nhosts;
	char hosts[EGRESS_MAX_HOSTS][EGRESS_HOST_LEN];   /* lowercase patterns */
};

/* Bytes of a scope holding n hosts: a scope that will not grow is kept at this
 * size (a playbook's, one per run, 6 KiB at full size). Copy such a scope with
 * egress_copy, never by assignment. */
#define EGRESS_SCOPE_SIZE(n) (offsetof(struct egress_scope, hosts) + (size_t)(n) * EGRESS_HOST_LEN)
void egress_copy(struct egress_scope *dst, const struct egress_scope *src);

/* Checks a pattern's form. Returns 0, or -1 with the reason in err. */
int egress_pattern_check(const char *pattern, char *err, size_t errlen);

/* Adds a pattern (lowercased). Returns 0, or -1 with the reason (bad form, too
 * many). Adding one already present does nothing. */
int egress_add(struct egress_scope *s, const char *pattern, char *err, size_t errlen);

/* Adds the host of an http(s) URL (a configured base URL). 0 or -1. */
int egress_add_url_host(struct egress_scope *s, const char *url, char *err, size_t errlen);

/* 1 if `host` (as http_url_host gives it) matches one of the scope's patterns. */
int egress_allows(const struct egress_scope *s, const char *host);

/* Logs a refusal (warn level, source "egress") for run `run_id` (may be NULL). */
void egress_log_denied(const struct egress_scope *s, const char *run_id, const char *host);

#endif
