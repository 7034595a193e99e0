/* test_crypto.c - digests and HMAC against published vectors, random bytes,
 * constant-time comparison, and UUIDs (format, version and variant bits, order). */
#include "check.h"
#include "lua_eval.h"
#include "prim.h"
#include "prims.h"
#include "uuid.h"

#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

static void test_digests(void)
{
	/* FIPS 180-2 / RFC 1321 vectors. */
	CHECK_STR(eval("return crypto.sha256('abc')"),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(eval("return crypto.sha256('')"),
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(eval("return crypto.sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')"),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(eval("return crypto.sha1('abc')"), "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK_STR(eval("return crypto.md5('abc')"), "900150983cd24fb0d6963f7d28e17f72");
	CHECK_STR(eval("return crypto.md5('')"), "d41d8cd98f00b204e9800998ecf8427e");
	/* Raw bytes: the same digest before hex. */
	CHECK_STR(eval("local r = crypto.sha256('abc', {raw = true}) "
		       "return #r .. ' ' .. r:gsub('.', function(c) return string.format('%02x', c:byte()) end)"),
		  "32 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(eval("return tostring(#crypto.sha1('', {raw = true}) == 20 and #crypto.md5('', {raw = true}) == 16)"),
		  "true");
	/* Binary input with NULs. */
	CHECK_STR(eval("return tostring(crypto.sha256('a\\0b') ~= crypto.sha256('a'))"), "true");
}

static void test_hmac(void)
{
	/* RFC 4231 test case 2. */
	CHECK_STR(eval("return crypto.hmac_sha256('Jefe', 'what do ya want for nothing?')"),
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 1: key 20 x 0x0b, "Hi There". */
	CHECK_STR(eval("return crypto.hmac_sha256(string.rep('\\11', 20), 'Hi There')"),
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 6: a key longer than the block is hashed first. */
	CHECK_STR(eval("return crypto.hmac_sha256(string.rep('\\170', 131), "
		       "'Test Using Larger Than Block-Size Key - Hash Key First')"),
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* A 64-byte key is used as is (the block-size edge). */
	CHECK_STR(eval("return tostring(crypto.hmac_sha256(string.rep('k', 64), 'm') ~= "
		       "crypto.hmac_sha256(crypto.sha256(string.rep('k', 64), {raw = true}), 'm'))"), "true");
	CHECK_STR(eval("return tostring(#crypto.hmac_sha256('k', 'm', {raw = true}))"), "32");
}

static void test_random_equal(void)
{
	CHECK_STR(eval("return tostring(#crypto.random(16))"), "16");
	CHECK_STR(eval("return crypto.random(0)"), "");
	CHECK_STR(eval("return tostring(#crypto.random(1048576))"), "1048576");
	CHECK_STR(eval("return tostring(crypto.random(32) ~= crypto.random(32))"), "true");
	/* Every byte value shows up in 64 KiB of random bytes. */
	CHECK_STR(eval("local s, seen, n = crypto.random(65536), {}, 0 "
		       "for i = 1, #s do local b = s:byte(i) if not seen[b] then seen[b] = true n = n + 1 end end "
		       "return tostring(n)"), "256");
	CHECK_HAS(eval("return crypto.random(1048577)"), "n must be a whole number from 0 to 1048576");
	CHECK_HAS(eval("return crypto.random(-1)"), "crypto.random: n must be");
	CHECK_HAS(eval("return crypto.random(1.5)"), "n must be a whole number");
	CHECK_HAS(eval("return crypto.random('8')"), "argument 1 is string, not a number");

	CHECK_STR(eval("return tostring(crypto.equal('abc', 'abc'))"), "true");
	CHECK_STR(eval("return tostring(crypto.equal('abc', 'abd'))"), "false");
	CHECK_STR(eval("return tostring(crypto.equal('abc', 'ab'))"), "false");
	CHECK_STR(eval("return tostring(crypto.equal('', ''))"), "true");
	CHECK_STR(eval("return tostring(crypto.equal('a\\0b', 'a\\0c'))"), "false");
	CHECK_HAS(eval("return crypto.equal('a', 1)"), "crypto.equal: both arguments must be strings");
	CHECK_HAS(eval("return crypto.sha256('a', {hex = true})"), "unknown option hex");
	CHECK_HAS(eval("return crypto.hmac_sha256('k')"),
		  "crypto.hmac_sha256: argument 2 is missing, not a string");
}

static int hexdig(char c)
{
	return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static int canonical_lower(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hexdig(s[i]) < 0) {
			return 0;
		}
	}
	return 1;
}

static void test_uuid(void)
{
	char a[37], b[37];
	for (int i = 0; i < 100; i++) {
		uuid_v4(a);
		CHECK(canonical_lower(a) && a[14] == '4' && strchr("89ab", a[19]));
		uuid_v7(b);
		CHECK(canonical_lower(b) && b[14] == '7' && strchr("89ab", b[19]));
		CHECK(uuid_valid(a, 36) && uuid_valid(b, 36));
	}
	/* v7: strictly increasing within a thread, even within one millisecond. */
	char prev[37];
	uuid_v7(prev);
	int ordered = 1;
	for (int i = 0; i < 10000; i++) {
		uuid_v7(b);
		if (strcmp(b, prev) <= 0)
			ordered = 0;
		memcpy(prev, b, sizeof b);
	}
	CHECK(ordered);
	/* The first 48 bits are the Unix time in milliseconds. */
	CHECK_STR(eval("local u = uuid.v7() local ms = tonumber(u:sub(1, 8) .. u:sub(10, 13), 16) "
		       "return tostring(math.abs(ms / 1000 - os.time()) < 5)"), "true");
	CHECK_STR(eval("local u = uuid.v4() return u:sub(15, 15) .. tostring(#u)"), "436");
	CHECK_STR(eval("return tostring(uuid.v4() ~= uuid.v4())"), "true");
	CHECK(!uuid_valid("0189d3b0-5c3a-7b1e-9f1a-0a1b2c3d4e5", 35));
	CHECK(!uuid_valid("0189d3b0x5c3a-7b1e-9f1a-0a1b2c3d4e5f", 36));
	CHECK(!uuid_valid("0189d3b0-5c3a-7b1e-9f1a-0a1b2c3d4e5g", 36));
	CHECK(uuid_valid("0189D3B0-5C3A-7B1E-9F1A-0A1B2C3D4E5F", 36));
	CHECK_STR(eval("return tostring(uuid.valid('00000000-0000-0000-0000-000000000000'))"), "true");
	CHECK_STR(eval("return tostring(uuid.valid('{00000000-0000-0000-0000-000000000000}'))"), "false");
	CHECK_STR(eval("return tostring(uuid.valid(''))"), "false");
	CHECK_HAS(eval("return uuid.valid(5)"), "uuid.valid: argument 1 is number, not a string");
}

int main(void)
{
	L = luaL_newstate();
	luaL_openlibs(L);
	open_ns("crypto", prim_open_crypto);
	open_ns("uuid", prim_open_uuid);
	test_digests();
	test_hmac();
	test_random_equal();
	test_uuid();
	lua_close(L);
	return CHECK_DONE();
}
