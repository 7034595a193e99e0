/* engine.c - see engine.h. */
#include "engine.h"
#include "hex.h"
#include "prim.h"
#include "store_buf.h"
#include "uuid.h"

#include <errno.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *sha256_hex(const char *data, size_t len)
{
	unsigned char d[32];
	char *out = malloc(65);
	if (!out)
		return NULL;
	mbedtls_sha256_ret((const unsigned char *)data, len, d, 0);
	hex_encode(d, sizeof d, out);
	return out;
}

const char *engine_error_kind(const struct engine_run *e)
{
	if (e->pb.status == PLAYBOOK_INVALID)
		return e->pb.bad_input ? "bad_input" : "invalid";
	switch (e->pb.outcome.status) {
	case SANDBOX_OUT_OF_MEMORY: return "out_of_memory";
	case SANDBOX_CPU_LIMIT: return "cpu_limit";
	case SANDBOX_WALL_LIMIT: return "wall_limit";
	case SANDBOX_RESULT_TOO_LARGE: return "result_too_large";
	case SANDBOX_INTERNAL: return "internal";
	default: return "error";
	}
}

char *engine_error_json(const struct engine_run *e)
{
	struct store_buf b = { 0 };
	const struct sandbox_outcome *o = &e->pb.outcome;
	store_buf_printf(&b, "{\"kind\":\"%s\",\"message\":", engine_error_kind(e));
	store_buf_json(&b, o->message);
	store_buf_str(&b, ",\"file\":");
	store_buf_json(&b, o->file);
	store_buf_printf(&b, ",\"line\":%d}", o->line);
	char *s = store_buf_cstr(&b);
	if (!s)
		store_buf_free(&b);
	return s;
}

void engine_run_clear(struct engine_run *e)
{
	playbook_run_clear(&e->pb);
	run_rec_free(&e->rec);
	journal_entries_free(e->journal, e->njournal);
	free(e->started_children);
	free(e->children_json);
	playbook_src_free(&e->own_src);
	memset(e, 0, sizeof *e);
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

void engine_prologue(struct engine_run *e)
{
	uuid_parse(e->rec.id, e->key);
	e->pb.info.engine = e;
	memcpy(e->pb.info.id, e->rec.id, sizeof e->rec.id);
	e->next_step = 1;
	e->parked = 0;
	e->task_depth = 0;
	e->saved_declared = 0;
	e->saved_milli = 0;
	e->pb.case_ref = e->rec.case_ref;
	e->task[0] = 0;
}

int engine_epilogue_begin(struct engine_run *e)
{
	char err[512];
	if (e->pb.status == PLAYBOOK_INVALID && !e->recorded && e->njournal == 0)
		return 0;                         /* nothing ran: nothing to record */
	if (e->pb.status == PLAYBOOK_PARKED) {
		/* The step that parked wrote the waiting record; read it back. */
		struct run_rec cur;
		if (run_get(e->st, e->rec.id, &cur, err, sizeof err) == 0) {
			run_rec_free(&e->rec);
			e->rec = cur;
		}
		return RUN_WAITING;
	}
	int64_t t = now_ms();
	if (e->next_step - 1 > e->rec.steps)
		e->rec.steps = e->next_step - 1;
	engine_fill_record(e);
	e->rec.updated = e->rec.finished = t;
	e->rec.owner_pid = 0;
	set_str(&e->rec.wait_kind, NULL);
	set_str(&e->rec.wait_prompt, NULL);
	e->rec.wait_until = 0;
	if (e->pb.status == PLAYBOOK_SUCCEEDED) {
		e->rec.status = RUN_SUCCEEDED;
		set_str(&e->rec.result_json, e->pb.result_json);
		e->rec.saved_declared = e->saved_declared;
		e->rec.saved_milli = e->saved_milli;
	} else {
		e->rec.status = RUN_FAILED;
		free(e->rec.error_json);
		e->rec.error_json = engine_error_json(e);
	}
	return -1;
}

int engine_epilogue_end(struct engine_run *e, int rc, const char *err)
{
	if (rc != 0) {
		/* A cancel that raced the end wins; anything else is reported. */
		if (strstr(err, "cancelled")) {
			e->rec.status = RUN_CANCELLED;
		} else {
			fprintf(stderr, "soarctl: run %s finished but its record could not be written: %s\n",
				e->rec.id, err);
		}
	}
	return e->rec.status;
}

int engine_epilogue(struct engine_run *e)
{
	int status = engine_epilogue_begin(e);
	if (status >= 0)
		return status;
	char err[512];
	int rc = run_save(e->st, &e->rec, NULL, NULL, err, sizeof err);
	return engine_epilogue_end(e, rc, err);
}

/* Executes the playbook once (fresh or replaying) and records how it ended. */
static int execute(struct sandbox *sb, struct engine_run *e)
{
	engine_prologue(e);
	playbook_run(sb, &e->pb);
	return engine_epilogue(e);
}

void engine_fill_record(struct engine_run *e)
{
	set_str(&e->rec.playbook, e->pb.info.playbook);
	if (e->pb.version && !e->rec.version)
		set_str(&e->rec.version, e->pb.version);
	if (e->pb.inputs_json && !e->rec.inputs_json)
		set_str(&e->rec.inputs_json, e->pb.inputs_json);
	e->rec.updated = now_ms();
}

int engine_wait(struct engine_run *e, const struct journal_entry *entry, const char *kind,
		int64_t until, const struct prompt_rec *prompt, char *err, size_t errlen)
{
	e->rec.status = RUN_WAITING;
	e->rec.updated = now_ms();
	e->rec.owner_pid = 0;
	e->rec.wait_until = until;
	set_str(&e->rec.wait_kind, kind);
	set_str(&e->rec.wait_prompt, prompt ? prompt->id : NULL);
	engine_fill_record(e);
	prim_noint_enter();                    /* waits on the store's committer */
	int rc = run_save(e->st, &e->rec, entry, prompt, err, errlen);
	prim_noint_leave();
	if (rc == 0) {
		e->recorded = 1;
		if (entry) {
			e->rec.steps = entry->no;
			e->next_step++;
		}
	}
	return rc;
}

/* The real path (a system call per path component) and SHA-256 of a
 * playbook's file are on every run's path; under the daemon the same source
 * starts thousands of runs a second. So each thread remembers them for its
 * last few sources, keyed like the compiled-chunk cache (playbook.h: the FNV
 * hash of path and contents) plus the length and the path. No heap: fixed
 * slots in thread-local storage. */
struct src_memo {
	uint64_t hash;
	size_t len;
	char path[256];
	char real[PATH_MAX];
	char sha[65];
};
#define SRC_MEMOS 4
static __thread struct src_memo src_memo[SRC_MEMOS];
static __thread unsigned src_memo_next;

static void src_identity(const struct playbook_src *src, char **path, char **sha)
{
	size_t plen = strlen(src->path);
	for (int i = 0; i < SRC_MEMOS; i++) {
		struct src_memo *m = &src_memo[i];
		if (m->sha[0] && m->hash == src->hash && m->len == src->len &&
		    strcmp(m->path, src->path) == 0) {
			*path = strdup(m->real);
			*sha = strdup(m->sha);
			return;
		}
	}
	char real[PATH_MAX];
	*path = strdup(realpath(src->path, real) ? real : src->path);
	*sha = sha256_hex(src->code, src->len);
	if (*path && *sha && plen < sizeof src_memo[0].path && strlen(*path) < PATH_MAX) {
		struct src_memo *m = &src_memo[src_memo_next++ % SRC_MEMOS];
		m->hash = src->hash;
		m->len = src->len;
		memcpy(m->path, src->path, plen + 1);
		snprintf(m->real, sizeof m->real, "%s", *path);
		memcpy(m->sha, *sha, 65);
	}
}

void engine_setup(struct store *st, const struct playbook_src *src, char *const *inputs,
		  int ninputs, const char *input_json, const struct engine_options *opt,
		  struct engine_run *e)
{
	memset(e, 0, sizeof *e);
	e->st = st;
	if (opt && opt->run_id && uuid_valid(opt->run_id, strlen(opt->run_id)))
		snprintf(e->rec.id, sizeof e->rec.id, "%s", opt->run_id);
	else
		uuid_v7(e->rec.id);
	src_identity(src, &e->rec.path, &e->rec.hash);
	e->rec.created = e->rec.updated = now_ms();
	e->rec.status = RUN_RUNNING;
	e->rec.owner_pid = (int32_t)getpid();
	if (opt && opt->case_ref)
		e->rec.case_ref = strdup(opt->case_ref);
	if (opt && opt->parent)
		e->rec.parent = strdup(opt->parent);
	if (opt && opt->actor)
		e->rec.actor = strdup(opt->actor);
	e->pb.src = src;
	e->pb.inputs = inputs;
	e->pb.ninputs = ninputs;
	e->pb.input_json = input_json;
	if (opt)
		e->pb.limits = opt->limits;
	else
		sandbox_limits_default(&e->pb.limits);
}

int engine_start(struct sandbox *sb, struct store *st, const struct playbook_src *src,
		 char *const *inputs, int ninputs, const char *input_json,
		 const struct engine_options *opt, struct engine_run *e)
{
	engine_setup(st, src, inputs, ninputs, input_json, opt, e);
	return execute(sb, e);
}

int engine_rewind(struct engine_run *e, char *err, size_t errlen)
{
	struct journal_entry *journal = NULL;
	size_t njournal = 0;
	/* A run that took no step yet has no record and no journal to read. */
	if (e->recorded && journal_load(e->st, e->rec.id, &journal, &njournal, err, errlen) != 0)
		return -1;
	journal_entries_free(e->journal, e->njournal);
	e->journal = journal;
	e->njournal = njournal;
	/* The inputs as the run holds them (defaults applied, types checked), as
	 * engine_resume replays them: the caller's input_json was for the start. */
	if (!e->rec.inputs_json) {
		e->rec.inputs_json = e->pb.inputs_json;
		e->pb.inputs_json = NULL;
	}
	if (e->rec.inputs_json) {
		e->pb.input_json = e->rec.inputs_json;
		e->pb.inputs = NULL;
		e->pb.ninputs = 0;
	}
	/* What playbook_run_clear keeps (id, name, source, limits) is the run;
	 * the rest is the last execution's. */
	playbook_run_clear(&e->pb);
	e->pb.status = PLAYBOOK_SUCCEEDED;
	free(e->started_children);
	e->started_children = NULL;
	free(e->children_json);
	e->children_json = NULL;
	e->prompt_id[0] = 0;
	engine_prologue(e);
	return 0;
}

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int engine_resume(struct sandbox *sb, struct store *st, const char *run_id,
		  const struct sandbox_limits *lim, struct engine_run *e, char *err, size_t errlen)
{
	memset(e, 0, sizeof *e);
	e->st = st;
	int rc = run_get(st, run_id, &e->rec, err, errlen);
	if (rc != 0)
		return -1;
	if (e->rec.status != RUN_WAITING && e->rec.status != RUN_RUNNING) {
		snprintf(err, errlen, "run %s has %s; only waiting or interrupted runs resume", run_id,
			 run_status_name(e->rec.status));
		return -1;
	}
	if (e->rec.status == RUN_RUNNING && e->rec.owner_pid != getpid() && pid_alive(e->rec.owner_pid)) {
		snprintf(err, errlen, "run %s is running in process %d", run_id, (int)e->rec.owner_pid);
		return -1;
	}
	struct playbook_src *src = &e->own_src;
	if (playbook_load_file(e->rec.path, src, err, errlen) != 0)
		return -1;
	char *hash = sha256_hex(src->code, src->len);
	if (hash && e->rec.hash && strcmp(hash, e->rec.hash) != 0)
		fprintf(stderr, "soarctl: note: %s changed since run %s started; its steps must still "
			"match the journal\n", e->rec.path, run_id);
	free(hash);
	if (journal_load(st, run_id, &e->journal, &e->njournal, err, errlen) != 0)
		return -1;
	/* Make it ours before acting: atomically, since the daemon and a CLI
	 * answer may reach for the same run at once. */
	int grew;
	if (run_claim(st, &e->rec, (uint32_t)e->njournal, &grew, err, errlen) != 0)
		return -1;
	if (grew) {
		journal_entries_free(e->journal, e->njournal);
		e->journal = NULL;
		e->njournal = 0;
		if (journal_load(st, run_id, &e->journal, &e->njournal, err, errlen) != 0)
			return -1;
	}
	e->recorded = 1;
	e->pb.src = src;
	e->pb.input_json = e->rec.inputs_json;
	if (lim)
		e->pb.limits = *lim;
	else
		sandbox_limits_default(&e->pb.limits);
	snprintf(e->pb.info.playbook, sizeof e->pb.info.playbook, "%s",
		 e->rec.playbook ? e->rec.playbook : "");
	return execute(sb, e);
}

static void children_into(struct sandbox *sb, struct engine_run *e, const struct sandbox_limits *lim,
			  struct store_buf *b, int depth)
{
	if (!e->started_children || depth > 8)
		return;
	char *list = strdup(e->started_children);
	for (char *id = list, *nl; list && id && *id; id = nl ? nl + 1 : NULL) {
		nl = strchr(id, '\n');
		if (nl)
			*nl = 0;
		struct engine_run child;
		char err[512];
		int status = engine_resume(sb, e->st, id, lim, &child, err, sizeof err);
		store_buf_str(b, b->len > 1 ? "," : "");
		store_buf_str(b, "{\"run_id\":");
		store_buf_json(b, id);
		store_buf_str(b, ",\"playbook\":");
		store_buf_json(b, child.rec.playbook);
		store_buf_str(b, ",\"case\":");
		store_buf_json(b, child.rec.case_ref);
		store_buf_printf(b, ",\"status\":\"%s\"}", status < 0 ? "failed" : run_status_name(status));
		if (status < 0)
			fprintf(stderr, "soarctl: child run %s did not start: %s\n", id, err);
		else
			children_into(sb, &child, lim, b, depth + 1);
		engine_run_clear(&child);
	}
	free(list);
}

void engine_run_children(struct sandbox *sb, struct engine_run *e, const struct sandbox_limits *lim)
{
	if (!e->started_children)
		return;
	struct store_buf b = { 0 };
	store_buf_str(&b, "[");
	children_into(sb, e, lim, &b, 0);
	store_buf_str(&b, "]");
	free(e->children_json);
	e->children_json = store_buf_cstr(&b);
	if (!e->children_json)
		store_buf_free(&b);
}
