/* test_dash_hist.c - the overview's kept histograms (daemon/dash_hist.h) equal
 * a fresh count of the index: before the warm thread runs (counted on the
 * spot), after its first pass, after cases added since (only the increment is
 * scanned, nothing counted twice however often it is read), for a type the
 * thread did not warm, and once it is stopped. */
#include "case.h"
#include "case_stats.h"
#include "check.h"
#include "dash_hist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NTYPES 11   /* more than the thread warms (8) */

static char dir[256];
static char err[512];
static const char *const types[NTYPES] = { "phishing", "malware", "intrusion", "scan", "dlp",
	"account", "ddos", "policy", "insider", "vuln", "fraud" };

static int add_cases(struct store *st, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		struct case_fields f;
		case_fields_init(&f);
		case_fields_set(&f, "title", "t", err, sizeof err);
		/* type i % NTYPES, but the first types commoner so the last are not warmed */
		case_fields_set(&f, "type", types[i % 3 == 0 ? 0 : i % NTYPES], err, sizeof err);
		case_fields_set(&f, "severity", case_severity_name(i % 4 + 1), err, sizeof err);
		struct case_rec c;
		int rc = case_create(st, &f, "test", &c, NULL, err, sizeof err);
		case_fields_free(&f);
		if (rc)
			return -1;
		case_rec_free(&c);
	}
	return 0;
}

/* The kept series equals a fresh count of the index, for every severity and type. */
static void same_as_index(struct store *st, int64_t from, const char *when)
{
	for (int k = 0; k < 4 + NTYPES; k++) {
		enum case_stat_by by = k < 4 ? CASE_STAT_SEVERITY : CASE_STAT_TYPE;
		char v[8];
		snprintf(v, sizeof v, "%d", k + 1);
		const char *value = k < 4 ? v : types[k - 4];
		uint64_t got[DASH_HIST_DAYS] = {0}, want[DASH_HIST_DAYS] = {0};
		int rc = dash_hist_get(st, by, value, from, got, err, sizeof err);
		CHECK(rc == 0);
		CHECK(case_stat_histogram(st, by, value, from, 86400000LL, DASH_HIST_DAYS, want, NULL,
					  err, sizeof err) == 0);
		if (rc != 0 || memcmp(got, want, sizeof got) != 0) {
			fprintf(stderr, "%s: %s: kept %llu today, the index %llu\n", when, value,
				(unsigned long long)got[DASH_HIST_DAYS - 1],
				(unsigned long long)want[DASH_HIST_DAYS - 1]);
			CHECK(0);
		}
	}
}

int main(void)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_dash_hist.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	CHECK(system(cmd) == 0);
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return CHECK_DONE();
	CHECK(add_cases(st, 0, 120) == 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t from = dash_hist_from((int64_t)ts.tv_sec * 1000);
	uint64_t total[DASH_HIST_DAYS] = {0};
	CHECK(case_stat_histogram(st, CASE_STAT_ALL, NULL, from, 86400000LL, DASH_HIST_DAYS, total,
				  NULL, err, sizeof err) == 0);
	CHECK(total[DASH_HIST_DAYS - 1] == 120);       /* today is the window's last day */

	same_as_index(st, from, "without the thread");
	CHECK(dash_hist_ready() == 0);
	CHECK(dash_hist_start(st) == 0);
	for (int i = 0; i < 500 && !dash_hist_ready(); i++)
		usleep(10000);
	CHECK(dash_hist_ready() == 1);
	same_as_index(st, from, "after the first pass");
	CHECK(add_cases(st, 120, 37) == 0);
	same_as_index(st, from, "after cases added");
	same_as_index(st, from, "read again");
	CHECK(add_cases(st, 157, 5) == 0);
	same_as_index(st, from, "after more added");
	dash_hist_stop();
	CHECK(dash_hist_ready() == 0);
	CHECK(add_cases(st, 162, 3) == 0);
	same_as_index(st, from, "after the thread stopped");
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}
