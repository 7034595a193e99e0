/* prim_uuid.c - the `uuid` namespace and uuid.h.
 *
 * The only state is the last v7 timestamp of the calling thread (thread-local):
 * it keeps one thread's ids increasing; it holds no secret and no Lua value.
 */
#include "uuid.h"
#include "prim.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

static void random_fill(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* No sane fallback: a guessable id is worse than no id. */
			fprintf(stderr, "soarctl: getrandom failed: errno %d\n", errno);
			abort();
		}
		p += r;
		n -= (size_t)r;
	}
}

static void format(const unsigned char b[16], char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[b[i] >> 4];
		out[o++] = digits[b[i] & 15];
	}
	out[o] = 0;
}

void uuid_v4(char out[UUID_STR_LEN + 1])
{
	unsigned char b[16];
	random_fill(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10 */
	format(b, out);
}

/* Time in units of 1/4096 ms: 48 bits of milliseconds, 12 bits of fraction. */
static _Thread_local uint64_t v7_last;

void uuid_v7(char out[UUID_STR_LEN + 1])
{
	unsigned char b[16];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	uint64_t frac = (uint64_t)(ts.tv_nsec % 1000000) * 4096 / 1000000;
	uint64_t t = ms << 12 | frac;
	if (t <= v7_last) /* same tick, or the clock stepped back */
		t = v7_last + 1;
	v7_last = t;
	random_fill(b, sizeof b);
	ms = t >> 12;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | ((t >> 8) & 0x0F)); /* version 7, fraction high */
	b[7] = (unsigned char)(t & 0xFF);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);     /* variant 10 */
	format(b, out);
}

int uuid_valid(const char *s, size_t len)
{
	if (len != UUID_STR_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return 1;
}

static int l_v4(lua_State *L)
{
	char s[UUID_STR_LEN + 1];
	uuid_v4(s);
	lua_pushlstring(L, s, UUID_STR_LEN);
	return 1;
}

static int l_v7(lua_State *L)
{
	char s[UUID_STR_LEN + 1];
	uuid_v7(s);
	lua_pushlstring(L, s, UUID_STR_LEN);
	return 1;
}

static int l_valid(lua_State *L)
{
	size_t len;
	if (lua_type(L, 1) != LUA_TSTRING)
		prim_usage(L, "uuid.valid(s: string)", "argument 1 is %s, not a string",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	const char *s = lua_tolstring(L, 1, &len);
	lua_pushboolean(L, uuid_valid(s, len));
	return 1;
}

static const luaL_Reg uuid_fns[] = {
	{ "v4", l_v4 },
	{ "v7", l_v7 },
	{ "valid", l_valid },
	{ NULL, NULL },
};

int prim_open_uuid(lua_State *L)
{
	lua_createtable(L, 0, 3);
	luaL_register(L, NULL, uuid_fns);
	return 1;
}
