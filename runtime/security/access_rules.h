/* access_rules.h - who may run what: the permission of every command-line action and
 * of every HTTP route, in one table each, side by side in access_rules.c, so that
 * the CLI and the API cannot drift apart (a unit test pairs them).
 *
 * The CLI acts as the soarctl user named like the OS user of the process's
 * effective uid (its passwd name, else "uid<N>"): never an environment
 * variable, which anyone could set. */
#ifndef SOAR_ACCESS_RULES_H
#define SOAR_ACCESS_RULES_H

#include "rbac.h"

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
	ROUTE_WARROOM,        /* POST /api/v1/cases/REF/warroom (and playbook.run, checked there) */
	ROUTE_PLAYBOOK_START, /* POST /api/v1/playbooks/NAME/runs */
	ROUTE_FORMS,          /* GET /forms, GET|POST /forms/NAME (and the form's roles) */
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

#endif
