/* dash.h - the web dashboard at / and /ui/ of `soarctl serve` (dash.c, pages in
 * dash_pages.c): server-rendered HTML, sign-in with an API token exchanged for
 * a session cookie (dash_session.h), a CSRF token on every form, each page and
 * action checked with the same permission as its API route (access_rules.h). */
#ifndef SOAR_DASH_H
#define SOAR_DASH_H

#include "store_buf.h"

#include <stddef.h>

struct daemon;
struct httpd_req;
struct dash_session;

/* daemon_api.c routes "/" and "/ui/..." here. At the request's head: the
 * session and the permission (answers a refusal). */
void dash_gate(struct daemon *d, struct httpd_req *r);
/* With the body in: CSRF on every POST, then the page or the action. */
void dash_handle(struct daemon *d, struct httpd_req *r);

/* ---- shared by dash.c and dash_pages.c ---- */
struct dash_ctx {
	struct daemon *d;
	struct httpd_req *r;
	struct dash_session *s;
	const char *seg[6];            /* path segments after /ui (seg[0] "cases"...) */
	char segbuf[6][256];
	int nseg;
	struct store_buf b;
	unsigned perms_ok;             /* bit per access_route the user holds */
};

/* printf into the page with every %s HTML-escaped (only %s, %d, %u, %ld, %lld,
 * %llu, %zu, %.1f, %% are understood) */
void dash_printf(struct dash_ctx *c, const char *fmt, ...);
void dash_page_start(struct dash_ctx *c, const char *title);
/* Ends the page and answers 200 with the dashboard's security headers. */
void dash_page_end(struct dash_ctx *c);
/* A hidden CSRF field for a form. */
void dash_csrf_field(struct dash_ctx *c);
/* 1 when the user holds the permission of access route `route`. */
int dash_may(struct dash_ctx *c, int route);
/* A message page with status. */
void dash_message(struct dash_ctx *c, unsigned status, const char *title, const char *msg);

/* dash_pages.c */
void dash_overview(struct dash_ctx *c);
void dash_cases(struct dash_ctx *c);
void dash_case(struct dash_ctx *c, const char *ref);
void dash_runs(struct dash_ctx *c);
void dash_run(struct dash_ctx *c, const char *id);
void dash_jobs(struct dash_ctx *c);
void dash_edls(struct dash_ctx *c);
void dash_playbooks(struct dash_ctx *c);
void dash_events(struct dash_ctx *c);

#endif
