/* runinfo.h - what primitives may know about the run that called them.
 * The `ud` of every sandbox job that runs playbook code starts with this struct,
 * so sandbox_current() can be read as a `struct run_info *`. */
#ifndef SOAR_RUNINFO_H
#define SOAR_RUNINFO_H

struct engine_run;
struct egress_scope;
struct redact_set;

struct run_info {
	char id[40];          /* run id (uuid v7) */
	char playbook[128];   /* playbook name, or the file name before it is known */
	/* The durable run this execution belongs to, or NULL when nothing is
	 * journaled (tests, benchmarks): then steps simply act. */
	struct engine_run *engine;
	/* The playbook file, while its run executes (sub-playbooks are found beside it). */
	const char *path;
	/* Hosts the playbook declared (`hosts = {...}`), or NULL: its raw http reach. */
	const struct egress_scope *egress;
	/* Secret values the run opened, scrubbed from all it writes (runscrub.h). */
	struct redact_set *redact;
	/* A person driving the code directly (the REPL, the war room): who the
	 * timeline names for its case writes ("cli:alice"), else NULL (a playbook). */
	const char *actor;
};

#endif
