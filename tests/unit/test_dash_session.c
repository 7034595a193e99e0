/* test_dash_session.c - the dashboard's session table (daemon/dash_session.h):
 * ids and CSRF tokens random and of fixed size, idle and absolute expiry, a
 * full table pushing out the least recently seen, the cookie parsed strictly. */
#include "check.h"
#include "dash_session.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
	time_t t0 = 1800000000;
	struct dash_session *a = dash_session_new("alice", t0);
	CHECK(a != NULL);
	if (!a)
		return CHECK_DONE();
	char sid[DASH_SID_LEN + 1], csrf[DASH_CSRF_LEN + 1];
	snprintf(sid, sizeof sid, "%s", a->sid);
	snprintf(csrf, sizeof csrf, "%s", a->csrf);
	CHECK(strlen(sid) == DASH_SID_LEN && strlen(csrf) == DASH_CSRF_LEN);
	CHECK(strspn(sid, "0123456789abcdef") == DASH_SID_LEN);
	struct dash_session *b = dash_session_new("bob", t0);
	CHECK(b && strcmp(b->sid, sid) != 0 && strcmp(b->csrf, csrf) != 0);

	/* found by its id only */
	CHECK(dash_session_find(sid, t0 + 1) == a);
	CHECK(strcmp(a->user, "alice") == 0);
	char wrong[DASH_SID_LEN + 1];
	snprintf(wrong, sizeof wrong, "%s", sid);
	wrong[5] = wrong[5] == '0' ? '1' : '0';
	CHECK(dash_session_find(wrong, t0 + 1) == NULL);
	CHECK(dash_session_find("", t0) == NULL);
	CHECK(dash_session_find(NULL, t0) == NULL);
	CHECK(dash_session_find("abc", t0) == NULL);

	/* CSRF: its own token only */
	CHECK(dash_session_csrf_ok(a, csrf));
	CHECK(!dash_session_csrf_ok(a, b->csrf));
	CHECK(!dash_session_csrf_ok(a, ""));
	CHECK(!dash_session_csrf_ok(a, NULL));
	char longer[DASH_CSRF_LEN + 2];
	snprintf(longer, sizeof longer, "%sx", csrf);
	CHECK(!dash_session_csrf_ok(a, longer));
	CHECK(!dash_session_csrf_ok(NULL, csrf));

	/* idle expiry, refreshed by use; absolute expiry regardless */
	CHECK(dash_session_find(sid, t0 + DASH_SESSION_IDLE - 1) == a);
	CHECK(dash_session_find(sid, t0 + 2 * DASH_SESSION_IDLE - 2) == a);
	CHECK(dash_session_find(b->sid, t0 + DASH_SESSION_IDLE + 5) == NULL);  /* bob idle */
	time_t t = t0;
	while (t + DASH_SESSION_IDLE / 2 < t0 + DASH_SESSION_TTL) {
		t += DASH_SESSION_IDLE / 2;
		CHECK(dash_session_find(sid, t) == a);
	}
	CHECK(dash_session_find(sid, t0 + DASH_SESSION_TTL) == NULL);

	/* sign-out ends it */
	struct dash_session *c = dash_session_new("carol", t0);
	snprintf(sid, sizeof sid, "%s", c->sid);
	dash_session_end(c);
	CHECK(dash_session_find(sid, t0) == NULL);

	/* a full table pushes out the least recently seen, not a live busy one */
	time_t t1 = t0 + 10 * DASH_SESSION_TTL;
	struct dash_session *first = dash_session_new("first", t1);
	char first_sid[DASH_SID_LEN + 1];
	snprintf(first_sid, sizeof first_sid, "%s", first->sid);
	struct dash_session *busy = dash_session_new("busy", t1);
	char busy_sid[DASH_SID_LEN + 1];
	snprintf(busy_sid, sizeof busy_sid, "%s", busy->sid);
	for (int i = 0; i < DASH_SESSIONS - 2; i++)
		CHECK(dash_session_new("filler", t1 + 1) != NULL);
	CHECK(dash_session_find(busy_sid, t1 + 2) != NULL);
	CHECK(dash_session_new("newcomer", t1 + 3) != NULL);
	CHECK(dash_session_find(first_sid, t1 + 3) == NULL);
	CHECK(dash_session_find(busy_sid, t1 + 3) != NULL);

	/* the cookie: exactly soar_session=<64 hex>, among others */
	char got[DASH_SID_LEN + 1];
	char cookie[300];
	snprintf(cookie, sizeof cookie, "a=1; soar_session=%s; b=2", busy_sid);
	CHECK(dash_cookie_sid(cookie, got) == 1 && strcmp(got, busy_sid) == 0);
	snprintf(cookie, sizeof cookie, "soar_session=%sff", busy_sid);
	CHECK(dash_cookie_sid(cookie, got) == 0);
	snprintf(cookie, sizeof cookie, "xsoar_session=%s", busy_sid);
	CHECK(dash_cookie_sid(cookie, got) == 0);
	CHECK(dash_cookie_sid(NULL, got) == 0);
	CHECK(dash_cookie_sid("", got) == 0);
	return CHECK_DONE();
}
