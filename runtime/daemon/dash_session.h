/* dash_session.h - the web dashboard's sign-in sessions: a server-side table
 * (the cookie holds only a random session id, never the API token), each with
 * its own CSRF token, an absolute expiry and an idle expiry. Used on the loop's
 * thread only: no locking. */
#ifndef SOAR_DASH_SESSION_H
#define SOAR_DASH_SESSION_H

#include <stdint.h>
#include <time.h>

#define DASH_SID_LEN 64      /* hex of 32 random bytes */
#define DASH_CSRF_LEN 43     /* base64url of 32 random bytes */
#define DASH_SESSIONS 256    /* at most this many at once; the oldest goes first */
#define DASH_SESSION_TTL (8 * 3600)
#define DASH_SESSION_IDLE (3600)

struct dash_session {
	char sid[DASH_SID_LEN + 1];
	char csrf[DASH_CSRF_LEN + 1];
	char user[128];
	time_t created, seen;
};

/* A new session for `user`; NULL when no randomness is to be had. The pointer
 * stays valid until the session ends or is pushed out. */
struct dash_session *dash_session_new(const char *user, time_t now);
/* The live session with id `sid` (refreshes its idle clock), or NULL. */
struct dash_session *dash_session_find(const char *sid, time_t now);
/* Ends it (sign-out). */
void dash_session_end(struct dash_session *s);
/* 1 when `token` is the session's CSRF token (constant time). */
int dash_session_csrf_ok(const struct dash_session *s, const char *token);
/* The session id from a Cookie header (name soar_session), copied into sid. */
int dash_cookie_sid(const char *cookie, char sid[DASH_SID_LEN + 1]);

#endif
