/* prompt_link.h - per-prompt links: the token an emailed (or posted) link
 * carries instead of any API token.
 *
 * A token names one prompt, one addressee and an expiry, signed with
 * HMAC-SHA256 under a key derived from the vault's master key (so it cannot be
 * made without the master key, and rotating the master key voids every link):
 *   "v1." EXPIRY (Unix seconds) "." base64url(addressee) "." base64url(mac)
 *   mac = HMAC(key, "soarctl prompt link v1" 0 prompt-id 0 addressee 0 EXPIRY)
 * It is single-use because it can only answer its prompt, once: a prompt
 * answered is closed, so the same link replayed is refused. It is never written
 * to a journal, a log or a timeline: runs rebuild it when they need it.
 */
#ifndef SOAR_PROMPT_LINK_H
#define SOAR_PROMPT_LINK_H

#include <stddef.h>
#include <stdint.h>

#define PROMPT_LINK_MAX 400         /* bytes of a token, NUL included */
#define PROMPT_LINK_TTL_DEFAULT (7 * 86400)

enum prompt_link_verdict {
	PROMPT_LINK_OK = 0,
	PROMPT_LINK_BAD = -1,       /* not ours, another prompt's, altered */
	PROMPT_LINK_EXPIRED = -2,
	PROMPT_LINK_NO_KEY = -3,    /* no master key here (err says why) */
};

/* Seconds a link lives: $SOARCTL_PROMPT_LINK_TTL, else 7 days. */
int64_t prompt_link_ttl(void);

/* When a link for a prompt created at `created_ms` with timeout `timeout_ms`
 * (0: none) expires, in Unix seconds: the timeout or the TTL, the earlier. */
int64_t prompt_link_expiry(int64_t created_ms, int64_t timeout_ms);

/* Makes the token (URL-safe characters only). 0, or PROMPT_LINK_NO_KEY with err. */
int prompt_link_make(const char *prompt_id, const char *addressee, int64_t expires_s,
		     char out[PROMPT_LINK_MAX], char *err, size_t errlen);

/* Checks a token for `prompt_id` at `now_s`: PROMPT_LINK_OK with the addressee
 * copied out, or a verdict with err saying what is wrong and what to do. */
int prompt_link_check(const char *prompt_id, const char *token, int64_t now_s,
		      char *addressee, size_t alen, char *err, size_t errlen);

#endif
