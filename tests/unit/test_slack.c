/* test_slack.c - Slack request signatures, with the example values of Slack's
 * own documentation ("Verifying requests from Slack"). */
#include "check.h"
#include "slack.h"

#include <string.h>

static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char ts[] = "1531420618";
static const char body[] =
	"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
	"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
	"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIG"
	"lgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char sig[] = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

int main(void)
{
	size_t sl = strlen(secret), bl = strlen(body);
	int64_t now = 1531420618 + 10;
	CHECK(slack_verify(secret, sl, ts, body, bl, sig, now) == SLACK_OK);
	/* upper-case hex is the same signature */
	char upper[sizeof sig];
	memcpy(upper, sig, sizeof sig);
	for (char *p = upper + 3; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	CHECK(slack_verify(secret, sl, ts, body, bl, upper, now) == SLACK_OK);
	/* one byte of the body, the secret, or the signature changed */
	char other[sizeof body];
	memcpy(other, body, sizeof body);
	other[10] ^= 1;
	CHECK(slack_verify(secret, sl, ts, other, bl, sig, now) == SLACK_BAD_SIGNATURE);
	CHECK(slack_verify("8f742231b10e8888abcd99yyyzzz85a6", sl, ts, body, bl, sig, now) == SLACK_BAD_SIGNATURE);
	char bad[sizeof sig];
	memcpy(bad, sig, sizeof sig);
	bad[66] = bad[66] == '3' ? '4' : '3';
	CHECK(slack_verify(secret, sl, ts, body, bl, bad, now) == SLACK_BAD_SIGNATURE);
	CHECK(slack_verify(secret, sl, ts, body, bl, "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
			   now) == SLACK_BAD_SIGNATURE);
	CHECK(slack_verify(secret, sl, ts, body, bl, "v0=abc", now) == SLACK_BAD_SIGNATURE);
	CHECK(slack_verify(secret, sl, ts, body, bl, NULL, now) == SLACK_BAD_SIGNATURE);
	/* the 5-minute window, both ways */
	CHECK(slack_verify(secret, sl, ts, body, bl, sig, 1531420618 + 300) == SLACK_OK);
	CHECK(slack_verify(secret, sl, ts, body, bl, sig, 1531420618 + 301) == SLACK_STALE);
	CHECK(slack_verify(secret, sl, ts, body, bl, sig, 1531420618 - 301) == SLACK_STALE);
	CHECK(slack_verify(secret, sl, "15314x0618", body, bl, sig, now) == SLACK_MALFORMED);
	CHECK(slack_verify(secret, sl, "", body, bl, sig, now) == SLACK_MALFORMED);
	CHECK(strcmp(slack_verdict_name(SLACK_STALE), "stale timestamp") == 0);
	return CHECK_DONE();
}
