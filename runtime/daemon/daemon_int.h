/* daemon_int.h - struct daemon: private to the loop (daemon.c), the workers
 * (daemon_work.c) and the routes (daemon_api.c). ingest.c and jobs.c use the
 * functions of daemon.h instead. */
#ifndef SOAR_DAEMON_INT_H
#define SOAR_DAEMON_INT_H

#include "daemon.h"
#include "store_buf.h"

struct daemon {
	struct daemon_opts o;
	struct ev_loop *loop;
	struct store *st;
	struct httpd *http;
	struct pb_set *set;            /* current playbooks */
	struct integ_snap *integ;      /* current integrations and their config (installed) */
	struct sched *sched;           /* jobs.c */
	struct pp_window *window;
	ev_signal sigterm, sigint, sighup;
	ev_timer tick, drain_timer;
	ev_async wake;
	int stopping;
	/* the hand-back queue */
	pthread_mutex_t post_mu;
	struct post_item *posts;
	/* workers */
	int nthreads;
	size_t cap;
	int quit;
	/* runs the loop has queued and not seen finish: never twice at once */
	char (*inflight)[37];
	size_t ninflight, capinflight;
	/* auth cache (rbac_token_auth writes an audit entry per use) */
	struct auth_cache *auth;
	double started;
	char base_url[512];        /* daemon_base_url */
};

/* daemon_api.c, for the dashboard (dash.c): one implementation each. */
/* HTML text: prompt_form.h's pform_html_escape, the one escaper. */
int form_value(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* Answering a prompt from the dashboard: daemon_prompt.h, dprompt_answer_choice. */

#endif
