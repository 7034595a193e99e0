/* slack.h - checking that a request really comes from Slack (interactive
 * callbacks: a person pressed a prompt's button). No Lua here; the daemon's
 * callback endpoint and the `slack.verify` primitive both use it.
 *
 * Slack signs each request: X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing
 * secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body)). A request is
 * accepted when the signature matches (compared in constant time) and the
 * timestamp is within 5 minutes of now (replays of old requests are refused).
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
#ifndef SOAR_SLACK_H
#define SOAR_SLACK_H

#include <stddef.h>
#include <stdint.h>

#define SLACK_MAX_SKEW 300   /* seconds */

enum slack_verdict {
	SLACK_OK = 0,
	SLACK_BAD_SIGNATURE,     /* wrong, missing, or not "v0=" + 64 hex digits */
	SLACK_STALE,             /* timestamp more than 5 minutes from now */
	SLACK_MALFORMED,         /* timestamp not a number */
};

/* Checks one request. `now` is Unix seconds. Never says why a signature is
 * wrong beyond the verdict (no partial matches leak). */
enum slack_verdict slack_verify(const char *signing_secret, size_t secret_len,
				const char *timestamp, const char *body, size_t body_len,
				const char *signature, int64_t now);

/* "ok", "bad signature", "stale timestamp", "malformed timestamp". */
const char *slack_verdict_name(enum slack_verdict v);

#endif
