/* rbac.h - users, roles, permissions and API tokens: the one place that says
 * whether someone may do something, used by the CLI and (later) the HTTP API.
 *
 * Records (docs/security.md), integers big endian:
 *   SECSTORE_USERS  name -> u8 version 1 | u8 flags (1 = disabled) | i64 created_ms |
 *                           u8 nroles, (u8 len, role)... | u8 len, created_by
 *   SECSTORE_ROLES  name -> u8 version 1 | u32 permission bits | i64 created_ms |
 *                           u8 len, created_by          (custom roles only)
 *   SECSTORE_TOKENS id[8] -> see rbac_token.c
 * Built-in roles live in code and cannot be redefined. Every change is audited
 * in the same transaction; refusals through rbac_require are audited too. */
#ifndef SOAR_RBAC_H
#define SOAR_RBAC_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

enum rbac_perm {
	RBAC_CASE_READ = 1u << 0,
	RBAC_CASE_WRITE = 1u << 1,
	RBAC_CASE_ASSIGN = 1u << 2,
	RBAC_PROMPT_ANSWER = 1u << 3,
	RBAC_PLAYBOOK_RUN = 1u << 4,
	RBAC_SECRET_WRITE = 1u << 5,
	RBAC_JOB_MANAGE = 1u << 6,
	RBAC_USER_MANAGE = 1u << 7,
	RBAC_AUDIT_READ = 1u << 8,
	RBAC_ALL = (1u << 9) - 1,
};

#define RBAC_DENIED 1      /* return code: the check said no (err says why) */
#define RBAC_NOT_FOUND 2   /* return code: no such user/role/token */
#define RBAC_MAX_ROLES 16  /* per user */

/* "case.read" <-> RBAC_CASE_READ. Parse returns 0 for an unknown name. */
unsigned rbac_perm_parse(const char *name);
const char *rbac_perm_name(unsigned perm);

/* Comma-separated permission names -> bits. Returns 0 or -1 (err names the
 * unknown one and lists the known). */
int rbac_perms_parse(const char *csv, unsigned *out, char *err, size_t errlen);

/* Writes the names of `perms` comma-separated into buf. Returns buf. */
const char *rbac_perms_format(unsigned perms, char *buf, size_t len);

/* The permissions of a built-in role, or 0 when `role` is not built in. */
unsigned rbac_builtin_perms(const char *role);

/* The OS user this process acts for: the passwd name of the effective uid,
 * else "uid<N>" (never an environment variable, which anyone could set).
 * Returns buf. The CLI maps it to the soarctl
 * user of the same name. */
const char *rbac_os_user(char *buf, size_t len);

/* May `user` do `perm`? Returns 0 yes, RBAC_DENIED (err says why and what to
 * do: unknown user, disabled, missing permission), or -1 (store error). */
int rbac_check(struct store *st, const char *user, unsigned perm, char *err, size_t errlen);

/* rbac_check, and on refusal an audit entry (actor, "access.denied", object,
 * {"permission": ...}). `actor` is e.g. "cli:alice". Same returns. */
int rbac_require(struct store *st, const char *user, const char *actor, unsigned perm,
		 const char *object, char *err, size_t errlen);

/* Is `user` a member of `role` (for prompts and tasks assigned to a role)?
 * 1 yes, 0 no, -1 error. Admins are not implicitly members. */
int rbac_member(struct store *st, const char *user, const char *role, char *err, size_t errlen);

/* For `soarctl init`: when the store has no user yet, creates `os_user` as an
 * admin. Returns 1 created, 0 users already exist, -1 error. */
int rbac_bootstrap(struct store *st, const char *os_user, char *err, size_t errlen);

/* Users. `roles_csv` like "analyst,approver"; every role must exist. Changing
 * roles refuses to leave the store without an enabled admin. Return 0,
 * RBAC_NOT_FOUND (set_roles: no such user), or -1 (err). */
int rbac_user_add(struct store *st, const char *actor, const char *name, const char *roles_csv,
		  char *err, size_t errlen);
int rbac_user_set_roles(struct store *st, const char *actor, const char *name,
			const char *roles_csv, char *err, size_t errlen);

/* Disables (1) or enables (0) a user: a disabled user keeps its record and
 * roles but every check and token of it fails. Removing deletes the user and
 * revokes its tokens. Both refuse to leave no enabled admin, and are audited.
 * Return 0, RBAC_NOT_FOUND, or -1 (err). */
int rbac_user_disable(struct store *st, const char *actor, const char *name, int disabled,
		      char *err, size_t errlen);
int rbac_user_remove(struct store *st, const char *actor, const char *name, char *err, size_t errlen);

/* A user's contacts, for prompts that reach people: Slack user id (answers
 * from Slack are this user's) and email address. NULL keeps, "" clears.
 * Audited (user.contact). */
int rbac_user_set_contact(struct store *st, const char *actor, const char *name,
			  const char *slack_id, const char *email, char *err, size_t errlen);
/* 0 with the contacts copied (empty when unset), RBAC_NOT_FOUND (also for a
 * disabled user), -1 with err. */
int rbac_user_contact(struct store *st, const char *name, char *slack_id, size_t sl, char *email,
		      size_t el, char *err, size_t errlen);
/* The enabled user with this Slack id: 0, RBAC_NOT_FOUND or -1. */
int rbac_user_by_slack(struct store *st, const char *slack_id, char *name, size_t nl, char *err,
		       size_t errlen);

struct rbac_user_info {
	const char *name;
	const char *roles;      /* comma-separated */
	const char *created_by;
	int64_t created_ms;
	int disabled;
	unsigned perms;         /* effective */
};

/* Calls cb for every user, by name (pointers valid during the call). 0 or -1. */
int rbac_user_list(struct store *st, int (*cb)(const struct rbac_user_info *u, void *ud),
		   void *ud, char *err, size_t errlen);

/* Custom roles: defines (or redefines) `name` with permission names `perms_csv`. */
int rbac_role_define(struct store *st, const char *actor, const char *name,
		     const char *perms_csv, char *err, size_t errlen);

/* Calls cb for built-in then custom roles. 0 or -1. */
int rbac_role_list(struct store *st,
		   int (*cb)(const char *name, unsigned perms, int builtin, void *ud),
		   void *ud, char *err, size_t errlen);

/* ---- API tokens (rbac_token.c) ---- */

/* "soar_" + 16 hex (id) + "_" + 43 base64url (32 random bytes) */
#define RBAC_TOKEN_LEN (5 + 16 + 1 + 43)

/* Creates a token for `user` (which must exist). `expires_ms` 0 = never.
 * token receives the only copy of the secret (shown once; the store keeps its
 * SHA-256); id_hex its id (for list/revoke). Returns 0 or -1. */
int rbac_token_create(struct store *st, const char *actor, const char *user, const char *label,
		      int64_t expires_ms, char token[RBAC_TOKEN_LEN + 1], char id_hex[17],
		      char *err, size_t errlen);

/* Checks a bearer token: well-formed, known, hash equal (constant time), not
 * revoked, not expired, its user enabled. On success writes the user's name.
 * Each use and each refusal is audited ("token.use", "token.denied").
 * Returns 0, RBAC_DENIED (err says why, without echoing the token), or -1. */
int rbac_token_auth(struct store *st, const char *token, char *user, size_t userlen,
		    char *err, size_t errlen);

/* Revokes token `id_hex` (16 hex digits). Who may is the caller's check: its
 * owner or a user.manage holder (rbac_token_owner tells the owner). Returns 0,
 * RBAC_NOT_FOUND, or -1. */
int rbac_token_revoke(struct store *st, const char *actor, const char *id_hex,
		      char *err, size_t errlen);
/* The user a token belongs to, into owner. 0, RBAC_NOT_FOUND or -1. */
int rbac_token_owner(struct store *st, const char *id_hex, char *owner, size_t len,
		     char *err, size_t errlen);

struct rbac_token_info {
	char id[17];
	const char *user, *label, *created_by;
	int64_t created_ms, expires_ms, revoked_ms;
};

/* For rbac.c, inside its write: marks every live token of `user` revoked
 * (audited one by one); *n counts them. 0 or a store code. */
int rbac_tokens_revoke_user_txn(struct store *st, struct store_txn *txn, const char *user, int *n);

/* Calls cb for tokens of `user` (NULL = all). 0 or -1. */
int rbac_token_list(struct store *st, const char *user,
		    int (*cb)(const struct rbac_token_info *t, void *ud), void *ud,
		    char *err, size_t errlen);

#endif
