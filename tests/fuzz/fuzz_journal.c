/* fuzz_journal.c - decoding stored run records, journal entries and prompts
 * (runstore.c) from any bytes, through the public reads and the writes that
 * decode a record before changing it (cancel, answer). A damaged record must
 * be refused clearly ("record is damaged"), never crash, read past its end or
 * leak what was decoded before the damage.
 *
 * Input: one byte choosing the record kind, then its bytes (tagged fields:
 * tag varint, length varint, bytes). */
#include "fuzz_store.h"
#include "runstore.h"
#include "uuid.h"

#include <string.h>

#define RUN_ID "01890000-0000-7000-8000-0000000000a1"
#define PROMPT_ID "01890000-0000-7000-8000-0000000000b2"

static struct store *st;
static unsigned char run_key[16], prompt_key[16];

static void setup(void)
{
	char err[512];
	if (!(st = store_open(fuzz_tmpdir(), NULL, err, sizeof err))) {
		fprintf(stderr, "fuzz: setup: %s\n", err);
		exit(2);
	}
	uuid_parse(RUN_ID, run_key);
	uuid_parse(PROMPT_ID, prompt_key);
}

static int count_waiting(const unsigned char id[16], int64_t until, const unsigned char *prompt,
			 void *ud)
{
	(void)id;
	(void)until;
	(void)prompt;
	(*(int *)ud)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st)
		setup();
	if (size < 1)
		return 0;
	const uint8_t *rec = data + 1;
	size_t len = size - 1;
	char err[512] = "";
	switch (data[0] % 3) {
	case 0: {                                   /* journal entries 1 and 2 */
		unsigned char k[20];
		memcpy(k, run_key, 16);
		/* the input twice: entry 1 whole, entry 2 its second half */
		store_put_u32(k + 16, 1);
		fuzz_put(st, STORE_DB_JOURNAL, k, sizeof k, rec, len);
		store_put_u32(k + 16, 2);
		fuzz_put(st, STORE_DB_JOURNAL, k, sizeof k, rec + len / 2, len - len / 2);
		struct journal_entry *e = NULL;
		size_t n = 0;
		if (journal_load(st, RUN_ID, &e, &n, err, sizeof err) == 0) {
			FUZZ_CHECK(n == 2 && e[0].no == 1 && e[1].no == 2, "%zu entries", n);
			journal_entries_free(e, n);
		} else {
			FUZZ_CHECK(err[0] && !e && !n, "refused without a message");
		}
		break;
	}
	case 1: {                                   /* a run record */
		fuzz_put(st, STORE_DB_RUNS, run_key, 16, rec, len);
		struct run_rec r;
		int rc = run_get(st, RUN_ID, &r, err, sizeof err);
		if (rc == 0) {
			FUZZ_CHECK(strcmp(r.id, RUN_ID) == 0, "id '%s'", r.id);
			(void)run_status_name(r.status);
			run_rec_free(&r);
		} else {
			FUZZ_CHECK(rc == -1 && err[0], "run_get %d: %s", rc, err);
		}
		/* the list reads records through the status index: put it there */
		unsigned char ik[17];
		ik[0] = RUN_WAITING;
		memcpy(ik + 1, run_key, 16);
		fuzz_put(st, STORE_DB_RUN_IDX, ik, sizeof ik, "", 0);
		struct run_rec *list = NULL;
		size_t n = 0;
		if (run_list(st, 0, 10, &list, &n, err, sizeof err) == 0) {
			for (size_t i = 0; i < n; i++)
				run_rec_free(&list[i]);
			free(list);
		}
		int w = 0;
		run_scan_waiting(st, count_waiting, &w, err, sizeof err);
		run_cancel(st, RUN_ID, err, sizeof err);
		fuzz_put(st, STORE_DB_RUN_IDX, ik, sizeof ik, NULL, 0);
		break;
	}
	default: {                                  /* a prompt */
		fuzz_put(st, STORE_DB_PROMPTS, prompt_key, 16, rec, len);
		unsigned char ik[17];
		ik[0] = 1;
		memcpy(ik + 1, prompt_key, 16);
		fuzz_put(st, STORE_DB_PROMPT_IDX, ik, sizeof ik, "", 0);
		struct prompt_rec p;
		int rc = prompt_get(st, PROMPT_ID, &p, err, sizeof err);
		if (rc == 0)
			prompt_rec_free(&p);
		else
			FUZZ_CHECK(rc == -1 && err[0], "prompt_get %d: %s", rc, err);
		struct prompt_rec *list = NULL;
		size_t n = 0;
		if (prompt_list(st, 1, 10, &list, &n, err, sizeof err) == 0) {
			for (size_t i = 0; i < n; i++)
				prompt_rec_free(&list[i]);
			free(list);
		}
		prompt_answer(st, PROMPT_ID, "\"yes\"", "fz", err, sizeof err);
		fuzz_put(st, STORE_DB_PROMPT_IDX, ik, sizeof ik, NULL, 0);
		break;
	}
	}
	return 0;
}
