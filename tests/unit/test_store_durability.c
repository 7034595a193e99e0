/* test_store_durability.c - SIGKILL a process writing cases in a loop, 20
 * times; every case it acknowledged (printed to a pipe after the write was
 * durable) must be there, and the store must open and stat cleanly.
 *
 * The writer uses several threads so kills land inside group commits, between
 * a commit and its acknowledgement, and inside mdb_txn_commit's fsync. */
#include "check.h"
#include "store_db_int.h"

#include "case.h"
#include "store.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILLS 20
#define MAX_ACK 200000

static char dir[256];
static int ack_fd;
static pthread_mutex_t ack_lock = PTHREAD_MUTEX_INITIALIZER;

static void *writer(void *p)
{
	struct store *st = p;
	char e[512], line[64];
	for (;;) {
		struct case_fields f;
		case_fields_init(&f);
		case_fields_set(&f, "title", "durability", e, sizeof e);
		case_fields_set(&f, "labels", "kill,test", e, sizeof e);
		case_fields_set(&f, "owner", "writer", e, sizeof e);
		struct case_rec c;
		if (case_create(st, &f, "test", &c, NULL, e, sizeof e) != 0) {
			fprintf(stderr, "writer: %s\n", e);
			_exit(3);
		}
		/* Acknowledge only now: case_create returned, so it is durable. */
		int n = snprintf(line, sizeof line, "%llu %s\n", (unsigned long long)c.seq, c.id);
		pthread_mutex_lock(&ack_lock);
		if (write(ack_fd, line, (size_t)n) != n)
			_exit(4);
		pthread_mutex_unlock(&ack_lock);
		case_rec_free(&c);
		case_fields_free(&f);
	}
	return NULL;
}

static void child(int fd)
{
	ack_fd = fd;
	char e[512];
	struct store *st = store_open(dir, NULL, e, sizeof e);
	if (!st) {
		fprintf(stderr, "child: %s\n", e);
		_exit(2);
	}
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, writer, st);
	for (;;)
		pause();
}

int main(void)
{
	char cmd[700], err[512];
	snprintf(dir, sizeof dir, "/tmp/test_durability.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	CHECK(system(cmd) == 0);
	static char acked[MAX_ACK][48];
	size_t nack = 0;
	srand((unsigned)time(NULL));
	for (int round = 0; round < KILLS; round++) {
		int pfd[2];
		CHECK(pipe(pfd) == 0);
		pid_t pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			child(pfd[1]);
		}
		close(pfd[1]);
		/* Once it has acknowledged a first write (however slow the machine,
		 * e.g. under ASan), let it write for 5-100 ms more, then kill it
		 * mid-flight. */
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		CHECK(poll(&pf, 1, 20000) == 1);
		struct timespec ts = { 0, (5 + rand() % 95) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* Read every acknowledgement (whole lines only). */
		static char buf[1 << 20];
		size_t len = 0;
		ssize_t r;
		while ((r = read(pfd[0], buf + len, sizeof buf - 1 - len)) > 0)
			len += (size_t)r;
		close(pfd[0]);
		buf[len] = '\0';
		size_t round_acks = 0;
		for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (nack < MAX_ACK && strlen(line) < sizeof acked[0])
				memcpy(acked[nack++], line, strlen(line) + 1);
			round_acks++;
		}
		CHECK(round_acks > 0);

		struct store *st = store_open(dir, NULL, err, sizeof err);
		CHECK(st != NULL);
		if (!st) {
			fprintf(stderr, "reopen after kill %d: %s\n", round, err);
			break;
		}
		uint64_t entries = 0, ncases = 0;
		CHECK(store_verify(st, &entries, err, sizeof err) == 0);
		CHECK(case_check(st, &ncases, err, sizeof err) == 0);
		int missing = 0;
		for (size_t i = 0; i < nack; i++) {
			char num[32], id[40];
			struct case_rec c;
			if (sscanf(acked[i], "%31s %39s", num, id) != 2 ||
			    case_get(st, num, &c, err, sizeof err) != 0) {
				missing++;
				continue;
			}
			if (strcmp(c.id, id) != 0)
				missing++;
			case_rec_free(&c);
		}
		CHECK(missing == 0);
		CHECK(ncases >= nack);
		if (round == KILLS - 1)
			fprintf(stderr, "%d kills: %zu acknowledged, %llu cases in store\n", KILLS, nack,
				(unsigned long long)ncases);
		store_close(st);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}
