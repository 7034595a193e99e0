/* test_record.c - the tagged-field record codec (record.h): the bytes of a
 * record are pinned (stores written by earlier versions must keep loading), a
 * round trip of every field type, unknown tags skipped, damage refused, and the
 * stack-first encoding when a record does not fit. */
#include "check.h"
#include "record.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	char *name, *text;
	int64_t when;
	uint32_t count;
	int32_t pid;
	int flag;
	char id[8];
};

static const struct record_field fields[] = {
	RECORD_FIELD(1, REC_STR, rec, name), RECORD_FIELD(2, REC_STR, rec, text),
	RECORD_FIELD(3, REC_I64, rec, when), RECORD_FIELD(4, REC_U32, rec, count),
	RECORD_FIELD(5, REC_I32, rec, pid), RECORD_FIELD(6, REC_INT, rec, flag),
	RECORD_FIELD(200, REC_CHARS, rec, id),
	{ 0, REC_STR, 0, 0 },
};

static void test_bytes_pinned(void)
{
	struct rec r = { .name = "ab", .text = "", .when = 300, .count = 0, .pid = -1, .flag = 1 };
	memcpy(r.id, "xyz", 4);
	/* tag, length, value; zero and empty fields absent; 300 = 0xAC 0x02;
	 * -1 as int32 = 0xFFFFFFFF (5 varint bytes); tag 200 = 0xC8 0x01. */
	static const unsigned char want[] = {
		1, 2, 'a', 'b',
		3, 2, 0xAC, 0x02,
		5, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F,
		6, 1, 1,
		0xC8, 0x01, 3, 'x', 'y', 'z',
	};
	struct store_buf b = { 0 };
	record_encode(&b, fields, &r);
	CHECK(b.len == sizeof want && memcmp(b.p, want, sizeof want) == 0);
	store_buf_free(&b);

	/* The same bytes, as an earlier soarctl wrote them, decode to the record. */
	struct rec d = { 0 };
	CHECK(record_decode(want, sizeof want, fields, &d) == 0);
	CHECK(d.name && strcmp(d.name, "ab") == 0 && d.text == NULL && d.when == 300 &&
	      d.count == 0 && d.pid == -1 && d.flag == 1 && strcmp(d.id, "xyz") == 0);
	record_free(fields, &d);
	CHECK(d.name == NULL);
}

static void test_round_trip_and_unknown(void)
{
	struct rec r = { .name = "n", .text = "t\0", .when = INT64_MIN, .count = UINT32_MAX,
			 .pid = INT32_MIN, .flag = 7 };
	memcpy(r.id, "1234567", 8);
	struct store_buf b = { 0 };
	unsigned char extra[] = { 99, 3, 'z', 'z', 'z' }; /* a field from a newer soarctl */
	store_buf_add(&b, extra, sizeof extra);
	record_encode(&b, fields, &r);
	struct rec d = { 0 };
	CHECK(record_decode(b.p, b.len, fields, &d) == 0);
	CHECK(strcmp(d.name, "n") == 0 && strcmp(d.text, "t") == 0 && d.when == INT64_MIN &&
	      d.count == UINT32_MAX && d.pid == INT32_MIN && d.flag == 7 &&
	      strcmp(d.id, "1234567") == 0);
	record_free(fields, &d);

	/* Damage: a length past the end, a truncated varint. */
	CHECK(record_decode(b.p, b.len - 1, fields, &d) == -1);
	record_free(fields, &d);
	static const unsigned char cut[] = { 3, 1, 0x80 };
	CHECK(record_decode(cut, sizeof cut, fields, &d) == -1);
	static const unsigned char chars_long[] = { 0xC8, 0x01, 10, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' };
	CHECK(record_decode(chars_long, sizeof chars_long, fields, &d) == 0 && strcmp(d.id, "0123456") == 0);
	store_buf_free(&b);
}

static void test_encode_in_spills(void)
{
	char big[3000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct rec r = { .name = big, .when = 5 };
	unsigned char small[64], *heap;
	size_t n;
	unsigned char *p = record_encode_in(small, sizeof small, &heap, &n, fields, &r);
	CHECK(p != NULL && p == heap && n == 1 + 2 + (sizeof big - 1) + 3);
	struct rec d = { 0 };
	CHECK(record_decode(p, n, fields, &d) == 0 && strcmp(d.name, big) == 0 && d.when == 5);
	record_free(fields, &d);
	free(heap);
	r.name = "s";
	p = record_encode_in(small, sizeof small, &heap, &n, fields, &r);
	CHECK(p == small && heap == NULL && n == 6);
}

int main(void)
{
	test_bytes_pinned();
	test_round_trip_and_unknown();
	test_encode_in_spills();
	return CHECK_DONE();
}
