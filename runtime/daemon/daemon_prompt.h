/* daemon_prompt.h - prompts reaching people: the answer endpoints (the HTML
 * form, the JSON API, the emailed link, Slack's interactive callbacks), all
 * through prompt_form.h's one check; and the courier, a thread that delivers
 * what prompts declare (notify: Slack, email; remind; escalate) at the due
 * times stored with each prompt, so that they survive a restart. */
#ifndef SOAR_DAEMON_PROMPT_H
#define SOAR_DAEMON_PROMPT_H

#include <stddef.h>

struct daemon;
struct httpd_req;

/* GET /prompts/ID (a bearer token, or ?t= a per-prompt link token). */
void dprompt_form(struct daemon *d, struct httpd_req *r, const char *id);
/* POST /api/v1/prompts/ID/answer: JSON {"choice"} / {"fields"}, or the form. */
void dprompt_answer(struct daemon *d, struct httpd_req *r, const char *id);
/* POST /slack/interactive: block_actions (buttons), view_submission (modals). */
void dprompt_slack(struct daemon *d, struct httpd_req *r);

/* The gate's check of ?t= for a prompt route: 1 valid (the user set to the
 * link's addressee), 0 no such parameter, -1 refused (answered here). An API
 * token in the URL (?token=) is refused: links carry per-prompt tokens only. */
/* An option chosen on another page of the daemon (the dashboard), through the
 * one check every answer takes: 0, or -1 with err and the HTTP status (404 no
 * such prompt, 403 not for `by`, 400 not an option, 409 answered or timed out). */
int dprompt_answer_choice(struct daemon *d, const char *id, const char *choice, const char *by,
			  char *err, size_t errlen, int *http_status);

int dprompt_gate_link(struct daemon *d, struct httpd_req *r, const char *id);

/* Work for the courier's thread: the Slack message of an answered prompt
 * updated (who answered); a form's modal opened on a click's trigger. */
void dprompt_courier_answered(struct daemon *d, const char *id);
void dprompt_courier_modal(struct daemon *d, const char *id, const char *trigger_id);

/* Replaces an answered prompt's Slack message with who answered and what
 * (chat.update), now, in this thread: for answers given outside the daemon
 * (`soarctl prompt answer`). 0 also when it has no Slack message; -1 with err. */
struct store;
int dprompt_slack_answered(struct store *st, const char *id, char *err, size_t errlen);

/* The courier: started with the daemon, stopped before its store closes. */
int dprompt_courier_start(struct daemon *d);
void dprompt_courier_stop(void);

#endif
