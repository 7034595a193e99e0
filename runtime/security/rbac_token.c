/* rbac_token.c - API tokens. A token is "soar_" + id (16 hex) + "_" + 32
 * random bytes in base64url; it is shown once. The store keeps, under the
 * 8-byte id (SECSTORE_TOKENS):
 *   u8 version 1 | sha256(token)[32] | i64 created_ms | i64 expires_ms (0 never) |
 *   i64 revoked_ms (0 not) | u8 len, user | u8 len, label | u8 len, created_by
 * The id finds the record without scanning; the hash is compared in constant
 * time, so the store never holds anything that authenticates. */
#include "rbac.h"

#include "audit.h"
#include "secstore.h"
#include "base64.h"
#include "hex.h"
#include "secret_crypto.h"
#include "store_buf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define HDR (1 + 32 + 8 + 8 + 8)

struct tok {
	unsigned char hash[32];
	int64_t created, expires, revoked;
	char user[65], label[129], created_by[256];
};

static int tok_decode(const void *data, size_t n, struct tok *t)
{
	const unsigned char *p = data, *end = p + n;
	if (n < HDR || p[0] != 1)
		return -1;
	memcpy(t->hash, p + 1, 32);
	t->created = (int64_t)store_get_u64(p + 33);
	t->expires = (int64_t)store_get_u64(p + 41);
	t->revoked = (int64_t)store_get_u64(p + 49);
	p += HDR;
	return store_str8_get(&p, end, t->user, sizeof t->user) ||
	       store_str8_get(&p, end, t->label, sizeof t->label) ||
	       store_str8_get(&p, end, t->created_by, sizeof t->created_by) ? -1 : 0;
}

static void tok_encode(const struct tok *t, struct store_buf *b)
{
	unsigned char h[HDR];
	h[0] = 1;
	memcpy(h + 1, t->hash, 32);
	store_put_u64(h + 33, (uint64_t)t->created);
	store_put_u64(h + 41, (uint64_t)t->expires);
	store_put_u64(h + 49, (uint64_t)t->revoked);
	store_buf_add(b, h, sizeof h);
	store_buf_str8(b, t->user);
	store_buf_str8(b, t->label);
	store_buf_str8(b, t->created_by);
}

/* Splits a token into its id; checks its shape. 0 or -1. */
static int parse_token(const char *t, unsigned char id[8])
{
	if (!t || strlen(t) != RBAC_TOKEN_LEN || memcmp(t, "soar_", 5) != 0 || t[21] != '_')
		return -1;
	if (hex_decode_n(t + 5, 16, id, 8) != 0)
		return -1;
	for (const char *p = t + 22; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return -1;
	return 0;
}

struct create_ctx {
	const char *actor;
	const unsigned char *id;
	struct tok *t;
	const char *id_hex;
};

static int create_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct create_ctx *c = ud;
	struct store_val uk = { strlen(c->t->user), c->t->user }, d;
	int rc = secstore_get(st, txn, SECSTORE_USERS, &uk, &d);
	if (rc == STORE_NOTFOUND) {
		snprintf(err, errlen, "no user named '%s' (see `soarctl user list`)", c->t->user);
		return STORE_REFUSED;
	}
	if (rc)
		return rc;
	struct store_buf b = { 0 }, det = { 0 };
	tok_encode(c->t, &b);
	store_buf_str(&det, "{\"user\":");
	store_buf_json(&det, c->t->user);
	store_buf_printf(&det, ",\"expires_ms\":%" PRId64 ",\"label\":", c->t->expires);
	store_buf_json(&det, c->t->label);
	store_buf_str(&det, "}");
	struct store_val k = { 8, (void *)c->id }, v = { b.len, b.p };
	rc = b.oom || det.oom ? ENOMEM : secstore_put(st, txn, SECSTORE_TOKENS, &k, &v,
						  SECSTORE_NEW);
	if (rc == 0)
		rc = audit_append_txn(st, txn, c->actor, "token.create", c->id_hex, store_buf_cstr(&det), NULL,
				      err, errlen);
	store_buf_free(&b);
	store_buf_free(&det);
	return rc;
}

int rbac_token_create(struct store *st, const char *actor, const char *user, const char *label,
		      int64_t expires_ms, char token[RBAC_TOKEN_LEN + 1], char id_hex[17],
		      char *err, size_t errlen)
{
	unsigned char id[8], secret[32];
	struct tok t = { .created = store_now_ms(), .expires = expires_ms };
	if (!user || strlen(user) >= sizeof t.user) {
		snprintf(err, errlen, "bad user name");
		return -1;
	}
	if (sc_random(id, sizeof id, err, errlen) != 0 ||
	    sc_random(secret, sizeof secret, err, errlen) != 0)
		return -1;
	hex_encode(id, 8, id_hex);
	memcpy(token, "soar_", 5);
	memcpy(token + 5, id_hex, 16);
	token[21] = '_';
	token[22 + base64_encode(secret, sizeof secret, token + 22, BASE64_URL)] = '\0';
	sc_zero(secret, sizeof secret);
	sc_sha256(token, RBAC_TOKEN_LEN, t.hash);
	snprintf(t.user, sizeof t.user, "%s", user);
	snprintf(t.label, sizeof t.label, "%s", label ? label : "");
	snprintf(t.created_by, sizeof t.created_by, "%s", actor ? actor : "");
	struct create_ctx c = { actor, id, &t, id_hex };
	err[0] = '\0';
	if (store_write(st, create_apply, &c, err, errlen) != 0) {
		sc_zero(token, RBAC_TOKEN_LEN + 1);
		return -1;
	}
	return 0;
}

int rbac_token_auth(struct store *st, const char *token, char *user, size_t userlen,
		    char *err, size_t errlen)
{
	unsigned char id[8];
	char id_hex[17] = "?", aerr[256], actor[80] = "token:?";
	const char *why = NULL;
	int result = RBAC_DENIED;
	if (parse_token(token, id) != 0) {
		why = "malformed";
		snprintf(err, errlen, "invalid API token: not a soarctl token (soar_...)");
	} else {
		hex_encode(id, 8, id_hex);
		struct store_txn *txn;
		if (store_read_begin(st, &txn, err, errlen) != 0)
			return -1;
		struct store_val k = { 8, id }, d;
		struct tok t;
		unsigned char h[32];
		sc_sha256(token, RBAC_TOKEN_LEN, h);
		int rc = secstore_get(st, txn, SECSTORE_TOKENS, &k, &d);
		if (rc != 0 && rc != STORE_NOTFOUND) {
			store_error(st, rc, "checking a token", err, errlen);
			store_read_end(st, txn);
			return -1;
		}
		if (rc != 0 || tok_decode(d.data, d.len, &t) != 0 || !sc_equal(h, t.hash, 32)) {
			why = "unknown";
			snprintf(err, errlen, "invalid API token %s: unknown or wrong", id_hex);
		} else if (t.revoked) {
			why = "revoked";
			snprintf(err, errlen, "API token %s was revoked; ask for a new one", id_hex);
		} else if (t.expires && store_now_ms() >= t.expires) {
			why = "expired";
			snprintf(err, errlen, "API token %s has expired; ask for a new one", id_hex);
		} else {
			snprintf(actor, sizeof actor, "token:%.64s", t.user);
			snprintf(user, userlen, "%s", t.user);
			result = 0;
		}
		store_read_end(st, txn);
		/* the user must still exist and be enabled: any permission check says so */
		if (result == 0) {
			char cerr[512];
			if (rbac_check(st, t.user, 0, cerr, sizeof cerr) != 0) {
				why = "user";
				snprintf(err, errlen, "API token %s: %s", id_hex, cerr);
				result = RBAC_DENIED;
			}
		}
	}
	if (result == 0) {
		audit_append(st, actor, "token.use", id_hex, NULL, aerr, sizeof aerr);
	} else {
		char det[64];
		snprintf(det, sizeof det, "{\"reason\":\"%s\"}", why);
		audit_append(st, actor, "token.denied", id_hex, det, aerr, sizeof aerr);
	}
	return result;
}

int rbac_token_owner(struct store *st, const char *id_hex, char *owner, size_t len,
		     char *err, size_t errlen)
{
	unsigned char id[8];
	if (!id_hex || hex_decode_n(id_hex, strlen(id_hex), id, 8) != 0) {
		snprintf(err, errlen, "bad token id '%.40s': 16 hex digits (see `soarctl user tokens`)",
			 id_hex ? id_hex : "");
		return -1;
	}
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct store_val k = { 8, id }, d;
	struct tok t;
	int rc = secstore_get(st, txn, SECSTORE_TOKENS, &k, &d);
	int result = RBAC_NOT_FOUND;
	if (rc == 0 && tok_decode(d.data, d.len, &t) == 0) {
		snprintf(owner, len, "%s", t.user);
		result = 0;
	} else if (rc != 0 && rc != STORE_NOTFOUND) {
		store_error(st, rc, "reading tokens", err, errlen);
		result = -1;
	} else {
		snprintf(err, errlen, "no token with id %s", id_hex);
	}
	store_read_end(st, txn);
	return result;
}

/* Marks t revoked and writes it back under its id, audited, in txn. */
static int revoke_write(struct store *st, struct store_txn *txn, const unsigned char id[8], struct tok *t,
			const char *actor, const char *details, char *err, size_t errlen)
{
	unsigned char key[8];   /* id may point into the page the put replaces */
	char id_hex[17];
	memcpy(key, id, 8);
	hex_encode(key, 8, id_hex);
	t->revoked = store_now_ms();
	struct store_buf b = { 0 };
	tok_encode(t, &b);
	struct store_val k = { 8, key }, v = { b.len, b.p };
	int rc = b.oom ? ENOMEM : secstore_put(st, txn, SECSTORE_TOKENS, &k, &v, 0);
	store_buf_free(&b);
	if (rc == 0)
		rc = audit_append_txn(st, txn, actor, "token.revoke", id_hex, details, NULL, err, errlen);
	return rc;
}

struct revoke_ctx {
	const char *actor, *id_hex;
	unsigned char id[8];
	int not_found;
};

static int revoke_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct revoke_ctx *c = ud;
	c->not_found = 0;
	struct store_val k = { 8, c->id }, d;
	struct tok t;
	int rc = secstore_get(st, txn, SECSTORE_TOKENS, &k, &d);
	if (rc == STORE_NOTFOUND || (rc == 0 && tok_decode(d.data, d.len, &t) != 0)) {
		c->not_found = 1;
		snprintf(err, errlen, "no token with id %s (see `soarctl user tokens`)", c->id_hex);
		return STORE_REFUSED;
	}
	if (rc)
		return rc;
	if (t.revoked)
		return 0; /* already: revoking again is harmless */
	char det[128];
	snprintf(det, sizeof det, "{\"user\":\"%s\"}", t.user); /* user names need no escaping */
	return revoke_write(st, txn, c->id, &t, c->actor, det, err, errlen);
}

int rbac_token_revoke(struct store *st, const char *actor, const char *id_hex,
		      char *err, size_t errlen)
{
	struct revoke_ctx c = { actor, id_hex, { 0 }, 0 };
	if (!id_hex || hex_decode_n(id_hex, strlen(id_hex), c.id, 8) != 0) {
		snprintf(err, errlen, "bad token id '%.40s': 16 hex digits (see `soarctl user tokens`)",
			 id_hex ? id_hex : "");
		return -1;
	}
	err[0] = '\0';
	if (store_write(st, revoke_apply, &c, err, errlen) != 0)
		return c.not_found ? RBAC_NOT_FOUND : -1;
	return 0;
}

int rbac_tokens_revoke_user_txn(struct store *st, struct store_txn *txn, const char *user, int *n)
{
	struct secstore_cursor *cur;
	*n = 0;
	int rc = secstore_cursor_open(st, txn, SECSTORE_TOKENS, &cur);
	if (rc)
		return rc;
	struct store_val k, d;
	int r;
	for (r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0 && rc == 0;
	     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
		struct tok t;
		char aerr[128];
		if (k.len != 8 || tok_decode(d.data, d.len, &t) != 0 ||
		    strcmp(t.user, user) != 0 || t.revoked)
			continue;
		rc = revoke_write(st, txn, k.data, &t, "system", "{\"reason\":\"user removed\"}",
				  aerr, sizeof aerr);
		*n += rc == 0;
	}
	secstore_cursor_close(cur);
	return rc == 0 && r != STORE_NOTFOUND ? r : rc;
}

int rbac_token_list(struct store *st, const char *user,
		    int (*cb)(const struct rbac_token_info *t, void *ud), void *ud,
		    char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(st, txn, SECSTORE_TOKENS, &cur);
	if (rc == 0) {
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			struct tok t;
			if (k.len != 8 || tok_decode(d.data, d.len, &t) != 0)
				continue;
			if (user && strcmp(user, t.user) != 0)
				continue;
			struct rbac_token_info info = { "", t.user, t.label, t.created_by,
							t.created, t.expires, t.revoked };
			hex_encode(k.data, 8, info.id);
			if (cb(&info, ud) != 0)
				break;
		}
		secstore_cursor_close(cur);
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing tokens", err, errlen);
		return -1;
	}
	return 0;
}
