/* daemon_warroom.h - POST /api/v1/cases/REF/warroom (daemon_warroom.c). */
#ifndef SOAR_DAEMON_WARROOM_H
#define SOAR_DAEMON_WARROOM_H

struct daemon;
struct httpd_req;

/* Body {"command": "!integration.command arg=value ...", "mock": false}; the
 * user has case.write (checked by the caller) and needs playbook.run. Answers
 * later, from warroom_api_done. */
void warroom_api(struct daemon *d, struct httpd_req *r, const char *user, const char *ref);
/* On the loop's thread: a command finished (daemon_post POST_WARROOM_DONE). */
void warroom_api_done(struct daemon *d, void *p);

#endif
