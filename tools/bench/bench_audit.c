/* bench_audit.c - what an audit entry costs inside a write transaction, plain
 * (no master key: SHA-256 chain) and keyed (HMAC-SHA256 chain, head record, head
 * file once per transaction), for docs/PERFORMANCE.md. 20 batches of 1,000
 * entries each (one transaction a batch, as the daemon's group commit does);
 * prints the median microseconds per entry of 5 rounds.
 * Usage: bench_audit [DIR [noverify [BATCHES]]] (default /tmp/bench_audit.PID,
 * removed after; noverify skips the final check, and BATCHES (default 20)
 * makes a round shorter, for valgrind --tool=callgrind; then `plain` or `keyed`
 * runs one mode only). */
#include "audit.h"
#include "store_db_int.h"
#include "datadir.h"
#include "secret.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int batch(struct store *st, struct store_txn *stx_, void *ud, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)ud;
	for (int i = 0; i < 1000; i++) {
		int rc = audit_append_txn(st, store_txn_of(txn), "playbook:bench", "case.note", "case #1",
					  "{\"kind\":\"note\",\"n\":1}", NULL, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int nbatches = 20;

static double round_us(struct store *st)
{
	char err[512];
	double t0 = now_s();
	for (int b = 0; b < nbatches; b++)
		if (store_write(st, batch, NULL, err, sizeof err) != 0) {
			fprintf(stderr, "bench_audit: %s\n", err);
			exit(1);
		}
	return (now_s() - t0) * 1e6 / (nbatches * 1000.0);
}

int main(int argc, char **argv)
{
	char dir[256], cmd[600], err[512];
	snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "");
	if (!dir[0])
		snprintf(dir, sizeof dir, "/tmp/bench_audit.%d", (int)getpid());
	if (argc > 3 && atoi(argv[3]) > 0)
		nbatches = atoi(argv[3]);
	double plain[5] = { 0 }, keyed[5] = { 0 };
	const char *only = argc > 4 ? argv[4] : "";
	for (int mode = 0; mode < 2; mode++) {
		if ((*only == 'p' && mode) || (*only == 'k' && !mode))
			continue;
		snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
		if (system(cmd) != 0)
			return 1;
		datadir_set(dir);
		struct store *st = store_open(dir, NULL, err, sizeof err);
		if (!st) {
			fprintf(stderr, "bench_audit: %s\n", err);
			return 1;
		}
		struct secret_vault *v = NULL;
		if (mode) {
			setenv("SOARCTL_MASTER_KEY",
			       "4444444444444444444444444444444444444444444444444444444444444444", 1);
			if (!(v = secret_vault_open(st, dir, err, sizeof err))) {
				fprintf(stderr, "bench_audit: %s\n", err);
				return 1;
			}
		}
		for (int r = 0; r < 5; r++)
			(mode ? keyed : plain)[r] = round_us(st);
		struct audit_report rep;
		if (argc <= 2 && audit_verify(st, NULL, &rep, err, sizeof err) != 0) {
			fprintf(stderr, "bench_audit: verify: %s %s\n", err, rep.why);
			return 1;
		}
		secret_vault_close(v);
		store_close(st);
	}
	qsort(plain, 5, sizeof *plain, cmp_d);
	qsort(keyed, 5, sizeof *keyed, cmp_d);
	printf("audit entry in a 1,000-entry transaction, median of 5 rounds of 20,000:\n");
	printf("  plain (SHA-256)             %.2f us\n", plain[2]);
	printf("  keyed (HMAC, head, file)    %.2f us\n", keyed[2]);
	if (argc <= 1) {
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
