/* test_runloop_writes.c - the writes runs make from a run loop go out in
 * group-committed batches and stay durable and audited:
 * - case.note from many runs at once: every note is in the case's timeline and
 *   the audit log, each run's journal records its note's number, a refused
 *   note is journaled as nil, err, and the notes share commits;
 * - a run's final record (its end) is written in a batch too;
 * - SIGKILL while notes are in flight: a note and its journal entry are
 *   durable together (one transaction), so after the crash the timeline holds
 *   exactly the notes the journals record, and resuming the runs finishes them
 *   with no note lost or written twice. */
#include "check.h"
#include "audit.h"
#include "case.h"
#include "datadir.h"
#include "engine.h"
#include "runloop.h"
#include "store.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 200

static char dir[] = "/tmp/soar-rlw-XXXXXX";

struct tally {
	int ok, other;
	char last[512];
};

static void on_done(struct engine_run *e, int status, void *ud)
{
	struct tally *t = ud;
	if (status == RUN_SUCCEEDED)
		t->ok++;
	else
		t->other++;
	snprintf(t->last, sizeof t->last, "%s", status == RUN_SUCCEEDED && e->pb.result_json
		 ? e->pb.result_json : (e->pb.outcome.message ? e->pb.outcome.message : "?"));
	if (status != RUN_SUCCEEDED)
		fprintf(stderr, "run ended %d: %s\n", status, t->last);
}

/* Writes a playbook file (engine_resume reloads runs from their file). */
static void write_playbook(const char *path, const char *name, const char *body,
			   struct playbook_src *src)
{
	FILE *f = fopen(path, "w");
	fprintf(f, "return { name = '%s', run = function(ctx, input)\n%s\nend }\n", name, body);
	fclose(f);
	char err[256];
	if (playbook_load_file(path, src, err, sizeof err) != 0)
		fprintf(stderr, "%s\n", err);
}

struct audit_count {
	const char *object;
	int n;
};

static int count_action(const struct audit_entry *e, void *ud)
{
	struct audit_count *c = ud;
	if (e->action_len == 9 && memcmp(e->action, "case.note", 9) == 0 &&
	    e->object_len == strlen(c->object) && memcmp(e->object, c->object, e->object_len) == 0)
		c->n++;
	return 0;
}

/* Notes of the case's timeline (entries of kind note). */
static int timeline_notes(struct store *st, const char *ref)
{
	struct case_entry *ent = NULL;
	size_t n = 0;
	char err[256];
	if (case_timeline(st, ref, 1, 0, &ent, &n, err, sizeof err) != 0) {
		fprintf(stderr, "timeline: %s\n", err);
		return -1;
	}
	int notes = 0;
	for (size_t i = 0; i < n; i++)
		notes += ent[i].kind == CASE_ENTRY_NOTE;
	case_entries_free(ent, n);
	free(ent);
	return notes;
}

static void test_notes(struct store *st)
{
	char err[256];
	struct case_fields f;
	case_fields_init(&f);
	case_fields_set(&f, "title", "noted by runs", err, sizeof err);
	struct case_rec c;
	CHECK(case_create(st, &f, "test", &c, NULL, err, sizeof err) == 0);
	case_fields_free(&f);
	char ref[32];
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)c.seq);
	case_rec_free(&c);

	char body[512], path[4096];
	snprintf(body, sizeof body,
		 "local n = case.note(%s, 'seen by a run')\n"
		 "local none, err = case.note(999999, 'nowhere')\n"
		 "return { n = type(n), none = none, err = err }", ref);
	snprintf(path, sizeof path, "%s/note.lua", dir);
	struct playbook_src src;
	write_playbook(path, "note", body, &src);

	struct runloop *rl = runloop_new(st, SOAR_SOURCE_LUA_DIR, err, sizeof err);
	CHECK(rl != NULL);
	if (!rl)
		return;
	struct store_stats s0, s1;
	store_get_stats(st, &s0);
	struct tally t = { 0 };
	for (int i = 0; i < RUNS; i++)
		CHECK(runloop_start(rl, &src, NULL, NULL, on_done, &t) == 0);
	CHECK(runloop_run(rl) == RUNS);
	store_get_stats(st, &s1);
	CHECK(t.ok == RUNS);
	CHECK_HAS(t.last, "\"n\":\"number\"");
	CHECK_HAS(t.last, "\"err\":\"");
	/* Each run: two notes and its end; together in a handful of commits. */
	fprintf(stderr, "%d runs with two notes each: %llu commits\n", RUNS,
		(unsigned long long)(s1.commits - s0.commits));
	CHECK(s1.commits - s0.commits < RUNS / 4);

	CHECK(timeline_notes(st, ref) == RUNS);
	char object[64];
	snprintf(object, sizeof object, "case %s", ref);
	struct audit_count ac = { object, 0 };
	CHECK(audit_list(st, 0, 0, count_action, &ac, err, sizeof err) == 0);
	CHECK(ac.n == RUNS);

	/* Every run's record is final, with its journal: note number, refusal. */
	struct run_rec *runs = NULL;
	size_t nruns = 0;
	CHECK(run_list(st, RUN_SUCCEEDED, 0, &runs, &nruns, err, sizeof err) == 0);
	int numbers[RUNS + 2] = { 0 };
	size_t mine = 0;
	for (size_t i = 0; i < nruns; i++) {
		if (!runs[i].playbook || strcmp(runs[i].playbook, "note") != 0) {
			run_rec_free(&runs[i]);
			continue;
		}
		mine++;
		CHECK(runs[i].finished > 0 && runs[i].steps == 2);
		struct journal_entry *j = NULL;
		size_t nj = 0;
		CHECK(journal_load(st, runs[i].id, &j, &nj, err, sizeof err) == 0);
		CHECK(nj == 2);
		if (nj == 2) {
			CHECK_STR(j[0].name, "case.note");
			unsigned no = 0;
			CHECK(sscanf(j[0].result_json, "[%u]", &no) == 1);
			if (no >= 2 && no < RUNS + 2)
				numbers[no]++;      /* entry 1 is "created" */
			CHECK_HAS(j[1].result_json, "[null,\"");
		}
		journal_entries_free(j, nj);
		run_rec_free(&runs[i]);
	}
	free(runs);
	CHECK(mine == RUNS);
	int distinct = 0;
	for (int i = 2; i < RUNS + 2; i++)
		distinct += numbers[i] == 1;
	CHECK(distinct == RUNS);
	runloop_free(rl);
	playbook_src_free(&src);
}

/* Numbers a step returns are journaled exactly: the journal's text reads back
 * as the double the run saw (replay gives the same value). */
static void test_numbers(struct store *st)
{
	char err[256], path[4096];
	snprintf(path, sizeof path, "%s/numbers.lua", dir);
	struct playbook_src src;
	write_playbook(path, "numbers",
		       "local out = {}\n"
		       "for i = 1, 200 do out[i] = string.format('%.17g', random() * 10 ^ (i % 40 - 15)) end\n"
		       "return table.concat(out, ' ')", &src);
	struct runloop *rl = runloop_new(st, SOAR_SOURCE_LUA_DIR, err, sizeof err);
	struct tally t = { 0 };
	CHECK(runloop_start(rl, &src, NULL, NULL, on_done, &t) == 0);
	runloop_run(rl);
	CHECK(t.ok == 1);
	struct run_rec *runs = NULL;
	size_t nruns = 0;
	CHECK(run_list(st, RUN_SUCCEEDED, 0, &runs, &nruns, err, sizeof err) == 0);
	for (size_t i = 0; i < nruns; i++) {
		if (runs[i].playbook && strcmp(runs[i].playbook, "numbers") == 0) {
			struct journal_entry *j = NULL;
			size_t nj = 0;
			CHECK(journal_load(st, runs[i].id, &j, &nj, err, sizeof err) == 0);
			CHECK(nj == 200);
			/* result: "\"v1 v2 ...\"": each the %.17g of random() * 10^e */
			const char *r = runs[i].result_json ? runs[i].result_json + 1 : "";
			for (size_t k = 0; k < nj; k++) {
				double seen = strtod(r, (char **)&r);
				double raw = strtod(j[k].result_json + 1, NULL);
				char back[64];
				snprintf(back, sizeof back, "%.17g", raw * pow(10, (double)((int)(k + 1) % 40 - 15)));
				/* the run computed random() * 10^e from the value it saw,
				 * which must be the journaled one exactly */
				CHECK(seen == strtod(back, NULL));
				if (seen != strtod(back, NULL))
					fprintf(stderr, "step %zu: run saw %.17g, journal %s\n", k + 1, seen,
						j[k].result_json);
			}
			journal_entries_free(j, nj);
		}
		run_rec_free(&runs[i]);
	}
	free(runs);
	runloop_free(rl);
	playbook_src_free(&src);
}

/* The crash: a child process runs the notes and is killed mid-way. */
#define CRASH_RUNS 20
#define CRASH_NOTES 150

static const char *crash_body =
	"for i = 1, %d do case.note(input.case, 'note ' .. i) end\n"
	"return { done = true }";

static void crash_child(const char *ref, const char *path, int fd)
{
	char err[256];
	struct store *st = store_default(err, sizeof err);
	if (!st)
		_exit(3);
	struct playbook_src src;
	char err2[256];
	if (playbook_load_file(path, &src, err2, sizeof err2) != 0)
		_exit(4);
	struct runloop *rl = runloop_new(st, SOAR_SOURCE_LUA_DIR, err, sizeof err);
	if (!rl)
		_exit(5);
	char input[128];
	snprintf(input, sizeof input, "{\"case\":\"%s\"}", ref);
	struct tally t = { 0 };
	for (int i = 0; i < CRASH_RUNS; i++)
		runloop_start(rl, &src, input, NULL, on_done, &t);
	if (write(fd, "go", 2) != 2)
		_exit(6);
	runloop_run(rl);
	_exit(0);
}

static void test_crash(void)
{
	char err[256], path[4096];
	/* The case first, in a child: the parent must not open the store before
	 * it forks the process it kills. */
	char ref[32] = "";
	snprintf(path, sizeof path, "%s/crash.lua", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "return { name = 'crash', inputs = { case = { type = 'string' } },\n"
		"run = function(ctx, input)\n");
	fprintf(f, crash_body, CRASH_NOTES);
	fprintf(f, "\nend }\n");
	fclose(f);
	char crashdir[4096];
	snprintf(crashdir, sizeof crashdir, "%s/crash", dir);
	datadir_set(crashdir);
	int fds[2];
	CHECK(pipe(fds) == 0);
	pid_t maker = fork();
	if (maker == 0) {
		struct store *st = store_default(err, sizeof err);
		struct case_fields cf;
		case_fields_init(&cf);
		case_fields_set(&cf, "title", "crash", err, sizeof err);
		struct case_rec c;
		if (!st || case_create(st, &cf, "test", &c, NULL, err, sizeof err) != 0)
			_exit(2);
		dprintf(fds[1], "%llu\n", (unsigned long long)c.seq);
		_exit(0);
	}
	int status;
	waitpid(maker, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ssize_t got = read(fds[0], ref, sizeof ref - 1);
	ref[got > 0 ? got - 1 : 0] = 0;
	CHECK(ref[0]);

	pid_t child = fork();
	if (child == 0) {
		close(fds[0]);
		crash_child(ref, path, fds[1]);
	}
	char go[2];
	CHECK(read(fds[0], go, 2) == 2);
	/* Kill it once a tenth of the notes are on record, however fast this
	 * machine is (the store is opened only now, after the fork). */
	struct store *watch = store_default(err, sizeof err);
	CHECK(watch != NULL);
	for (int waited = 0; watch && waited < 4000; waited++) {
		struct run_rec *rs = NULL;
		size_t nr = 0, total = 0;
		if (run_list(watch, 0, 0, &rs, &nr, err, sizeof err) == 0) {
			for (size_t i = 0; i < nr; i++) {
				struct journal_entry *j = NULL;
				size_t nj = 0;
				if (journal_load(watch, rs[i].id, &j, &nj, err, sizeof err) == 0)
					total += nj;
				journal_entries_free(j, nj);
				run_rec_free(&rs[i]);
			}
			free(rs);
		}
		if (total >= CRASH_RUNS * CRASH_NOTES / 10)
			break;
		usleep(1000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status));
	close(fds[0]);
	close(fds[1]);

	struct store *st = store_default(err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	/* What the journals record is exactly what the timeline holds. */
	struct run_rec *runs = NULL;
	size_t nruns = 0;
	CHECK(run_list(st, 0, 0, &runs, &nruns, err, sizeof err) == 0);
	size_t journaled = 0, unfinished = 0;
	for (size_t i = 0; i < nruns; i++) {
		struct journal_entry *j = NULL;
		size_t nj = 0;
		CHECK(journal_load(st, runs[i].id, &j, &nj, err, sizeof err) == 0);
		journaled += nj;
		unfinished += runs[i].status == RUN_RUNNING;
		journal_entries_free(j, nj);
	}
	int notes = timeline_notes(st, ref);
	fprintf(stderr, "killed with %zu runs recorded (%zu unfinished), %zu notes journaled, "
		"%d in the timeline\n", nruns, unfinished, journaled, notes);
	CHECK(notes == (int)journaled);
	CHECK(unfinished > 0);          /* else the kill came too late to test much */

	/* Resuming finishes them: each run's notes once. */
	struct sandbox *sb = sandbox_new(SOAR_SOURCE_LUA_DIR, err, sizeof err);
	for (size_t i = 0; i < nruns; i++) {
		if (runs[i].status == RUN_RUNNING) {
			struct engine_run e;
			int rs = engine_resume(sb, st, runs[i].id, NULL, &e, err, sizeof err);
			CHECK(rs == RUN_SUCCEEDED);
			if (rs != RUN_SUCCEEDED)
				fprintf(stderr, "resume: %d %s\n", rs, rs < 0 ? err : "");
			engine_run_clear(&e);
		}
		run_rec_free(&runs[i]);
	}
	free(runs);
	sandbox_free(sb);
	CHECK(timeline_notes(st, ref) == (int)nruns * CRASH_NOTES);
}

int main(void)
{
	char err[256];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* The crash test forks before this process opens the store; then the
	 * notes test uses the same (process-wide) store. */
	test_crash();
	struct store *st = store_default(err, sizeof err);
	CHECK(st != NULL);
	if (st) {
		test_notes(st);
		test_numbers(st);
	}
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	int rc = CHECK_DONE();
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
