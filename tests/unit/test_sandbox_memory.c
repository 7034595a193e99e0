/* test_sandbox_memory.c - a run that breaks its memory limit fails, and the C
 * buffers of a run count against it (issue 12, item 5).
 * - Out-of-memory errors caught with pcall (one, or 501 in a loop) still fail
 *   the run: out of memory is sticky, like the CPU stop.
 * - A 20 MiB string (28 MiB in the issue) through hex.encode, base64.encode and json.encode under a
 *   64 MiB cap: the process's peak RSS grows by no more than the cap and a small
 *   slack, and the heap's accounting (charged C buffers included) by no more than
 *   the cap. Each case runs in its own child process, so each peak is its own. */
#include "check.h"
#include "playbook.h"
#include "sandbox.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_MIB   64
#define SLACK_MIB 16   /* the process: thread stacks, LuaJIT machine code */

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static enum sandbox_status run_body(struct sandbox *sb, const char *body, size_t cap_mib,
				    struct playbook_run *run)
{
	char code[2048];
	snprintf(code, sizeof code, "return { name = 'mem', run = function(ctx, input)\n%s\nend }\n", body);
	struct playbook_src src;
	playbook_load_string("mem.lua", code, strlen(code), &src);
	memset(run, 0, sizeof *run);
	sandbox_limits_default(&run->limits);
	run->limits.memory = cap_mib << 20;
	run->src = &src;
	playbook_run(sb, run);
	run->src = NULL;
	playbook_src_free(&src);
	return run->outcome.status;
}

/* In a child: the peak RSS growth of one run, in KiB, and its status. */
struct measure { long grew_kib; size_t peak_heap; int status; char msg[200]; };

static void measure(const char *body, struct measure *m)
{
	int fd[2];
	memset(m, 0, sizeof *m);
	if (pipe(fd) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		struct measure r = { 0 };
		struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
		struct playbook_run run;
		run_body(sb, "return 1", CAP_MIB, &run);   /* warm: JIT, modules */
		playbook_run_clear(&run);
		long before = rss_kib();
		r.status = run_body(sb, body, CAP_MIB, &run);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		r.grew_kib = ru.ru_maxrss - before;
		r.peak_heap = run.outcome.peak_memory;
		snprintf(r.msg, sizeof r.msg, "%s", run.outcome.message ? run.outcome.message : "ok");
		(void)!write(fd[1], &r, sizeof r);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], m, sizeof *m) != (ssize_t)sizeof *m)
		m->status = -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	/* C buffers: each in its own process, before this one starts any thread. */
	static const char *const big[] = {
		"local s = string.rep('x', 20 * 2^20) return { n = #hex.encode(s) }",
		"local s = string.rep('x', 20 * 2^20) return { n = #base64.encode(s) }",
		"local s = string.rep('x', 20 * 2^20) return { n = #json.encode(s) }",
		"local s = string.rep('x', 20 * 2^20) return { n = #json.encode({ s }) }",
		"local s = string.rep('x', 20 * 2^20)\n"
		"local ok = pcall(json.encode, s) return { ok = ok }",
		/* Every byte escaped: the encoder's buffer is twice the input. */
		"local s = string.rep('\"', 12 * 2^20) return { n = #json.encode(s) }",
	};
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		struct measure m;
		measure(big[i], &m);
		fprintf(stderr, "%-70.70s status %d, RSS +%ld MiB, heap peak %zu MiB: %s\n", big[i],
			m.status, m.grew_kib >> 10, m.peak_heap >> 20, m.msg);
		CHECK(m.status >= 0);
		CHECK(m.peak_heap <= (size_t)CAP_MIB << 20);
#if !defined(__SANITIZE_ADDRESS__)   /* ASan keeps freed blocks in quarantine */
		CHECK(m.grew_kib <= (CAP_MIB + SLACK_MIB) << 10);
		/* Memory outside the heap's accounting stays small. */
		CHECK(m.grew_kib <= (long)(m.peak_heap >> 10) + (8 << 10));
#endif
		/* What does not fit fails as out of memory, whoever caught it. */
		CHECK(m.status == SANDBOX_OK || m.status == SANDBOX_OUT_OF_MEMORY);
		if (i >= 4)
			CHECK(m.status == SANDBOX_OUT_OF_MEMORY);
	}

	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb)
		return CHECK_DONE();
	static const char *const caught[] = {
		"local ok = pcall(string.rep, 'x', 2^30) return { ok = ok }",
		"local n = 0\n"
		"for i = 1, 501 do\n"
		"  if not pcall(function() return string.rep('x', 2^30) end) then n = n + 1 end\n"
		"end\n"
		"return { caught = n }",
		"local t = {}\n"
		"pcall(function() while true do t[#t + 1] = {} end end)\n"
		"t = nil return { ok = true }",
		"local co = coroutine.wrap(function() return string.rep('x', 2^30) end)\n"
		"return { ok = pcall(co) }",
		"return { ok = xpcall(string.rep, function(e) return e end, 'x', 2^30) }",
	};
	for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
		struct playbook_run run;
		enum sandbox_status st = run_body(sb, caught[i], CAP_MIB, &run);
		if (st != SANDBOX_OUT_OF_MEMORY)
			fprintf(stderr, "caught OOM %zu: status %d: %s\n", i, st,
				run.outcome.message ? run.outcome.message : "ok");
		CHECK(st == SANDBOX_OUT_OF_MEMORY);
		CHECK(run.status == PLAYBOOK_FAILED);
		CHECK(run.outcome.message && strstr(run.outcome.message, "out of memory") &&
		      strstr(run.outcome.message, "64 MiB"));
		playbook_run_clear(&run);
	}
	/* And the next run, within its limit, succeeds. */
	struct playbook_run run;
	CHECK(run_body(sb, "return { n = #string.rep('x', 2^20) }", CAP_MIB, &run) == SANDBOX_OK);
	playbook_run_clear(&run);
	sandbox_free(sb);
	return CHECK_DONE();
}
