/* rbac.c - users, roles and the permission check (see rbac.h). */
#include "rbac.h"

#include "audit.h"
#include "secstore.h"
#include "store_buf.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	unsigned bit;
	const char *name;
} perm_names[] = {
	{ RBAC_CASE_READ, "case.read" },       { RBAC_CASE_WRITE, "case.write" },
	{ RBAC_CASE_ASSIGN, "case.assign" },   { RBAC_PROMPT_ANSWER, "prompt.answer" },
	{ RBAC_PLAYBOOK_RUN, "playbook.run" }, { RBAC_SECRET_WRITE, "secret.write" },
	{ RBAC_JOB_MANAGE, "job.manage" },     { RBAC_USER_MANAGE, "user.manage" },
	{ RBAC_AUDIT_READ, "audit.read" },
};
#define NPERMS (sizeof perm_names / sizeof perm_names[0])

/* Built-in roles: admin can do everything; analysts work cases and run
 * playbooks; approvers answer prompts; viewers read. Secrets, jobs, users and
 * the audit log are admin-only unless a custom role says otherwise. */
static const struct {
	const char *name;
	unsigned perms;
} builtin_roles[] = {
	{ "admin", RBAC_ALL },
	{ "analyst", RBAC_CASE_READ | RBAC_CASE_WRITE | RBAC_CASE_ASSIGN | RBAC_PROMPT_ANSWER |
			     RBAC_PLAYBOOK_RUN },
	{ "approver", RBAC_CASE_READ | RBAC_PROMPT_ANSWER },
	{ "viewer", RBAC_CASE_READ },
};
#define NBUILTIN (sizeof builtin_roles / sizeof builtin_roles[0])

unsigned rbac_perm_parse(const char *name)
{
	for (size_t i = 0; i < NPERMS; i++)
		if (strcmp(perm_names[i].name, name) == 0)
			return perm_names[i].bit;
	return 0;
}

const char *rbac_perm_name(unsigned perm)
{
	for (size_t i = 0; i < NPERMS; i++)
		if (perm_names[i].bit == perm)
			return perm_names[i].name;
	return "?";
}

const char *rbac_perms_format(unsigned perms, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NPERMS; i++)
		if (perms & perm_names[i].bit) {
			int w = snprintf(buf + n, len - n, "%s%s", n ? "," : "", perm_names[i].name);
			if (w < 0 || (size_t)w >= len - n)
				break;
			n += (size_t)w;
		}
	return buf;
}

int rbac_perms_parse(const char *csv, unsigned *out, char *err, size_t errlen)
{
	*out = 0;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", csv ? csv : "");
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned b = rbac_perm_parse(t);
		if (!b) {
			char all[256];
			snprintf(err, errlen, "unknown permission '%s'; known: %s", t,
				 rbac_perms_format(RBAC_ALL, all, sizeof all));
			return -1;
		}
		*out |= b;
	}
	if (!*out) {
		snprintf(err, errlen, "no permissions given");
		return -1;
	}
	return 0;
}

unsigned rbac_builtin_perms(const char *role)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (strcmp(builtin_roles[i].name, role) == 0)
			return builtin_roles[i].perms;
	return 0;
}

const char *rbac_os_user(char *buf, size_t len)
{
	/* Never $USER or another variable: anyone can set those, and the name
	 * decides what the process may do. */
	struct passwd pw, *res = NULL;
	char tmp[4096];
	uid_t uid = geteuid();
	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res && res->pw_name[0])
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "uid%u", (unsigned)uid);
	return buf;
}

static int valid_user(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.' || *s == '@'))
			return 0;
	return 1;
}

static int valid_role(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* ---- records ---- */

struct user_rec {
	int disabled;
	int64_t created;
	int nroles;
	char roles[RBAC_MAX_ROLES][33];
	char created_by[256];
	/* Since prompts reach people (trailing, optional): their Slack user id
	 * (answers from Slack map to this user) and email address. */
	char slack_id[33];
	char email[255];
};

static int user_decode(const void *data, size_t n, struct user_rec *u)
{
	const unsigned char *p = data, *end = p + n;
	memset(u, 0, sizeof *u);
	if (n < 11 || p[0] != 1)
		return -1;
	u->disabled = p[1] & 1;
	u->created = (int64_t)store_get_u64(p + 2);
	u->nroles = p[10];
	p += 11;
	if (u->nroles > RBAC_MAX_ROLES)
		return -1;
	for (int i = 0; i < u->nroles; i++)
		if (store_str8_get(&p, end, u->roles[i], sizeof u->roles[i]) != 0)
			return -1;
	if (store_str8_get(&p, end, u->created_by, sizeof u->created_by) != 0)
		return -1;
	if (p < end && (store_str8_get(&p, end, u->slack_id, sizeof u->slack_id) != 0 ||
			store_str8_get(&p, end, u->email, sizeof u->email) != 0))
		return -1;
	return 0;
}

static void user_encode(const struct user_rec *u, struct store_buf *b)
{
	unsigned char h[11];
	h[0] = 1;
	h[1] = (unsigned char)(u->disabled ? 1 : 0);
	store_put_u64(h + 2, (uint64_t)u->created);
	h[10] = (unsigned char)u->nroles;
	store_buf_add(b, h, sizeof h);
	for (int i = 0; i < u->nroles; i++)
		store_buf_str8(b, u->roles[i]);
	store_buf_str8(b, u->created_by);
	if (u->slack_id[0] || u->email[0]) {
		store_buf_str8(b, u->slack_id);
		store_buf_str8(b, u->email);
	}
}

/* Permissions of a role in txn: built-in, else custom, else 0. */
static unsigned role_perms(struct store *st, struct store_txn *txn, const char *role, int *exists)
{
	unsigned b = rbac_builtin_perms(role);
	*exists = b != 0;
	if (b)
		return b;
	struct store_val k = { strlen(role), (void *)role }, d;
	if (secstore_get(st, txn, SECSTORE_ROLES, &k, &d) == 0 && d.len >= 5 &&
	    ((const unsigned char *)d.data)[0] == 1) {
		*exists = 1;
		return store_get_u32((const unsigned char *)d.data + 1);
	}
	return 0;
}

static unsigned user_perms(struct store *st, struct store_txn *txn, const struct user_rec *u)
{
	unsigned p = 0;
	int ex;
	for (int i = 0; i < u->nroles; i++)
		p |= role_perms(st, txn, u->roles[i], &ex);
	return u->disabled ? 0 : p;
}

static const char *roles_join(const struct user_rec *u, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < u->nroles && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? "," : "", u->roles[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* Parses roles_csv into u (checking each exists in txn). 0 or STORE_REFUSED. */
static int parse_roles(struct store *st, struct store_txn *txn, const char *csv, struct user_rec *u,
		       char *err, size_t errlen)
{
	char buf[600];
	snprintf(buf, sizeof buf, "%s", csv ? csv : "");
	u->nroles = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int ex;
		role_perms(st, txn, t, &ex);
		if (!valid_role(t) || !ex) {
			snprintf(err, errlen, "no role named '%s': built-in roles are admin, analyst, "
				 "approver, viewer; define others with `soarctl user define-role`", t);
			return STORE_REFUSED;
		}
		int dup = 0;
		for (int i = 0; i < u->nroles; i++)
			dup |= strcmp(u->roles[i], t) == 0;
		if (dup)
			continue;
		if (u->nroles == RBAC_MAX_ROLES) {
			snprintf(err, errlen, "a user can have at most %d roles", RBAC_MAX_ROLES);
			return STORE_REFUSED;
		}
		snprintf(u->roles[u->nroles++], sizeof u->roles[0], "%s", t);
	}
	if (u->nroles == 0) {
		snprintf(err, errlen, "give at least one role (admin, analyst, approver, viewer, "
			 "or a custom one)");
		return STORE_REFUSED;
	}
	return 0;
}

/* ---- checking ---- */

static int users_empty(struct store *st, struct store_txn *txn)
{
	uint64_t n;
	return secstore_count(st, txn, SECSTORE_USERS, &n) == 0 && n == 0;
}

int rbac_check(struct store *st, const char *user, unsigned perm, char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct store_val k = { user ? strlen(user) : 0, (void *)(user ? user : "") }, d;
	int rc = secstore_get(st, txn, SECSTORE_USERS, &k, &d);
	int result = RBAC_DENIED;
	struct user_rec u;
	if (rc == STORE_NOTFOUND) {
		if (users_empty(st, txn))
			snprintf(err, errlen, "permission denied: this data directory has no soarctl "
				 "users yet; run `soarctl init` to make OS user '%s' its first admin",
				 user ? user : "");
		else
			snprintf(err, errlen, "permission denied: '%s' is not a soarctl user; an "
				 "admin can add you with `soarctl user add %s --role viewer`",
				 user ? user : "", user ? user : "USER");
	} else if (rc != 0) {
		store_error(st, rc, "checking permissions", err, errlen);
		result = -1;
	} else if (user_decode(d.data, d.len, &u) != 0) {
		snprintf(err, errlen, "permission denied: the record of user '%s' is damaged", user);
	} else if (u.disabled) {
		snprintf(err, errlen, "permission denied: user '%s' is disabled", user);
	} else if ((user_perms(st, txn, &u) & perm) != perm) {
		char roles[600], names[256];
		unsigned missing = perm & ~user_perms(st, txn, &u);
		rbac_perms_format(missing, names, sizeof names);
		roles_join(&u, roles, sizeof roles);
		/* The smallest built-in role that has what is missing (the table is
		 * admin first, so the last match is the narrowest), added to the
		 * user's roles: `user role` replaces them. */
		const char *fit = NULL;
		for (size_t i = 0; i < NBUILTIN; i++)
			if ((builtin_roles[i].perms & missing) == missing)
				fit = builtin_roles[i].name;
		snprintf(err, errlen, "permission denied: user '%s' (roles: %s) lacks %s; an admin "
			 "can grant it: `soarctl user role %s %s%s%s` (%s has it; or a role of just "
			 "that: soarctl user define-role)", user, roles, names, user, roles,
			 roles[0] ? "," : "", fit ? fit : "admin", fit ? fit : "admin");
	} else {
		result = 0;
	}
	store_read_end(st, txn);
	return result;
}

int rbac_require(struct store *st, const char *user, const char *actor, unsigned perm,
		 const char *object, char *err, size_t errlen)
{
	int rc = rbac_check(st, user, perm, err, errlen);
	if (rc == RBAC_DENIED) {
		char det[320], names[256], aerr[256];
		snprintf(det, sizeof det, "{\"permission\":\"%s\"}",
			 perm ? rbac_perms_format(perm, names, sizeof names) : "(a soarctl user)");
		audit_append(st, actor, "access.denied", object ? object : "", det, aerr, sizeof aerr);
	}
	return rc;
}

int rbac_member(struct store *st, const char *user, const char *role, char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct store_val k = { strlen(user), (void *)user }, d;
	struct user_rec u;
	int yes = 0;
	if (secstore_get(st, txn, SECSTORE_USERS, &k, &d) == 0 &&
	    user_decode(d.data, d.len, &u) == 0 && !u.disabled)
		for (int i = 0; i < u.nroles; i++)
			yes |= strcmp(u.roles[i], role) == 0;
	store_read_end(st, txn);
	return yes;
}

/* ---- changing users and roles ---- */

enum user_op { OP_ADD, OP_ROLES, OP_BOOTSTRAP, OP_DISABLE, OP_ENABLE, OP_REMOVE, OP_CONTACT };

struct user_ctx {
	enum user_op op;
	const char *actor, *name, *roles;
	int result; /* OP_BOOTSTRAP: 1 created; OP_ROLES: RBAC_NOT_FOUND */
	const char *slack_id, *email;   /* OP_CONTACT: NULL keeps, "" clears */
};

/* Is there an enabled admin other than `except` (NULL: any)? */
static int other_admin(struct store *st, struct store_txn *txn, const char *except)
{
	struct secstore_cursor *cur;
	if (secstore_cursor_open(st, txn, SECSTORE_USERS, &cur) != 0)
		return 1; /* do not block on a read failure; the write will fail anyway */
	struct store_val k, d;
	int found = 0;
	for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0 && !found;
	     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
		struct user_rec u;
		if (except && k.len == strlen(except) && memcmp(k.data, except, k.len) == 0)
			continue;
		if (user_decode(d.data, d.len, &u) == 0 &&
		    (user_perms(st, txn, &u) & RBAC_USER_MANAGE))
			found = 1;
	}
	secstore_cursor_close(cur);
	return found;
}

/* A Slack user id ("U123ABC", "W..."): one user per id, so an answer from
 * Slack names exactly one soarctl user. */
static int contact_set(struct store *st, struct store_txn *txn, const struct user_ctx *c,
		       struct user_rec *u, char *err, size_t errlen)
{
	if (c->slack_id && c->slack_id[0]) {
		size_t n = strlen(c->slack_id);
		int ok = n >= 2 && n < sizeof u->slack_id;
		for (const char *p = c->slack_id; ok && *p; p++)
			ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!ok) {
			snprintf(err, errlen, "a Slack user id is its capital letters and digits, as "
				 "Slack shows it (profile, \"Copy member ID\": U0123ABCD)");
			return STORE_REFUSED;
		}
		struct secstore_cursor *cur;
		int rc = secstore_cursor_open(st, txn, SECSTORE_USERS, &cur);
		if (rc)
			return rc;
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			struct user_rec o;
			if (user_decode(d.data, d.len, &o) == 0 && strcmp(o.slack_id, c->slack_id) == 0 &&
			    (k.len != strlen(c->name) || memcmp(k.data, c->name, k.len) != 0)) {
				snprintf(err, errlen, "Slack user %s is already user '%.*s'", c->slack_id,
					 (int)(k.len > 64 ? 64 : k.len), (const char *)k.data);
				secstore_cursor_close(cur);
				return STORE_REFUSED;
			}
		}
		secstore_cursor_close(cur);
	}
	if (c->email && c->email[0]) {
		const char *at = strchr(c->email, '@');
		if (!at || at == c->email || !at[1] || strchr(at + 1, '@') || strlen(c->email) >= sizeof u->email ||
		    strpbrk(c->email, " <>,;\"\r\n")) {
			snprintf(err, errlen, "'%.100s' is not an email address (name@example.org)", c->email);
			return STORE_REFUSED;
		}
	}
	if (c->slack_id)
		snprintf(u->slack_id, sizeof u->slack_id, "%s", c->slack_id);
	if (c->email)
		snprintf(u->email, sizeof u->email, "%s", c->email);
	return 0;
}

static int user_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct user_ctx *c = ud;
	c->result = 0;
	struct store_val k = { strlen(c->name), (void *)c->name }, d;
	struct user_rec u;
	int rc = secstore_get(st, txn, SECSTORE_USERS, &k, &d);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return rc;
	int exists = rc == 0;
	const char *action;
	if (c->op == OP_BOOTSTRAP) {
		if (!users_empty(st, txn))
			return 0; /* nothing to do */
		memset(&u, 0, sizeof u);
		u.nroles = 1;
		snprintf(u.roles[0], sizeof u.roles[0], "admin");
		snprintf(u.created_by, sizeof u.created_by, "%s", c->actor);
		u.created = store_now_ms();
		c->result = 1;
		action = "user.bootstrap";
	} else if (c->op == OP_ADD) {
		if (exists) {
			snprintf(err, errlen, "user '%s' already exists; change roles with "
				 "`soarctl user role %s ROLES`", c->name, c->name);
			return STORE_REFUSED;
		}
		memset(&u, 0, sizeof u);
		if ((rc = parse_roles(st, txn, c->roles, &u, err, errlen)) != 0)
			return rc;
		snprintf(u.created_by, sizeof u.created_by, "%s", c->actor);
		u.created = store_now_ms();
		action = "user.add";
	} else {
		if (!exists || user_decode(d.data, d.len, &u) != 0) {
			c->result = RBAC_NOT_FOUND;
			snprintf(err, errlen, "no user named '%s' (see `soarctl user list`)", c->name);
			return STORE_REFUSED;
		}
		if (c->op == OP_ROLES) {
			if ((rc = parse_roles(st, txn, c->roles, &u, err, errlen)) != 0)
				return rc;
			action = "user.role";
		} else if (c->op == OP_CONTACT) {
			if ((rc = contact_set(st, txn, c, &u, err, errlen)) != 0)
				return rc;
			action = "user.contact";
		} else if (c->op == OP_ENABLE) {
			u.disabled = 0;
			action = "user.enable";
		} else {
			u.disabled = 1;
			action = c->op == OP_DISABLE ? "user.disable" : "user.remove";
		}
		/* Whatever the change, someone must still be able to manage users. */
		if (!(user_perms(st, txn, &u) & RBAC_USER_MANAGE) && !other_admin(st, txn, c->name)) {
			snprintf(err, errlen, "refused: '%s' is the last user who can manage users; "
				 "give another user the admin role first", c->name);
			return STORE_REFUSED;
		}
	}
	if (c->op == OP_REMOVE) {
		/* Its tokens go with it: a later user of the same name must not
		 * inherit them. */
		int revoked = 0;
		rc = secstore_del(st, txn, SECSTORE_USERS, &k);
		if (rc == 0)
			rc = rbac_tokens_revoke_user_txn(st, txn, c->name, &revoked);
		char det[64];
		snprintf(det, sizeof det, "{\"tokens_revoked\":%d}", revoked);
		if (rc == 0)
			rc = audit_append_txn(st, txn, c->actor, action, c->name, det, NULL, err, errlen);
		return rc;
	}
	struct store_buf b = { 0 }, det = { 0 };
	user_encode(&u, &b);
	char roles[600];
	store_buf_str(&det, "{\"roles\":");
	store_buf_json(&det, roles_join(&u, roles, sizeof roles));
	if (c->op == OP_CONTACT) {
		store_buf_str(&det, ",\"slack_id\":");
		store_buf_json(&det, u.slack_id);
		store_buf_str(&det, ",\"email\":");
		store_buf_json(&det, u.email);
	}
	store_buf_str(&det, "}");
	struct store_val nv = { b.len, b.p };
	rc = b.oom || det.oom ? ENOMEM : secstore_put(st, txn, SECSTORE_USERS, &k, &nv, 0);
	if (rc == 0)
		rc = audit_append_txn(st, txn, c->actor, action, c->name, store_buf_cstr(&det), NULL,
				      err, errlen);
	store_buf_free(&b);
	store_buf_free(&det);
	return rc;
}

static int user_write(struct store *st, struct user_ctx *c, char *err, size_t errlen)
{
	if (!c->name || !valid_user(c->name)) {
		snprintf(err, errlen, "bad user name '%.64s': 1 to 64 of letters, digits, _ - . @, "
			 "not starting with - or .", c->name ? c->name : "");
		return -1;
	}
	err[0] = '\0';
	if (store_write(st, user_apply, c, err, errlen) != 0)
		return c->result == RBAC_NOT_FOUND ? RBAC_NOT_FOUND : -1;
	return c->op == OP_BOOTSTRAP ? c->result : 0;
}

int rbac_bootstrap(struct store *st, const char *os_user, char *err, size_t errlen)
{
	struct user_ctx c = { OP_BOOTSTRAP, "system", os_user, NULL, 0, NULL, NULL };
	return user_write(st, &c, err, errlen);
}

int rbac_user_add(struct store *st, const char *actor, const char *name, const char *roles_csv,
		  char *err, size_t errlen)
{
	struct user_ctx c = { OP_ADD, actor, name, roles_csv, 0, NULL, NULL };
	return user_write(st, &c, err, errlen);
}

int rbac_user_set_roles(struct store *st, const char *actor, const char *name,
			const char *roles_csv, char *err, size_t errlen)
{
	struct user_ctx c = { OP_ROLES, actor, name, roles_csv, 0, NULL, NULL };
	return user_write(st, &c, err, errlen);
}

int rbac_user_disable(struct store *st, const char *actor, const char *name, int disabled,
		      char *err, size_t errlen)
{
	struct user_ctx c = { disabled ? OP_DISABLE : OP_ENABLE, actor, name, NULL, 0, NULL, NULL };
	return user_write(st, &c, err, errlen);
}

int rbac_user_remove(struct store *st, const char *actor, const char *name, char *err, size_t errlen)
{
	struct user_ctx c = { OP_REMOVE, actor, name, NULL, 0, NULL, NULL };
	return user_write(st, &c, err, errlen);
}

int rbac_user_set_contact(struct store *st, const char *actor, const char *name,
			  const char *slack_id, const char *email, char *err, size_t errlen)
{
	struct user_ctx c = { OP_CONTACT, actor, name, NULL, 0, slack_id, email };
	return user_write(st, &c, err, errlen);
}

int rbac_user_contact(struct store *st, const char *name, char *slack_id, size_t sl, char *email,
		      size_t el, char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct store_val k = { strlen(name), name }, d;
	struct user_rec u;
	int rc = secstore_get(st, txn, SECSTORE_USERS, &k, &d);
	int found = rc == 0 && user_decode(d.data, d.len, &u) == 0 && !u.disabled;
	store_read_end(st, txn);
	if (rc != 0 && rc != STORE_NOTFOUND) {
		store_error(st, rc, "reading a user", err, errlen);
		return -1;
	}
	if (!found)
		return RBAC_NOT_FOUND;
	if (slack_id)
		snprintf(slack_id, sl, "%s", u.slack_id);
	if (email)
		snprintf(email, el, "%s", u.email);
	return 0;
}

int rbac_user_by_slack(struct store *st, const char *slack_id, char *name, size_t nl, char *err,
		       size_t errlen)
{
	struct store_txn *txn;
	if (!slack_id || !slack_id[0])
		return RBAC_NOT_FOUND;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct secstore_cursor *cur;
	int found = 0, rc = secstore_cursor_open(st, txn, SECSTORE_USERS, &cur);
	if (rc == 0) {
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0 && !found;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			struct user_rec u;
			if (user_decode(d.data, d.len, &u) == 0 && !u.disabled &&
			    strcmp(u.slack_id, slack_id) == 0 && k.len < nl) {
				memcpy(name, k.data, k.len);
				name[k.len] = 0;
				found = 1;
			}
		}
		secstore_cursor_close(cur);
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "reading users", err, errlen);
		return -1;
	}
	return found ? 0 : RBAC_NOT_FOUND;
}

int rbac_user_list(struct store *st, int (*cb)(const struct rbac_user_info *u, void *ud),
		   void *ud, char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(st, txn, SECSTORE_USERS, &cur);
	if (rc == 0) {
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			struct user_rec u;
			char name[65], roles[600];
			if (k.len >= sizeof name || user_decode(d.data, d.len, &u) != 0)
				continue;
			memcpy(name, k.data, k.len);
			name[k.len] = '\0';
			struct rbac_user_info info = { name, roles_join(&u, roles, sizeof roles),
						       u.created_by, u.created, u.disabled,
						       user_perms(st, txn, &u) };
			if (cb(&info, ud) != 0)
				break;
		}
		secstore_cursor_close(cur);
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing users", err, errlen);
		return -1;
	}
	return 0;
}

struct role_ctx {
	const char *actor, *name;
	unsigned perms;
};

static int role_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct role_ctx *c = ud;
	unsigned char h[1 + 4 + 8];
	h[0] = 1;
	store_put_u32(h + 1, c->perms);
	store_put_u64(h + 5, (uint64_t)store_now_ms());
	struct store_buf b = { 0 }, det = { 0 };
	store_buf_add(&b, h, sizeof h);
	store_buf_str8(&b, c->actor);
	char perms[256];
	store_buf_str(&det, "{\"permissions\":");
	store_buf_json(&det, rbac_perms_format(c->perms, perms, sizeof perms));
	store_buf_str(&det, "}");
	struct store_val k = { strlen(c->name), (void *)c->name }, d = { b.len, b.p };
	int rc = b.oom || det.oom ? ENOMEM : secstore_put(st, txn, SECSTORE_ROLES, &k, &d, 0);
	if (rc == 0)
		rc = audit_append_txn(st, txn, c->actor, "role.define", c->name, store_buf_cstr(&det),
				      NULL, err, errlen);
	store_buf_free(&b);
	store_buf_free(&det);
	return rc;
}

int rbac_role_define(struct store *st, const char *actor, const char *name,
		     const char *perms_csv, char *err, size_t errlen)
{
	if (!name || !valid_role(name)) {
		snprintf(err, errlen, "bad role name '%.40s': 1 to 32 of a-z 0-9 _ -, starting "
			 "with a letter", name ? name : "");
		return -1;
	}
	if (rbac_builtin_perms(name)) {
		snprintf(err, errlen, "'%s' is a built-in role and cannot be redefined", name);
		return -1;
	}
	struct role_ctx c = { actor, name, 0 };
	if (rbac_perms_parse(perms_csv, &c.perms, err, errlen) != 0)
		return -1;
	err[0] = '\0';
	return store_write(st, role_apply, &c, err, errlen) == 0 ? 0 : -1;
}

int rbac_role_list(struct store *st,
		   int (*cb)(const char *name, unsigned perms, int builtin, void *ud),
		   void *ud, char *err, size_t errlen)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (cb(builtin_roles[i].name, builtin_roles[i].perms, 1, ud) != 0)
			return 0;
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(st, txn, SECSTORE_ROLES, &cur);
	if (rc == 0) {
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			char name[33];
			if (k.len >= sizeof name || d.len < 5)
				continue;
			memcpy(name, k.data, k.len);
			name[k.len] = '\0';
			if (cb(name, store_get_u32((const unsigned char *)d.data + 1), 0, ud) != 0)
				break;
		}
		secstore_cursor_close(cur);
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing roles", err, errlen);
		return -1;
	}
	return 0;
}
