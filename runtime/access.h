/* access.h - who may run what: the permission of every command-line action and
 * of every HTTP route, in one table each, side by side in access.c, so that
 * the CLI and the API cannot drift apart (a unit test pairs them).
 *
 * The CLI acts as the soarctl user named like the OS user of the process's
 * effective uid (its passwd name, else "uid<N>"): never an environment
 * variable, which anyone could set. */
#ifndef SOAR_ACCESS_H
#define SOAR_ACCESS_H

#include "rbac.h"
#include "store.h"

#include <stddef.h>

/* Besides rbac_perm bits, a rule may say: */
#define ACCESS_OPEN 0u            /* no check: touches no store data */
#define ACCESS_KNOWN (1u << 30)   /* any enabled soarctl user (the command checks more) */
#define ACCESS_NO_RULE (1u << 31) /* not in the table: refused */

/* The permission of command `cmd` with subcommand `sub` ("case", "list"), or
 * of `cmd` alone when it has no subcommands (sub NULL: "run"). */
unsigned access_cli_perm(const char *cmd, const char *sub);

/* HTTP routes (daemon_api.c asks the table, never names a permission itself). */
enum access_route {
	ROUTE_METRICS,        /* GET /metrics */
	ROUTE_EDL,            /* GET /edl/LIST (without the list's own credentials) */
	ROUTE_PROMPT_FORM,    /* GET /prompts/ID */
	ROUTE_PROMPT_ANSWER,  /* POST /api/v1/prompts/ID/answer */
	ROUTE_ALERTS,         /* POST /api/v1/alerts */
	ROUTE_CASES_READ,     /* GET /api/v1/cases[/REF[/timeline|children]] */
	ROUTE_CASES_WRITE,    /* POST /api/v1/cases[/REF[/close|notes|links]] */
	ROUTE_RUNS_READ,      /* GET /api/v1/runs[/ID[/steps]] */
	ROUTE_RUNS_CONTROL,   /* POST /api/v1/runs/ID/resume|cancel */
	ROUTE_JOBS_READ,      /* GET /api/v1/jobs */
	ROUTE_JOBS_MANAGE,    /* POST /api/v1/jobs/NAME/run|pause|resume */
	ROUTE_COUNT
};

struct access_route_rule {
	const char *route;     /* for messages and docs */
	const char *cli_twin;  /* the command that does the same ("case list"), or NULL */
	unsigned perm;
};

/* The table, indexed by enum access_route. */
extern const struct access_route_rule access_routes[ROUTE_COUNT];

static inline unsigned access_route_perm(enum access_route r)
{
	return access_routes[r].perm;
}

/* The soarctl user this process acts as, from the effective uid (see above). */
const char *access_os_user(char *buf, size_t len);

/* Who acts, once checked. */
struct access_who {
	char user[256];   /* soarctl user */
	char actor[300];  /* "cli:USER", for the audit log */
};

/* The one check every command makes: the permission the table gives
 * (cmd, sub), for the OS user's soarctl user in store `st`. A refusal is
 * audited (access.denied) and printed as "soarctl CMD: ..." with what to do
 * (which `soarctl user ...` an admin runs). `object` names what was asked for
 * in the audit entry (NULL: "CMD SUB"). Returns 0 (who filled, may be NULL)
 * or an exit code: EXIT_FAIL refused or store error, EXIT_USAGE no rule. */
int access_check(struct store *st, const char *cmd, const char *sub, const char *object,
		 struct access_who *who);

/* runout_open_store and access_check in one call: what every command that
 * reads or writes the store starts with. NULL after printing why. */
struct store *access_open(const char *cmd, const char *sub, const char *data, int create,
			  struct access_who *who);

#endif
