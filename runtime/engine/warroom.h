/* warroom.h - one war-room command (`!integration.command arg=value ...`)
 * executed in the sandbox and, when a case is attached, recorded on its timeline.
 *
 * The REPL (cmd_repl.c) and the daemon's war-room endpoint
 * (POST /api/v1/cases/REF/warroom) both go through here, so a command typed in
 * a terminal and one sent from the dashboard run and land identically: a
 * `command` entry (the line, with the typed arguments as data) and a `result`
 * entry (the result as data, or the error), both with the user who ran them.
 * Everything written or returned is scrubbed of the secrets the command opened.
 */
#ifndef SOAR_WARROOM_H
#define SOAR_WARROOM_H

#include "runinfo.h"
#include "sandbox.h"

#include <stddef.h>

struct store;

struct warroom_cmd {
	/* First, so that primitives read it as the run's run_info. */
	struct run_info info;
	/* In: */
	const char *line;          /* "!name.command a=1 ..." */
	int mock;                  /* every integration answers with its mock */
	/* Out (malloc'd, scrubbed; free with warroom_cmd_clear): */
	int ok;                    /* 1: the command returned a result */
	char *qname;               /* "abuseipdb.check", or NULL if the line was refused */
	char *args_json;           /* the typed arguments */
	char *result_json;         /* the result ("null" when it returned nil, err) */
	char *text;                /* the result as aligned text, for people */
	char *error;               /* the command's error, or why the line was refused */
	double duration_ms;
};

/* Parses, types (by the manifest's args) and runs the line on sb under lim.
 * Returns 0 when the command ran to an answer (w->ok says which), -1 when the
 * line itself was refused (w->error says why: syntax, unknown integration,
 * command or argument, a missing argument). */
int warroom_run(struct sandbox *sb, const struct sandbox_limits *lim, struct warroom_cmd *w);

/* Appends the command and its result to the case's timeline as `actor`.
 * 0, or -1 with a message. */
int warroom_record(struct store *st, const char *case_ref, const char *actor,
		   const struct warroom_cmd *w, char *err, size_t errlen);

void warroom_cmd_clear(struct warroom_cmd *w);

#endif
