/* test_pool.c - threads share a pool of states: every run is right, no more
 * states are built than the pool allows, and a state damaged by one thread's
 * hostile run serves the next taker cleanly. */
#include "check.h"
#include "playbook.h"
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct sandbox_pool *pool;
static struct playbook_src ok_src, bad_src;
static int wrong;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static const char ok_code[] =
	"return { name = 'ok', inputs = { n = { type = 'integer', required = true } },\n"
	"  run = function(ctx, input) assert(rawget(_G, 'dirty') == nil) dirty = true\n"
	"    return { twice = input.n * 2 } end }\n";
static const char bad_code[] = "return { name = 'bad', run = function() while true do end end }\n";

static void *worker(void *arg)
{
	long id = (long)arg;
	char err[256];
	for (int i = 0; i < 2000; i++) {
		struct sandbox *sb = sandbox_pool_take(pool, err, sizeof err);
		struct playbook_run run;
		memset(&run, 0, sizeof run);
		sandbox_limits_default(&run.limits);
		char input[64];
		snprintf(input, sizeof input, "n=%ld", id * 100000 + i);
		char *inputs[] = { input };
		int hostile = id == 0 && i % 500 == 0;
		run.src = hostile ? &bad_src : &ok_src;
		if (hostile)
			run.limits.cpu_seconds = 0.05;
		else {
			run.inputs = inputs;
			run.ninputs = 1;
		}
		enum playbook_status st = playbook_run(sb, &run);
		char want[64];
		snprintf(want, sizeof want, "{\"twice\":%ld}", (id * 100000 + i) * 2);
		int good = hostile ? st == PLAYBOOK_FAILED
				   : st == PLAYBOOK_SUCCEEDED && run.result_json && !strcmp(run.result_json, want);
		if (!good) {
			pthread_mutex_lock(&mu);
			if (wrong++ < 5)
				fprintf(stderr, "thread %ld run %d: %s %s\n", id, i,
					run.result_json ? run.result_json : "-",
					run.outcome.message ? run.outcome.message : "");
			pthread_mutex_unlock(&mu);
		}
		playbook_run_clear(&run);
		sandbox_pool_give(pool, sb);
	}
	return NULL;
}

int main(void)
{
	char err[256];
	pool = sandbox_pool_new(2, NULL, err, sizeof err);
	CHECK(pool != NULL);
	playbook_load_string("ok.lua", ok_code, strlen(ok_code), &ok_src);
	playbook_load_string("bad.lua", bad_code, strlen(bad_code), &bad_src);
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(wrong == 0);
	CHECK(sandbox_pool_built(pool) <= 2);
	CHECK(sandbox_pool_built(pool) >= 1);
	playbook_src_free(&ok_src);
	playbook_src_free(&bad_src);
	sandbox_pool_free(pool);
	return CHECK_DONE();
}
