/* test_re.c - the `re` namespace: semantics, limits, the per-thread cache, and a
 * pathological match stopped by the sandbox's hard stop (then cleaned up). */
#include "check.h"
#include "playbook.h"
#include "prim.h"
#include "prims.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static lua_State *L;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs a chunk; joins all its results with "|" (nil as "nil", booleans and
 * numbers as tostring does), or "ERR: msg" when it raises. */
static const char *eval(const char *code)
{
	static char out[8192];
	size_t o = 0;
	out[0] = 0;
	if (luaL_dostring(L, code) != 0) {
		snprintf(out, sizeof out, "ERR: %s", lua_tostring(L, -1));
	} else {
		for (int i = 1; i <= lua_gettop(L); i++) {
			lua_getglobal(L, "tostring");
			lua_pushvalue(L, i);
			lua_call(L, 1, 1);
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i > 1 ? "|" : "",
					      lua_tostring(L, -1));
			lua_pop(L, 1);
			if (o >= sizeof out)
				break;
		}
	}
	lua_settop(L, 0);
	return out;
}

static lua_State *new_state(void)
{
	lua_State *S = luaL_newstate();
	luaL_openlibs(S);
	lua_pushcfunction(S, prim_open_re);
	lua_call(S, 0, 1);
	lua_setglobal(S, "re");
	return S;
}

static void test_match_find(void)
{
	CHECK_STR(eval("return re.match('hello world', '\\\\w+')"), "hello");
	CHECK_STR(eval("return re.match('key=value', '(\\\\w+)=(\\\\w+)')"), "key|value");
	CHECK_STR(eval("return re.match('abc', 'x')"), "nil");
	CHECK_STR(eval("return select('#', re.match('abc', 'x'))"), "1");
	CHECK_STR(eval("return re.match('ac', 'a(b)?(c)')"), "false|c");  /* unset group: false */
	CHECK_STR(eval("return re.match('2024-11-27', '(?<y>\\\\d+)-(?<m>\\\\d+)-(?<d>\\\\d+)')"),
		  "2024|11|27");
	CHECK_STR(eval("return re.match('a\\0b', 'a\\0(b)')"), "b");      /* NUL bytes */
	CHECK_STR(eval("return re.match('ABC', 'abc', 'i')"), "ABC");
	CHECK_STR(eval("return re.match('a\\nb', '^b$')"), "nil");
	CHECK_STR(eval("return re.match('a\\nb', '^b$', 'm')"), "b");
	CHECK_STR(eval("return re.match('a\\nb', 'a.b')"), "nil");
	CHECK_STR(eval("return re.match('a\\nb', 'a.b', 's') == 'a\\nb'"), "true");
	CHECK_STR(eval("return re.match('abc', 'a b # comment\\n c', 'x')"), "abc");
	/* "u": characters instead of bytes, Unicode classes. */
	CHECK_STR(eval("return re.match('\\195\\169', '^.$')"), "nil");
	CHECK_STR(eval("return re.match('\\195\\169', '^.$', 'u') == '\\195\\169'"), "true");
	CHECK_STR(eval("return re.match('\\195\\137T\\195\\137', '^\\\\w+$', 'u') ~= nil"), "true");
	CHECK_STR(eval("return re.match('ab\\255', '.', 'u')"), "nil|invalid UTF-8 at offset 2");
	/* (*UTF) in the pattern is noticed too: the subject is checked, not trusted. */
	CHECK_STR(eval("return re.match('\\255', '(*UTF).')"), "nil|invalid UTF-8 at offset 0");

	CHECK_STR(eval("return re.find('hello', 'l+')"), "3|4");
	CHECK_STR(eval("return re.find('hello', 'l(l)(o)')"), "3|5|l|o");
	CHECK_STR(eval("return re.find('hello', 'z')"), "nil");
	CHECK_STR(eval("return re.find('abab', 'ab', nil, 2)"), "3|4");
	CHECK_STR(eval("return re.find('abab', 'ab', nil, -2)"), "3|4");
	CHECK_STR(eval("return re.find('abab', 'ab', nil, -100)"), "1|2");
	CHECK_STR(eval("return re.find('abab', '$', nil, 5)"), "5|4");
	CHECK_STR(eval("return re.find('abab', 'ab', nil, 6)"), "nil");
	CHECK_STR(eval("return re.find('', '')"), "1|0");
	CHECK_STR(eval("return re.find('\\195\\169x', 'x', 'u', 2)"), "nil|init is inside a UTF-8 character");
}

static void test_gmatch(void)
{
	CHECK_STR(eval("local r = {} for w in re.gmatch('one two  three', '\\\\w+') do r[#r+1] = w end "
		       "return table.concat(r, ',')"), "one,two,three");
	CHECK_STR(eval("local r = {} for k, v in re.gmatch('a=1, b=2', '(\\\\w)=(\\\\d)') do "
		       "r[#r+1] = k .. v end return table.concat(r, ',')"), "a1,b2");
	/* Empty matches: as Perl and Python find them. */
	CHECK_STR(eval("local r = {} for m in re.gmatch('axb', 'x*') do r[#r+1] = '<' .. m .. '>' end "
		       "return table.concat(r)"), "<><x><><>");
	CHECK_STR(eval("local n = 0 for m in re.gmatch('\\195\\169\\195\\169', '', 'u') do n = n + 1 end return n"),
		  "3");
	CHECK_STR(eval("local n = 0 for m in re.gmatch('', 'x') do n = n + 1 end return n"), "0");
	CHECK_HAS(eval("for m in re.gmatch('x', '(') do end"), "re.gmatch: invalid pattern at offset 1");
}

static void test_gsub(void)
{
	CHECK_STR(eval("return re.gsub('a-b-c', '-', '+')"), "a+b+c|2");
	CHECK_STR(eval("return re.gsub('abc', 'x', '+')"), "abc|0");
	CHECK_STR(eval("return re.gsub('john smith', '(\\\\w+) (\\\\w+)', '$2, $1')"), "smith, john|1");
	CHECK_STR(eval("return re.gsub('2024-11-27', '(?<y>\\\\d+)-(?<m>\\\\d+)-(?<d>\\\\d+)', "
		       "'${d}/${m}/${y} ($0) $$5 ${1}')"), "27/11/2024 (2024-11-27) $5 2024|1");
	CHECK_STR(eval("return re.gsub('ac', 'a(b)?c', '[$1]')"), "[]|1");
	CHECK_STR(eval("return re.gsub('axb', 'x*', '-')"), "-a--b-|4");
	CHECK_STR(eval("return re.gsub('\\195\\169', '', '-', 'u') == '-\\195\\169-'"), "true");
	CHECK_STR(eval("return re.gsub('$1 a b', 'a|b', {a = 'A', b = false})"), "$1 A b|2");
	CHECK_STR(eval("return re.gsub('k1=v1;k2=v2', '(\\\\w+)=(\\\\w+)', {k1 = 'X'})"), "X;k2=v2|2");
	CHECK_STR(eval("return re.gsub('a b c', '\\\\w', function(c) "
		       "if c == 'b' then return nil end return c:upper() end)"), "A b C|3");
	CHECK_STR(eval("return re.gsub('x=1 y=2', '(\\\\w)=(\\\\d)', function(k, v) return v .. k end)"),
		  "1x 2y|2");
	CHECK_STR(eval("return re.gsub('abc', 'b', 5)"), "a5c|1");
	CHECK_STR(eval("return re.gsub('abc', 'b', function() return 7 end)"), "a7c|1");
	CHECK_HAS(eval("return re.gsub('abc', 'b', function() return {} end)"),
		  "re.gsub: repl gave a table; expected a string, number, false or nil");
	CHECK_HAS(eval("return re.gsub('abc', '(b)', '$2')"),
		  "repl refers to group 2 but the pattern has 1");
	CHECK_HAS(eval("return re.gsub('abc', '(b)', '${nope}')"), "repl refers to group 'nope'");
	CHECK_HAS(eval("return re.gsub('abc', 'b', '$x')"), "'$' in repl at offset 0 must be followed");
	CHECK_HAS(eval("return re.gsub('abc', 'b', 'x${1')"), "unterminated or empty ${...}");
	CHECK_HAS(eval("return re.gsub('abc', 'b')"), "re.gsub: repl is missing");
	/* An error in the callback propagates; nothing is left half-done. */
	CHECK_HAS(eval("return re.gsub('abc', 'b', function() error('boom') end)"), "boom");
	CHECK_STR(eval("return re.gsub('abc', 'b', 'B')"), "aBc|1");
}

static void test_split(void)
{
	CHECK_STR(eval("return table.concat(re.split('a,b,,c', ','), '|')"), "a|b||c");
	CHECK_STR(eval("return table.concat(re.split('a, b ,c', '\\\\s*,\\\\s*'), '|')"), "a|b|c");
	CHECK_STR(eval("return #re.split('', ',') .. ':' .. re.split('', ',')[1]"), "1:");
	CHECK_STR(eval("return table.concat(re.split(',a,', ','), '|')"), "|a|");
	CHECK_STR(eval("return table.concat(re.split('abc', ''), '|')"), "a|b|c");
	CHECK_STR(eval("return table.concat(re.split('axb', 'x*'), '|')"), "a|b");
	CHECK_STR(eval("return table.concat(re.split('a1b22c', '(\\\\d+)'), '|')"), "a|b|c");
	CHECK_STR(eval("return table.concat(re.split('one', ','), '|')"), "one");
}

static void test_usage(void)
{
	CHECK_HAS(eval("return re.match('x', 'x', 'q')"),
		  "re.match: unknown flag 'q' (flags are i, m, s, x, u); expected re.match(subject: string");
	CHECK_HAS(eval("return re.match('x', 'x', 1)"), "flags is a number, not a string");
	CHECK_HAS(eval("return re.match('x', '(a')"),
		  "re.match: invalid pattern at offset 2: missing closing parenthesis");
	CHECK_HAS(eval("return re.match('x', 'a{2,1}')"), "invalid pattern at offset");
	CHECK_HAS(eval("return re.match('x', '\\255', 'u')"), "invalid pattern at offset 0");
	CHECK_HAS(eval("return re.match('x', '\\\\C')"), "invalid pattern");   /* never \\C */
	CHECK_HAS(eval("return re.match(nil, 'x')"), "re.match: argument 1 is missing");
	CHECK_HAS(eval("return re.find('x', 'x', nil, 1.5)"), "init must be a whole number");
	CHECK_HAS(eval("return re.split({}, 'x')"), "re.split: argument 1 is table");
	CHECK_HAS(eval("return re.match('x', string.rep('a', 40000))"), "pattern longer than 32768 bytes");
}

static void test_limits(void)
{
	/* The classic: exponential backtracking stops at the match limit, quickly. */
	double t0 = now();
	CHECK_STR(eval("return re.match(string.rep('a', 40) .. 'b', '(a+)+$')"),
		  "nil|match limit exceeded");
	CHECK_STR(eval("return re.match(string.rep('a', 40) .. 'b', '(a+)+$', 'i')"),
		  "nil|match limit exceeded");
	CHECK_STR(eval("return re.gsub(string.rep('a', 40) .. 'b', '(a+)+$', '')"),
		  "nil|match limit exceeded");
	CHECK_STR(eval("return re.split(string.rep('a', 40) .. 'b', '(a+)+$')"),
		  "nil|match limit exceeded");
	CHECK_HAS(eval("for m in re.gmatch(string.rep('a', 40) .. 'b', '(a+)+$') do end"),
		  "re.gmatch: match limit exceeded");
	CHECK_STR(eval("return re.find(string.rep('a', 40) .. 'b', '(a*)*b')"), "1|41|");
	double took = now() - t0;
	CHECK(took < 1.0);
	if (took >= 1.0)
		fprintf(stderr, "pathological patterns took %.2fs\n", took);
	CHECK_STR(eval("return re.match(string.rep('a', 5000) .. '!', '(a|aa)+$')"),
		  "nil|match limit exceeded");
}

static void test_cache(void)
{
	/* More patterns than the cache holds, then the first ones again. */
	CHECK_STR(eval("for i = 1, 300 do assert(re.match('k' .. i, '^k' .. i .. '$')) end "
		       "for i = 1, 300 do assert(re.match('k' .. i, '^k' .. i .. '$') == 'k' .. i) end "
		       "return 'ok'"), "ok");
	/* Same pattern, different flags: different entries. */
	CHECK_STR(eval("return re.match('A', 'a', 'i'), re.match('A', 'a')"), "A|nil");
	/* A callback that evicts the entry gsub is using, every time. */
	CHECK_STR(eval("local s = string.rep('ab', 50) "
		       "local out, n = re.gsub(s, '(a)(b)', function(a, b) "
		       "  for i = 1, 100 do re.match('x' .. i, 'x' .. i .. '|y') end "
		       "  return b .. a end) "
		       "return out == string.rep('ba', 50), n"), "true|50");
	/* And an iterator across evictions. */
	CHECK_STR(eval("local r = {} for w in re.gmatch('a b c d', '\\\\w') do "
		       "  for i = 1, 100 do re.find('z', 'z' .. i) end r[#r+1] = w end "
		       "return table.concat(r)"), "abcd");
}

static void *thread_main(void *arg)
{
	(void)arg;
	lua_State *S = new_state();
	if (luaL_dostring(S, "for i = 1, 100 do re.match('a' .. i, 'a' .. i) end") != 0)
		fprintf(stderr, "thread: %s\n", lua_tostring(S, -1));
	lua_close(S);
	return NULL;
}

/* A thread that used re leaves nothing behind (ASan's leak check sees it). */
static void test_thread_exit(void)
{
	pthread_t th;
	for (int i = 0; i < 4; i++) {
		CHECK(pthread_create(&th, NULL, thread_main, NULL) == 0);
		pthread_join(th, NULL);
	}
}

/* The match limit counts per start position: a pattern that stays under it at
 * each of many positions runs on and on. The watchdog's hard stop must end it,
 * and the next run on the same thread must find re working (the abandoned
 * match's memory freed, not reused). The final group is unset: false. */
static void test_hard_stop(void)
{
	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb) {
		fprintf(stderr, "sandbox_new: %s\n", err);
		return;
	}
	static const char hostile[] =
		"return { name = 'hostile', run = function()\n"
		"  local s = string.rep(string.rep('a', 18) .. '!', 20000)\n"
		"  return { re.match(s, '(\\\\w+\\\\s?)*$') }\n"
		"end }\n";
	static const char after[] =
		"return { name = 'after', run = function()\n"
		"  local s = string.rep(string.rep('a', 18) .. '!', 3)\n"
		"  local m = re.match(s, '(\\\\w+\\\\s?)*$')\n"
		"  local n = select(2, re.gsub('a-b-c', '-', '+'))\n"
		"  return { m = m, n = n, limit = select(2, re.match(string.rep('a', 40) .. 'b', '(a+)+$')) }\n"
		"end }\n";
	for (int round = 0; round < 2; round++) {
		struct playbook_src src;
		struct playbook_run run;
		memset(&run, 0, sizeof run);
		sandbox_limits_default(&run.limits);
		run.limits.cpu_seconds = 0.5;
		run.limits.wall_seconds = 2;
		playbook_load_string("hostile.lua", hostile, strlen(hostile), &src);
		run.src = &src;
		double t0 = now();
		playbook_run(sb, &run);
		double took = now() - t0;
		CHECK(run.outcome.status == SANDBOX_CPU_LIMIT || run.outcome.status == SANDBOX_WALL_LIMIT);
		CHECK(took < 4);
		if (took >= 4 || (run.outcome.status != SANDBOX_CPU_LIMIT &&
				  run.outcome.status != SANDBOX_WALL_LIMIT))
			fprintf(stderr, "hostile regex: status %d in %.2fs: %s\n", run.outcome.status, took,
				run.outcome.message ? run.outcome.message : "(none)");
		playbook_run_clear(&run);
		playbook_src_free(&src);

		memset(&run, 0, sizeof run);
		sandbox_limits_default(&run.limits);
		playbook_load_string("after.lua", after, strlen(after), &src);
		run.src = &src;
		playbook_run(sb, &run);
		CHECK(run.status == PLAYBOOK_SUCCEEDED);
		CHECK_STR(run.result_json, "{\"limit\":\"match limit exceeded\",\"m\":false,\"n\":2}");
		playbook_run_clear(&run);
		playbook_src_free(&src);
	}
	sandbox_free(sb);
}

int main(void)
{
	L = new_state();
	test_match_find();
	test_gmatch();
	test_gsub();
	test_split();
	test_usage();
	test_limits();
	test_cache();
	lua_close(L);
	test_thread_exit();
	test_hard_stop();
	return CHECK_DONE();
}
