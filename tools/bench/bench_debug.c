/* bench_debug.c - soarctl debug's figures: travelling to step N of an N-step
 * run (goto: a replay from the start, every step from the session's journal)
 * and the latency of `next` (the command until the run pauses again).
 *
 * Usage: bench_debug [steps] [samples]   (defaults 1000, 9)
 * Makes a scratch data directory under $TMPDIR; prints medians. */
#include "datadir.h"
#include "debugger.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define NEXTS 200   /* lines: well inside the half of the run left */

/* The script a person would type, timed between a command and the next ask. */
struct script {
	int steps, samples, call;
	double sent;
	const char *last;
	double gotos[64];
	int ngotos;
	double nexts[NEXTS];
	int nnexts;
	int midway;
};

static char *read_line(void *ui, const char *prompt)
{
	(void)prompt;
	struct script *s = ui;
	double t = now();
	if (s->last && !strcmp(s->last, "goto"))
		s->gotos[s->ngotos++] = t - s->sent;
	else if (s->last && !strcmp(s->last, "next"))
		s->nexts[s->nnexts++] = t - s->sent;
	char cmd[64];
	if (s->call++ == 0) {
		s->last = "run";                   /* the first execution, live */
		snprintf(cmd, sizeof cmd, "run");
	} else if (s->ngotos < s->samples) {
		s->last = "goto";
		snprintf(cmd, sizeof cmd, "goto %d", s->steps);
	} else if (!s->midway) {
		s->midway = 1;                     /* nexts from the middle of the run */
		s->last = "midway";
		snprintf(cmd, sizeof cmd, "goto %d", s->steps / 2 + 1);
	} else if (s->nnexts < NEXTS) {
		s->last = "next";
		snprintf(cmd, sizeof cmd, "next");
	} else {
		s->last = "quit";
		snprintf(cmd, sizeof cmd, "quit");
	}
	s->sent = now();
	return strdup(cmd);
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 1000;
	int samples = argc > 2 ? atoi(argv[2]) : 9;
	if (steps < 1 || samples < 1 || samples > 64) {
		fprintf(stderr, "usage: bench_debug [steps] [samples (1..64)]\n");
		return 2;
	}
	char dir[256], err[512];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/soarctl-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	struct sandbox *sb = st ? sandbox_new(NULL, err, sizeof err) : NULL;
	if (!sb) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	char code[512];
	snprintf(code, sizeof code,
		 "return { name = 'steps', run = function()\n"
		 "  local s = 0\n"
		 "  for i = 1, %d do\n"
		 "    s = s + random()\n"
		 "  end\n"
		 "  return s end }\n", steps);
	struct playbook_src src;
	playbook_load_string("bench_debug.lua", code, strlen(code), &src);
	struct script s;
	memset(&s, 0, sizeof s);
	s.steps = steps;
	s.samples = samples;
	struct dbg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.sb = sb;
	cfg.st = st;
	cfg.src = &src;
	sandbox_limits_default(&cfg.opt.limits);
	cfg.out = fopen(getenv("BENCH_DEBUG_LOG") ? getenv("BENCH_DEBUG_LOG") : "/dev/null", "w");
	cfg.read_line = read_line;
	cfg.ui = &s;
	struct dbg *d = dbg_new(&cfg, err, sizeof err);
	if (!d) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	dbg_session(d);
	dbg_free(d);
	if (s.ngotos < samples || s.nnexts < NEXTS || steps < NEXTS) {
		fprintf(stderr, "the script did not finish (%d gotos, %d nexts)\n", s.ngotos, s.nnexts);
		return 1;
	}
	double g = median(s.gotos, s.ngotos), n = median(s.nexts, s.nnexts); /* both sort */
	printf("goto step %d of a %d-step run (replay from the start): median %.2f ms, max %.2f ms "
	       "(%d samples)\n", steps, steps, g * 1e3, s.gotos[s.ngotos - 1] * 1e3, s.ngotos);
	printf("next (command to the next pause): median %.3f ms, max %.3f ms (%d samples)\n",
	       n * 1e3, s.nexts[s.nnexts - 1] * 1e3, s.nnexts);
	fclose(cfg.out);
	sandbox_free(sb);
	playbook_src_free(&src);
	return 0;
}
