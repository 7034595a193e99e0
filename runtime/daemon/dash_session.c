/* dash_session.c - the dashboard's session table (dash_session.h). A fixed
 * table: a sign-in past DASH_SESSIONS live sessions pushes out the one seen
 * least recently, so sign-ins cannot grow the daemon's memory. */
#include "dash_session.h"

#include "base64.h"
#include "hex.h"
#include "randbytes.h"

#include <stdio.h>
#include <string.h>

static struct dash_session table[DASH_SESSIONS];

static int live(const struct dash_session *s, time_t now)
{
	return s->sid[0] && now - s->created < DASH_SESSION_TTL && now - s->seen < DASH_SESSION_IDLE;
}

static int ct_eq(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

struct dash_session *dash_session_new(const char *user, time_t now)
{
	struct dash_session *s = &table[0];
	for (size_t i = 0; i < DASH_SESSIONS; i++) {
		if (!live(&table[i], now)) {
			s = &table[i];
			break;
		}
		if (table[i].seen < s->seen)
			s = &table[i];
	}
	unsigned char sid[32], csrf[32];
	if (randbytes(sid, sizeof sid) != 0 || randbytes(csrf, sizeof csrf) != 0)
		return NULL;
	memset(s, 0, sizeof *s);
	hex_encode(sid, sizeof sid, s->sid);
	s->sid[DASH_SID_LEN] = 0;
	base64_encode(csrf, sizeof csrf, s->csrf, BASE64_URL);
	s->csrf[DASH_CSRF_LEN] = 0;
	snprintf(s->user, sizeof s->user, "%s", user);
	s->created = s->seen = now;
	return s;
}

struct dash_session *dash_session_find(const char *sid, time_t now)
{
	if (!sid || strlen(sid) != DASH_SID_LEN)
		return NULL;
	for (size_t i = 0; i < DASH_SESSIONS; i++) {
		struct dash_session *s = &table[i];
		if (s->sid[0] && ct_eq(s->sid, sid, DASH_SID_LEN)) {
			if (!live(s, now)) {
				dash_session_end(s);
				return NULL;
			}
			s->seen = now;
			return s;
		}
	}
	return NULL;
}

void dash_session_end(struct dash_session *s)
{
	memset(s, 0, sizeof *s);
}

int dash_session_csrf_ok(const struct dash_session *s, const char *token)
{
	return s && token && strlen(token) == DASH_CSRF_LEN && ct_eq(s->csrf, token, DASH_CSRF_LEN);
}

int dash_cookie_sid(const char *cookie, char sid[DASH_SID_LEN + 1])
{
	sid[0] = 0;
	for (const char *p = cookie; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t l = strcspn(p, ";");
		if (l == 13 + DASH_SID_LEN && strncmp(p, "soar_session=", 13) == 0) {
			memcpy(sid, p + 13, DASH_SID_LEN);
			sid[DASH_SID_LEN] = 0;
			return 1;
		}
		p += l;
	}
	return 0;
}
