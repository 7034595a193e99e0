/* test_secret.c - secrets at rest: no plaintext in the file, every single-byte
 * change fails authentication, a value moved to another name fails, fresh
 * nonces, rotation (also interrupted), wrong master key refused before
 * anything, passphrase keys, key file checks, the read policy and grants. */
#include "check.h"
#include "store_db_int.h"
#include "hex.h"

#include "audit.h"
#include "keyfile.h"
#include "redact.h"
#include "secret.h"
#include "secret_crypto.h"
#include "secret_int.h"
#include "store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[1024];
static char dir[256];
static const char VALUE[] = "xK9-topsecret-API-KEY-4242-zz";

static void fresh_dir(const char *name)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_secret.%d.%s", (int)getpid(), name);
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		abort();
}

static void rm_dir(void)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
}

/* A store and vault with a fresh key file. */
static struct store *open_all(const char *name, struct secret_vault **v)
{
	fresh_dir(name);
	unsetenv("SOARCTL_MASTER_KEY");
	unsetenv("SOARCTL_PASSPHRASE");
	unsetenv("SOARCTL_MASTER_KEY_FILE");
	CHECK(secret_init_keyfile(dir, err, sizeof err) == 1);
	CHECK(secret_init_keyfile(dir, err, sizeof err) == 0); /* again: left alone */
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	*v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(*v != NULL);
	return st;
}

static const struct secret_actor integ_vt = { SECRET_ACTOR_INTEGRATION, "vt" };

static int get(struct secret_vault *v, const char *name, char *out, size_t cap, size_t *len)
{
	return secret_get(v, &integ_vt, name, NULL, (unsigned char *)out, cap, len, err, sizeof err);
}

/* Raw record access through the committer (tests only). */
struct raw {
	const char *name;
	MDB_val val;     /* put this (when put) */
	int put, del;
};

static int raw_apply(struct store *st, struct store_txn *stx_, void *ud, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)e;
	(void)elen;
	struct raw *r = ud;
	MDB_val k = { strlen(r->name), (void *)r->name };
	if (r->del)
		return mdb_del(txn, store_dbi(st, STORE_DB_SECRETS), &k, NULL);
	return mdb_put(txn, store_dbi(st, STORE_DB_SECRETS), &k, &r->val, 0);
}

static size_t raw_get(struct store *st, const char *name, unsigned char *buf, size_t cap)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return 0;
	MDB_val k = { strlen(name), (void *)name }, d;
	size_t n = 0;
	if (mdb_get(txn, store_dbi(st, STORE_DB_SECRETS), &k, &d) == 0 && d.mv_size <= cap) {
		memcpy(buf, d.mv_data, d.mv_size);
		n = d.mv_size;
	}
	store_mdb_read_end(st, txn);
	return n;
}

static void raw_put(struct store *st, const char *name, const void *p, size_t n)
{
	struct raw r = { name, { n, (void *)p }, 1, 0 };
	CHECK(store_write(st, raw_apply, &r, err, sizeof err) == 0);
}

static int file_contains(const char *path, const void *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	size_t got = fread(buf, 1, (size_t)len, f);
	fclose(f);
	int found = memmem(buf, got, needle, n) != NULL;
	free(buf);
	return found;
}

static void test_roundtrip_and_file(void)
{
	struct secret_vault *v;
	struct store *st = open_all("rt", &v);
	CHECK(secret_set(v, "vt.api_key", VALUE, strlen(VALUE), "cli:alice", err, sizeof err) == 0);
	char out[256];
	size_t len;
	CHECK(get(v, "vt.api_key", out, sizeof out, &len) == 0);
	CHECK(len == strlen(VALUE) && memcmp(out, VALUE, len) == 0);
	CHECK(get(v, "vt.missing", out, sizeof out, &len) == SECRET_NOT_FOUND);
	/* a buffer too small is an error, not a truncated secret */
	CHECK(get(v, "vt.api_key", out, 4, &len) == -1 && len == 0);
	/* replace */
	CHECK(secret_set(v, "vt.api_key", "second", 6, "cli:alice", err, sizeof err) == 0);
	CHECK(get(v, "vt.api_key", out, sizeof out, &len) == 0 && len == 6 && !memcmp(out, "second", 6));
	CHECK(secret_set(v, "vt.api_key", VALUE, strlen(VALUE), "cli:alice", err, sizeof err) == 0);
	/* values are bounded and names checked */
	CHECK(secret_set(v, "vt.empty", "", 0, "x", err, sizeof err) == -1);
	CHECK(secret_set(v, "novalidname", "abc", 3, "x", err, sizeof err) == -1);
	CHECK(strstr(err, "integration.key") != NULL);
	/* the raw file holds neither the plaintext nor its base64 */
	char path[400];
	snprintf(path, sizeof path, "%s/store.mdb", dir);
	secret_vault_close(v);
	store_close(st);
	CHECK(file_contains(path, VALUE, strlen(VALUE)) == 0);
	CHECK(file_contains(path, "topsecret", 9) == 0);
	CHECK(file_contains(path, "second", 6) == 0);
	CHECK(file_contains(path, "vt.api_key", 10) == 1); /* names are not secret */
	rm_dir();
}

static void test_fresh_nonces_and_moves(void)
{
	struct secret_vault *v;
	struct store *st = open_all("nonce", &v);
	unsigned char a[512], b[512];
	CHECK(secret_set(v, "vt.a", VALUE, strlen(VALUE), "t", err, sizeof err) == 0);
	size_t na = raw_get(st, "vt.a", a, sizeof a);
	CHECK(secret_set(v, "vt.a", VALUE, strlen(VALUE), "t", err, sizeof err) == 0);
	size_t nb = raw_get(st, "vt.a", b, sizeof b);
	CHECK(na == nb && na > strlen(VALUE));
	/* same plaintext, same name: different nonce, different ciphertext */
	CHECK(memcmp(a, b, na) != 0);
	size_t hdr = 14 + 1; /* version, key id, time, actor length "t" */
	CHECK(memcmp(a + hdr, b + hdr, 12) != 0);
	CHECK(memcmp(a + hdr + 12, b + hdr + 12, strlen(VALUE)) != 0);
	/* copy the record under another name (the same integration): refused */
	raw_put(st, "vt.b", b, nb);
	char out[256];
	size_t len = 99;
	CHECK(get(v, "vt.b", out, sizeof out, &len) == -1);
	CHECK(len == 0);
	CHECK(strstr(err, "fails authentication") != NULL);
	CHECK(get(v, "vt.a", out, sizeof out, &len) == 0);
	secret_vault_close(v);
	store_close(st);
	rm_dir();
}

static void test_every_byte_flip(void)
{
	struct secret_vault *v;
	struct store *st = open_all("flip", &v);
	CHECK(secret_set(v, "vt.key", VALUE, strlen(VALUE), "cli:alice", err, sizeof err) == 0);
	unsigned char rec[512], bad[512];
	size_t n = raw_get(st, "vt.key", rec, sizeof rec);
	CHECK(n > 0);
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, rec, n);
		bad[i] ^= 0x01;
		raw_put(st, "vt.key", bad, n);
		char out[256];
		memset(out, 0, sizeof out);
		size_t len = 99;
		int rc = get(v, "vt.key", out, sizeof out, &len);
		/* nothing comes back: not the value, not a part of it */
		if (rc == -1 && len == 0 && !memmem(out, sizeof out, "topsecret", 9))
			refused++;
		else
			fprintf(stderr, "byte %zu flipped: rc %d len %zu\n", i, rc, len);
	}
	CHECK(refused == (int)n);
	/* truncated and extended records fail too */
	raw_put(st, "vt.key", rec, n - 1);
	size_t len;
	char out[256];
	CHECK(get(v, "vt.key", out, sizeof out, &len) == -1);
	memcpy(bad, rec, n);
	bad[n] = 0;
	raw_put(st, "vt.key", bad, n + 1);
	CHECK(get(v, "vt.key", out, sizeof out, &len) == -1);
	raw_put(st, "vt.key", rec, n);
	CHECK(get(v, "vt.key", out, sizeof out, &len) == 0);
	secret_vault_close(v);
	store_close(st);
	rm_dir();
}

struct listed {
	int n;
	char names[8][64];
	unsigned key_ids[8];
};

static int list_cb(const struct secret_info *i, void *ud)
{
	struct listed *l = ud;
	if (l->n < 8) {
		snprintf(l->names[l->n], 64, "%s", i->name);
		l->key_ids[l->n] = i->key_id;
	}
	l->n++;
	return 0;
}

static int keyring_add_apply(struct store *st, struct store_txn *txn, void *ud, char *e, size_t elen)
{
	(void)st;
	uint32_t o, n;
	return keyring_add(ud, txn, &o, &n, e, elen);
}

static void test_rotation(void)
{
	struct secret_vault *v;
	struct store *st = open_all("rot", &v);
	char name[32], val[64], out[256];
	size_t len;
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "vt.k%d", i);
		snprintf(val, sizeof val, "old-value-%d-%s", i, VALUE);
		CHECK(secret_set(v, name, val, strlen(val), "t", err, sizeof err) == 0);
	}
	struct secret_rotation r;
	CHECK(secret_rotate(v, "cli:alice", &r, err, sizeof err) == 0);
	CHECK(r.old_key == 1 && r.new_key == 2 && r.reencrypted == 5 && r.retired == 1);
	CHECK(secret_set(v, "vt.new", "new-value", 9, "t", err, sizeof err) == 0);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "vt.k%d", i);
		snprintf(val, sizeof val, "old-value-%d-%s", i, VALUE);
		CHECK(get(v, name, out, sizeof out, &len) == 0 && len == strlen(val) &&
		      memcmp(out, val, len) == 0);
	}
	CHECK(get(v, "vt.new", out, sizeof out, &len) == 0 && len == 9);
	struct listed l = { 0 };
	CHECK(secret_list(st, list_cb, &l, err, sizeof err) == 0);
	CHECK(l.n == 6);
	for (int i = 0; i < 6 && i < l.n; i++)
		CHECK(l.key_ids[i] == 2);
	/* interrupted rotation: a new key is current, values are still under the old
	 * one, both readable; the next rotation finishes the job */
	CHECK(store_write(st, keyring_add_apply, v, err, sizeof err) == 0);
	CHECK(secret_set(v, "vt.mid", "mid-value", 9, "t", err, sizeof err) == 0);
	CHECK(get(v, "vt.k0", out, sizeof out, &len) == 0);
	CHECK(get(v, "vt.mid", out, sizeof out, &len) == 0 && len == 9);
	CHECK(secret_rotate(v, "cli:alice", &r, err, sizeof err) == 0);
	CHECK(r.new_key == 4 && r.reencrypted == 7 && r.retired == 2);
	CHECK(get(v, "vt.k4", out, sizeof out, &len) == 0);
	/* a tampered value stops the rotation with its name; the old key stays */
	unsigned char rec[512];
	size_t n = raw_get(st, "vt.k2", rec, sizeof rec);
	rec[n - 1] ^= 0x80;
	raw_put(st, "vt.k2", rec, n);
	CHECK(store_write(st, keyring_add_apply, v, err, sizeof err) == 0);
	CHECK(secret_rotate(v, "t", &r, err, sizeof err) == -1);
	CHECK(strstr(err, "vt.k2") != NULL);
	CHECK(get(v, "vt.k3", out, sizeof out, &len) == 0);
	CHECK(secret_rm(v, "vt.k2", "t", err, sizeof err) == 0);
	CHECK(secret_rotate(v, "t", &r, err, sizeof err) == 0);
	CHECK(get(v, "vt.k3", out, sizeof out, &len) == 0);
	secret_vault_close(v);
	store_close(st);
	rm_dir();
}

static void test_wrong_master_key(void)
{
	struct secret_vault *v;
	struct store *st = open_all("wrong", &v);
	CHECK(secret_set(v, "vt.key", VALUE, strlen(VALUE), "t", err, sizeof err) == 0);
	secret_vault_close(v);
	struct audit_checkpoint before, after;
	CHECK(audit_checkpoint(st, &before, err, sizeof err) == 0);
	/* another key by the environment: refused, nothing written */
	setenv("SOARCTL_MASTER_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "wrong master key") != NULL);
	CHECK(strstr(err, "$SOARCTL_MASTER_KEY") != NULL);
	setenv("SOARCTL_MASTER_KEY", "not-hex", 1);
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "64 hex digits") != NULL);
	unsetenv("SOARCTL_MASTER_KEY");
	/* another key file */
	char other[400];
	snprintf(other, sizeof other, "%s/other.key", dir);
	CHECK(keyfile_create(other, err, sizeof err) == 1);
	setenv("SOARCTL_MASTER_KEY_FILE", other, 1);
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "wrong master key") != NULL);
	/* a key file others can read is refused, saying how to fix it */
	chmod(other, 0644);
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "chmod 600") != NULL);
	/* a missing key file says to run init */
	snprintf(other, sizeof other, "%s/none.key", dir);
	setenv("SOARCTL_MASTER_KEY_FILE", other, 1);
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "soarctl init") != NULL);
	unsetenv("SOARCTL_MASTER_KEY_FILE");
	CHECK(audit_checkpoint(st, &after, err, sizeof err) == 0);
	CHECK(before.seq == after.seq);
	/* the right key still works */
	v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	char out[256];
	size_t len;
	CHECK(v && get(v, "vt.key", out, sizeof out, &len) == 0);
	secret_vault_close(v);
	store_close(st);
	rm_dir();
}

static void test_passphrase(void)
{
	fresh_dir("pass");
	unsetenv("SOARCTL_MASTER_KEY");
	unsetenv("SOARCTL_MASTER_KEY_FILE");
	setenv("SOARCTL_PASSPHRASE", "correct horse battery staple", 1);
	CHECK(secret_init_keyfile(dir, err, sizeof err) == 0); /* no key file with a passphrase */
	struct store *st = store_open(dir, NULL, err, sizeof err);
	struct secret_vault *v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	CHECK(v && strcmp(secret_vault_source(v), "passphrase") == 0);
	CHECK(v && secret_set(v, "vt.key", VALUE, strlen(VALUE), "t", err, sizeof err) == 0);
	secret_vault_close(v);
	unsigned char salt[16];
	uint32_t iter = 0;
	MDB_txn *txn;
	CHECK(store_mdb_read_begin(st, &txn, err, sizeof err) == 0);
	CHECK(keyring_kdf(st, store_txn_of(txn), salt, &iter) == 1);
	store_mdb_read_end(st, txn);
	CHECK(iter >= 600000);
	setenv("SOARCTL_PASSPHRASE", "wrong horse", 1);
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "wrong master key") != NULL);
	unsetenv("SOARCTL_PASSPHRASE");
	/* no passphrase, no terminal: says what to set */
	CHECK(secret_vault_open(st, dir, err, sizeof err) == NULL);
	CHECK(strstr(err, "SOARCTL_PASSPHRASE") != NULL);
	setenv("SOARCTL_PASSPHRASE", "correct horse battery staple", 1);
	v = secret_vault_open(st, dir, err, sizeof err);
	CHECK(v != NULL);
	char out[256];
	size_t len;
	CHECK(v && get(v, "vt.key", out, sizeof out, &len) == 0 && len == strlen(VALUE));
	secret_vault_close(v);
	unsetenv("SOARCTL_PASSPHRASE");
	store_close(st);
	rm_dir();
}

static void test_policy(void)
{
	struct secret_actor vt = { SECRET_ACTOR_INTEGRATION, "vt" };
	struct secret_actor pb = { SECRET_ACTOR_PLAYBOOK, "phish" };
	CHECK(secret_policy(&vt, "vt.api_key", 0, err, sizeof err) == 0);
	CHECK(secret_policy(&vt, "vtx.api_key", 0, err, sizeof err) == SECRET_DENIED);
	CHECK(secret_policy(&vt, "v.api_key", 0, err, sizeof err) == SECRET_DENIED);
	CHECK(secret_policy(&vt, "mail.password", 0, err, sizeof err) == SECRET_DENIED);
	CHECK(strstr(err, "only its own") != NULL);
	CHECK(secret_policy(&vt, "vt.", 0, err, sizeof err) == SECRET_DENIED);
	CHECK(secret_policy(&pb, "vt.api_key", 0, err, sizeof err) == SECRET_DENIED);
	CHECK(strstr(err, "soarctl secret grant vt.api_key --playbook phish") != NULL);
	CHECK(secret_policy(&pb, "vt.api_key", 1, err, sizeof err) == 0);
	CHECK(secret_policy(NULL, "vt.api_key", 1, err, sizeof err) == SECRET_DENIED);
	struct secret_actor anon = { SECRET_ACTOR_INTEGRATION, "" };
	CHECK(secret_policy(&anon, ".x", 0, err, sizeof err) == SECRET_DENIED);

	static const char *const good[] = { "vt.api_key", "mail-1.smtp.password", "a_b.C-d.e", NULL };
	static const char *const bad[] = { "vt", ".key", "vt.", "VT.key", "vt.key with space",
					   "vt/x.key", "vt.ké", "", NULL };
	for (int i = 0; good[i]; i++)
		CHECK(secret_name_check(good[i], err, sizeof err) == 0);
	for (int i = 0; bad[i]; i++)
		CHECK(secret_name_check(bad[i], err, sizeof err) == -1);

	/* through the store: grants, refusals audited, redaction registered */
	struct secret_vault *v;
	struct store *st = open_all("policy", &v);
	CHECK(secret_set(v, "vt.api_key", VALUE, strlen(VALUE), "t", err, sizeof err) == 0);
	CHECK(secret_set(v, "mail.password", "mailpw-123456", 13, "t", err, sizeof err) == 0);
	unsigned char out[256];
	size_t len;
	struct audit_checkpoint a, b;
	CHECK(audit_checkpoint(st, &a, err, sizeof err) == 0);
	CHECK(secret_get(v, &pb, "vt.api_key", NULL, out, sizeof out, &len, err, sizeof err) ==
	      SECRET_DENIED);
	CHECK(audit_checkpoint(st, &b, err, sizeof err) == 0);
	CHECK(b.seq == a.seq + 1); /* the refusal was audited */
	CHECK(secret_get(v, &vt, "mail.password", NULL, out, sizeof out, &len, err, sizeof err) ==
	      SECRET_DENIED);
	CHECK(secret_grant(st, "phish", "vt.nothing", "t", err, sizeof err) == SECRET_NOT_FOUND);
	CHECK(secret_grant(st, "phish", "vt.api_key", "t", err, sizeof err) == 0);
	struct redact_set *rs = redact_new();
	CHECK(secret_get(v, &pb, "vt.api_key", rs, out, sizeof out, &len, err, sizeof err) == 0);
	CHECK(len == strlen(VALUE));
	CHECK(redact_count(rs) == 1);
	char *red;
	size_t rlen;
	char line[256];
	snprintf(line, sizeof line, "calling with key=%s now", VALUE);
	CHECK(redact(rs, line, strlen(line), &red, &rlen) == 1);
	CHECK_STR(red, "calling with key=[secret:vt.api_key] now");
	free(red);
	redact_free(rs);
	/* another playbook is still refused; ungrant takes it back; rm drops grants */
	struct secret_actor pb2 = { SECRET_ACTOR_PLAYBOOK, "phish2" };
	CHECK(secret_get(v, &pb2, "vt.api_key", NULL, out, sizeof out, &len, err, sizeof err) ==
	      SECRET_DENIED);
	CHECK(secret_ungrant(st, "phish", "vt.api_key", "t", err, sizeof err) == 0);
	CHECK(secret_ungrant(st, "phish", "vt.api_key", "t", err, sizeof err) == SECRET_NOT_FOUND);
	CHECK(secret_get(v, &pb, "vt.api_key", NULL, out, sizeof out, &len, err, sizeof err) ==
	      SECRET_DENIED);
	CHECK(secret_grant(st, "phish", "vt.api_key", "t", err, sizeof err) == 0);
	CHECK(secret_rm(v, "vt.api_key", "t", err, sizeof err) == 0);
	CHECK(secret_rm(v, "vt.api_key", "t", err, sizeof err) == SECRET_NOT_FOUND);
	CHECK(secret_set(v, "vt.api_key", VALUE, strlen(VALUE), "t", err, sizeof err) == 0);
	CHECK(secret_get(v, &pb, "vt.api_key", NULL, out, sizeof out, &len, err, sizeof err) ==
	      SECRET_DENIED);
	secret_vault_close(v);
	store_close(st);
	rm_dir();
}

static void test_crypto_helpers(void)
{
	unsigned char a[32], b[32];
	CHECK(sc_random(a, sizeof a, err, sizeof err) == 0);
	CHECK(sc_random(b, sizeof b, err, sizeof err) == 0);
	CHECK(memcmp(a, b, 32) != 0);
	CHECK(sc_equal(a, a, 32) && !sc_equal(a, b, 32));
	char hex[65];
	hex_encode(a, 32, hex);
	CHECK(hex_decode_n(hex, 64, b, 32) == 0 && memcmp(a, b, 32) == 0);
	CHECK(hex_decode_n("zz", 2, b, 1) == -1);
	/* PBKDF2-HMAC-SHA256 known answer (RFC 7914 section 11, c = 1) */
	unsigned char out[32];
	CHECK(sc_pbkdf2("passwd", 6, "salt", 4, 1, out) == 0);
	hex_encode(out, 32, hex);
	CHECK(strncmp(hex, "55ac046e56e3089fec1691c22544b605", 32) == 0);
	/* a fork gets a freshly seeded DRBG, not the parent's stream */
	int fds[2];
	CHECK(pipe(fds) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char c[16];
		sc_random(c, sizeof c, err, sizeof err);
		if (write(fds[1], c, sizeof c) != 16)
			_exit(1);
		_exit(0);
	}
	unsigned char child[16], parent[16];
	CHECK(read(fds[0], child, 16) == 16);
	sc_random(parent, sizeof parent, err, sizeof err);
	CHECK(memcmp(child, parent, 16) != 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	test_crypto_helpers();
	test_roundtrip_and_file();
	test_fresh_nonces_and_moves();
	test_every_byte_flip();
	test_rotation();
	test_wrong_master_key();
	test_passphrase();
	test_policy();
	return CHECK_DONE();
}
