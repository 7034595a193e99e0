/* fuzz_secret_records.c - decoding the stored security records from any bytes:
 * sealed secret values (secret.c), the keyring's wrapped data keys, current key
 * id, key check value and KDF record (secret_keyring.c), users, custom roles and
 * API tokens (rbac.c, rbac_token.c). A store file is not a trust boundary
 * against its owner, but a damaged or edited record must give a clear refusal,
 * never a crash, a read past the record, a leak, or a secret.
 *
 * Input: one byte choosing the record, then its bytes. Each run writes them
 * under a fixed key in a store set up once (one good secret), reads through
 * the public functions that decode that record, then puts the good record back.
 * Properties: a damaged value or data key never opens (secret_get returns a
 * value only for the exact good bytes, and then the right value). */
#include "fuzz_store.h"
#include "store_db_int.h"
#include "rbac.h"
#include "secret.h"
#include "secret_int.h"

#include <string.h>

#define GOOD_NAME "fz.key"
#define GOOD_VALUE "s3cret-value-0123456789"

static struct store *st;
static struct secret_vault *vault;
static const char *dir;

static void setup(void)
{
	char err[512];
	dir = fuzz_tmpdir();
	setenv("SOARCTL_MASTER_KEY",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
	const char *step = "store_open";
	int rc = !(st = store_open(dir, NULL, err, sizeof err));
	if (!rc && (step = "secret_vault_open"))
		rc = !(vault = secret_vault_open(st, dir, err, sizeof err));
	if (!rc && (step = "secret_set"))
		rc = secret_set(vault, GOOD_NAME, GOOD_VALUE, strlen(GOOD_VALUE), "fuzz", err,
				sizeof err);
	if (!rc && (step = "rbac_bootstrap"))
		rc = rbac_bootstrap(st, "fz", err, sizeof err) < 0; /* 1: created */
	if (!rc && (step = "rbac_role_define"))
		rc = rbac_role_define(st, "fz", "fzrole", "case.read,audit.read", err, sizeof err);
	if (!rc && (step = "rbac_user_add"))
		rc = rbac_user_add(st, "fz", "fzuser", "fzrole,viewer", err, sizeof err);
	if (rc) {
		fprintf(stderr, "fuzz: setup: %s: %d %s\n", step, rc, err);
		exit(2);
	}
}

static void get_good(const void *rec, size_t len, const void *good, size_t goodlen)
{
	unsigned char buf[SECRET_MAX_VALUE];
	size_t n = 0;
	char err[512] = "";
	struct secret_actor a = { SECRET_ACTOR_INTEGRATION, "fz" };
	int rc = secret_get(vault, &a, GOOD_NAME, NULL, buf, sizeof buf, &n, err, sizeof err);
	int same = len == goodlen && memcmp(rec, good, len) == 0;
	if (rc == 0)
		FUZZ_CHECK(same && n == strlen(GOOD_VALUE) && memcmp(buf, GOOD_VALUE, n) == 0,
			   "a damaged record opened (%zu bytes)", n);
	else
		FUZZ_CHECK(err[0], "refused without a message");
}

static int count_secret(const struct secret_info *i, void *ud)
{
	FUZZ_CHECK(i->name && i->set_by, "secret_list: NULL strings");
	(*(int *)ud)++;
	return 0;
}

static int count_user(const struct rbac_user_info *u, void *ud)
{
	(void)u;
	(*(int *)ud)++;
	return 0;
}

static int count_role(const char *name, unsigned perms, int builtin, void *ud)
{
	(void)name;
	(void)perms;
	(void)builtin;
	(*(int *)ud)++;
	return 0;
}

static int count_token(const struct rbac_token_info *t, void *ud)
{
	(void)t;
	(*(int *)ud)++;
	return 0;
}

/* The record under (db, key) replaced by rec for one check, then restored. */
struct swap {
	enum store_db db;
	const void *key;
	size_t klen;
	void *saved;
	size_t savedlen;
};

static void swap_in(struct swap *s, const void *rec, size_t len)
{
	s->saved = fuzz_get(st, s->db, s->key, s->klen, &s->savedlen);
	fuzz_put(st, s->db, s->key, s->klen, rec, len);
}

static void swap_out(struct swap *s)
{
	fuzz_put(st, s->db, s->key, s->klen, s->saved, s->savedlen);
	free(s->saved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st)
		setup();
	if (size < 1)
		return 0;
	const uint8_t *rec = data + 1;
	size_t len = size - 1;
	char err[512] = "", user[128];
	int n = 0;
	switch (data[0] % 8) {
	case 0: {                                   /* a sealed value */
		struct swap s = { STORE_DB_SECRETS, GOOD_NAME, strlen(GOOD_NAME), 0, 0 };
		swap_in(&s, rec, len);
		get_good(rec, len, s.saved, s.savedlen);
		secret_list(st, count_secret, &n, err, sizeof err);
		FUZZ_CHECK(n == 1, "secret_list saw %d secrets", n);
		swap_out(&s);
		break;
	}
	case 1: {                                   /* wrapped data key 1 */
		unsigned char k[6] = { 'd', 'k', 0, 0, 0, 1 };
		struct swap s = { STORE_DB_SECRET_KEYS, k, sizeof k, 0, 0 };
		swap_in(&s, rec, len);
		get_good(rec, len, s.saved, s.savedlen);
		swap_out(&s);
		break;
	}
	case 2: {                                   /* current data key id: a new value */
		struct swap s = { STORE_DB_SECRET_KEYS, "current", 7, 0, 0 };
		swap_in(&s, rec, len);
		if (secret_set(vault, "fz.other", "x", 1, "fuzz", err, sizeof err) != 0)
			FUZZ_CHECK(err[0], "secret_set refused without a message");
		swap_out(&s);
		secret_rm(vault, "fz.other", "fuzz", err, sizeof err);
		break;
	}
	case 3: {                                   /* key check value: opening the vault */
		struct swap s = { STORE_DB_SECRET_KEYS, "check", 5, 0, 0 };
		swap_in(&s, rec, len);
		struct secret_vault *v = secret_vault_open(st, dir, err, sizeof err);
		if (v)
			secret_vault_close(v);
		else
			FUZZ_CHECK(err[0], "vault refused without a message");
		swap_out(&s);
		break;
	}
	case 4: {                                   /* KDF record of a passphrase store */
		struct swap s = { STORE_DB_SECRET_KEYS, "kdf", 3, 0, 0 };
		swap_in(&s, rec, len);
		MDB_txn *txn;
		if (store_mdb_read_begin(st, &txn, err, sizeof err) == 0) {
			unsigned char salt[16];
			uint32_t it = 0;
			int rc = keyring_kdf(st, store_txn_of(txn), salt, &it);
			FUZZ_CHECK(rc == -1 || rc == 1, "keyring_kdf %d for a present record", rc);
			store_mdb_read_end(st, txn);
		}
		swap_out(&s);
		break;
	}
	case 5: {                                   /* a user */
		struct swap s = { STORE_DB_USERS, "fzuser", 6, 0, 0 };
		swap_in(&s, rec, len);
		rbac_check(st, "fzuser", RBAC_ALL, err, sizeof err);
		rbac_member(st, "fzuser", "fzrole", err, sizeof err);
		rbac_user_list(st, count_user, &n, err, sizeof err);
		swap_out(&s);
		break;
	}
	case 6: {                                   /* a custom role */
		struct swap s = { STORE_DB_ROLES, "fzrole", 6, 0, 0 };
		swap_in(&s, rec, len);
		rbac_check(st, "fzuser", 1u << 8, err, sizeof err);
		rbac_role_list(st, count_role, &n, err, sizeof err);
		swap_out(&s);
		break;
	}
	default: {                                  /* an API token */
		static const unsigned char id[8] = { 0xf0, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
		fuzz_put(st, STORE_DB_TOKENS, id, sizeof id, rec, len);
		char tok[RBAC_TOKEN_LEN + 1];
		snprintf(tok, sizeof tok, "soar_f022334455667788_%s",
			 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		int rc = rbac_token_auth(st, tok, user, sizeof user, err, sizeof err);
		FUZZ_CHECK(rc != 0, "a token record made of fuzz bytes authenticated as '%s'", user);
		rbac_token_list(st, NULL, count_token, &n, err, sizeof err);
		fuzz_put(st, STORE_DB_TOKENS, id, sizeof id, NULL, 0);
		break;
	}
	}
	return 0;
}
