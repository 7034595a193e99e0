/* daemon_selfservice.h - people starting playbooks themselves, and reading a
 * case's attachments over HTTP (docs/daemon.md "Self-service").
 *
 * A playbook that declares `form = { title =, description =, roles = {...} }`
 * is offered at GET /forms/NAME: an HTML page built from its `inputs`. Who
 * submits it starts a run as themself (the run's actor "http:USER", an audit
 * entry "playbook.start" with the playbook, the run id and the input names).
 * POST /api/v1/playbooks/NAME/runs does the same with a JSON object of inputs.
 * Both need playbook.run (access_rules.c) and, when the form names roles,
 * membership of one of them.
 *
 * Authentication: an API token (Authorization: Bearer), or in a browser a
 * sign-in on the page itself: the token posted once to /forms/login opens a
 * session (a random cookie, HttpOnly, SameSite=Strict, Path=/forms, 8 hours,
 * kept in the daemon's memory only). A form posted with the session cookie
 * must carry the page's CSRF token (an HMAC of the session and the form's
 * name under a per-daemon key) and, when the browser sends one, an Origin of
 * this host. Every handler here runs on the loop thread.
 */
#ifndef SOAR_DAEMON_SELFSERVICE_H
#define SOAR_DAEMON_SELFSERVICE_H

#include "daemon.h"

#include <lua.h>

/* Reads `inputs` and `form` of the playbook table at `pb` into m (daemon_pb.c,
 * inside the metadata sandbox). 0, or -1 with err naming the field. What it
 * allocated before a failure is freed by pb_form_free. */
int pb_read_form(lua_State *L, int pb, struct pb_meta *m, char *err, size_t errlen);
void pb_form_free(struct pb_meta *m);

/* The user of the request's form-session cookie, or NULL (none, unknown or
 * expired). For the gate. */
const char *ss_session_user(struct httpd_req *r);

/* The routes (daemon_api.c routes to them; the gate authenticated `user`,
 * which may be NULL for the pages: they answer with the sign-in page). */
void ss_login(struct daemon *d, struct httpd_req *r);                       /* POST /forms/login */
void ss_forms_list(struct daemon *d, struct httpd_req *r, const char *user); /* GET /forms */
void ss_form_page(struct daemon *d, struct httpd_req *r, const char *name, const char *user);
void ss_form_submit(struct daemon *d, struct httpd_req *r, const char *name, const char *user);
void ss_api_start(struct daemon *d, struct httpd_req *r, const char *name, const char *user);
/* GET /api/v1/cases/REF/attachments/NAME: the bytes, their media type, and
 * Content-Disposition: attachment (mime.h). */
void ss_attachment(struct daemon *d, struct httpd_req *r, const char *ref, const char *name);

#endif
