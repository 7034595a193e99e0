/* sla_escalate.c - SLA escalation in the daemon: once a second the watches
 * (store/sla_watch.h) are read; a case whose SLA is breached (pauses counted,
 * case_sla_breached) and still open, or a task past its due time whose run is
 * still going, has its declared `on_breach` done once: the durable marker is
 * set first (sla_claim, one transaction), then the actions run: severity and
 * reassignment as one case update, a timeline note saying what was done, a
 * notification (a built-in run: email.send and/or slack.post), a playbook
 * started with the case, and an audit entry. A crash between the marker and
 * the actions leaves them undone rather than done twice. */
#include "sla_escalate.h"
#include "audit.h"
#include "case.h"
#include "json.h"
#include "runstore.h"
#include "sla_watch.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTOR "sla:escalation"

/* The notification, as a run of its own so that email and Slack are the
 * primitives' (config, secrets, journal, retries). */
static const char notify_code[] =
	"return { name = \"sla_notify\", description = \"SLA escalation: tell people (built in)\",\n"
	"  inputs = { case = { type = \"string\" }, email = { type = \"any\" },\n"
	"             slack = { type = \"string\" }, text = { type = \"string\" } },\n"
	"  run = function(_, i)\n"
	"    local r = {}\n"
	"    if i.email then\n"
	"      local ok, err, detail = email.send{ to = i.email, subject = i.text, text = i.text }\n"
	"      r.email = ok and \"sent\" or (tostring(err) .. \": \" .. tostring(detail))\n"
	"    end\n"
	"    if i.slack then\n"
	"      local ok, err = slack.post{ channel = i.slack, text = i.text }\n"
	"      r.slack = ok and \"posted\" or tostring(err)\n"
	"    end\n"
	"    if i.case then case.note(i.case, \"SLA escalation notified: \" .. json.encode(r)) end\n"
	"    return r\n"
	"  end }\n";

static struct pb_meta notify_pb;
static int notify_ready;

static const struct pb_meta *notify_playbook(void)
{
	if (!notify_ready) {
		notify_pb.name = "sla_notify";
		if (playbook_load_string("sla_notify", notify_code, sizeof notify_code - 1,
					 &notify_pb.src) != 0)
			return NULL;
		notify_ready = 1;
	}
	return &notify_pb;
}

static const char *jstr(const struct json_doc *d, const struct json_node *o, const char *k)
{
	const struct json_node *v = o ? json_get(d, o, k) : NULL;
	return v && v->type == JSON_STRING ? v->str : NULL;
}

/* The input for a playbook started by an escalation: only what it declares. */
static void playbook_input(const struct pb_meta *pb, const struct sla_watch *w, struct store_buf *b)
{
	store_buf_str(b, "{");
	int first = 1;
	for (int i = 0; i < pb->ninputs; i++) {
		const struct pb_input *in = &pb->inputs[i];
		int num = !strcmp(in->type, "integer") || !strcmp(in->type, "number");
		const char *sep = first ? "" : ",";
		if (!strcmp(in->name, "case") && w->case_seq) {
			if (num)
				store_buf_printf(b, "%s\"case\":%llu", sep, (unsigned long long)w->case_seq);
			else
				store_buf_printf(b, "%s\"case\":\"%llu\"", sep, (unsigned long long)w->case_seq);
		} else if (!strcmp(in->name, "task") && w->task && !num) {
			store_buf_printf(b, "%s\"task\":", sep);
			store_buf_json(b, w->path);
		} else if (!strcmp(in->name, "run") && w->task && !num) {
			store_buf_printf(b, "%s\"run\":\"%s\"", sep, w->run);
		} else {
			continue;
		}
		first = 0;
	}
	store_buf_str(b, "}");
}

static void act(struct daemon *d, const struct sla_watch *w, const char *what)
{
	struct store *st = daemon_store(d);
	struct json_doc doc;
	if (json_parse(&doc, w->on_breach, strlen(w->on_breach), 0, NULL, 0) != 0)
		return;
	const struct json_node *o = &doc.n[0];
	struct store_buf done = { 0 };
	char ref[32], err[512] = "";
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)w->case_seq);
	/* severity and owner/role: one update of the case */
	const char *sev = jstr(&doc, o, "severity");
	const struct json_node *ra = json_get(&doc, o, "reassign");
	const char *owner = ra && ra->type == JSON_STRING ? ra->str : jstr(&doc, ra, "owner");
	const char *role = jstr(&doc, ra, "role");
	if (w->case_seq && (sev || owner || role)) {
		struct case_rec c;
		if (case_get(st, ref, &c, err, sizeof err) == 0) {
			struct case_fields f;
			case_fields_init(&f);
			int sev_to = 0;
			if (sev && strcmp(sev, "raise") == 0)
				sev_to = c.severity < CASE_SEV_CRITICAL ? c.severity + 1 : 0;
			else if (sev)
				sev_to = case_severity_parse(sev) != c.severity ? case_severity_parse(sev) : 0;
			if (sev_to) {
				case_fields_set(&f, "severity", case_severity_name(sev_to), err, sizeof err);
				store_buf_printf(&done, "severity %s -> %s; ", case_severity_name(c.severity),
						 case_severity_name(sev_to));
			}
			if (owner) {
				case_fields_set(&f, "owner", owner, err, sizeof err);
				store_buf_printf(&done, "owner -> %s; ", owner);
			}
			if (role) {
				case_fields_set(&f, "role", role, err, sizeof err);
				store_buf_printf(&done, "role -> %s; ", role);
			}
			struct case_rec out;
			if (f.set && case_update(st, ref, &f, ACTOR, &out, err, sizeof err) == 0)
				case_rec_free(&out);
			else if (f.set)
				store_buf_printf(&done, "(update refused: %s) ", err);
			case_fields_free(&f);
			case_rec_free(&c);
		}
	}
	/* notify: a run of the built-in notification */
	const struct json_node *nt = json_get(&doc, o, "notify");
	if (nt && nt->type == JSON_OBJECT) {
		const struct pb_meta *pb = notify_playbook();
		struct store_buf in = { 0 };
		const char *text = jstr(&doc, nt, "text");
		char deftext[600];
		snprintf(deftext, sizeof deftext, "SLA breached: %s", what);
		store_buf_str(&in, "{\"text\":");
		store_buf_json(&in, text ? text : deftext);
		if (w->case_seq)
			store_buf_printf(&in, ",\"case\":\"%s\"", ref);
		const struct json_node *em = json_get(&doc, nt, "email");
		if (em) {
			store_buf_str(&in, ",\"email\":");
			store_buf_add(&in, em->raw, em->rawlen);
		}
		const char *sl = jstr(&doc, nt, "slack");
		if (sl) {
			store_buf_str(&in, ",\"slack\":");
			store_buf_json(&in, sl);
		}
		store_buf_str(&in, "}");
		char run[37] = "";
		if (pb && daemon_start_playbook_as(d, pb, store_buf_cstr(&in), ACTOR, run) == 0)
			store_buf_printf(&done, "notified (run %s); ", run);
		else
			store_buf_str(&done, "notification not started (queue full); ");
		store_buf_free(&in);
	}
	/* playbook */
	const char *pbname = jstr(&doc, o, "playbook");
	if (pbname) {
		const struct pb_meta *pb = pb_set_find(daemon_playbooks(d), pbname);
		if (!pb) {
			store_buf_printf(&done, "no playbook %s to start; ", pbname);
		} else {
			struct store_buf in = { 0 };
			playbook_input(pb, w, &in);
			char run[37] = "";
			if (daemon_start_playbook_as(d, pb, store_buf_cstr(&in), ACTOR, run) == 0)
				store_buf_printf(&done, "started %s (run %s); ", pbname, run);
			else
				store_buf_printf(&done, "%s not started (queue full); ", pbname);
			store_buf_free(&in);
		}
	}
	json_doc_free(&doc);
	const char *summary = done.len ? store_buf_cstr(&done) : "nothing to do; ";
	char note[1400];
	snprintf(note, sizeof note, "SLA breached (%s): escalated: %s", what, summary);
	size_t nl = strlen(note);
	if (nl >= 2 && note[nl - 2] == ';')
		note[nl - 2] = 0;
	if (w->case_seq)
		case_note(st, ref, CASE_ENTRY_NOTE, ACTOR, note, w->on_breach, NULL, err, sizeof err);
	char aerr[128], object[340];
	snprintf(object, sizeof object, w->task ? "task %s run %s" : "case %s", w->task ? w->path : ref,
		 w->run);
	audit_append(st, ACTOR, "sla.escalate", object, w->on_breach, aerr, sizeof aerr);
	dlog(LOG_INFO, w->task ? w->run : NULL, "%s", note);
	store_buf_free(&done);
}

void sla_sweep(struct daemon *d, int64_t now)
{
	struct store *st = daemon_store(d);
	struct sla_watch *w = NULL;
	size_t n = 0;
	char err[300];
	if (sla_watch_list(st, 0, 0, &w, &n, err, sizeof err) != 0) {
		dlog(LOG_WARN, NULL, "SLA escalation: %s", err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct sla_watch *x = &w[i];
		if (!x->on_breach || x->fired)
			continue;
		char what[400];
		if (x->task) {
			if (x->done || now <= x->due)
				continue;
			struct run_rec r;
			if (run_get(st, x->run, &r, err, sizeof err) != 0)
				continue;
			int going = r.status == RUN_RUNNING || r.status == RUN_WAITING;
			run_rec_free(&r);
			if (!going)
				continue;
			snprintf(what, sizeof what, "task %s of run %s%s%llu", x->path, x->run,
				 x->case_seq ? ", case #" : "", (unsigned long long)x->case_seq);
			if (!x->case_seq)
				snprintf(what, sizeof what, "task %s of run %s", x->path, x->run);
		} else {
			char ref[32];
			snprintf(ref, sizeof ref, "%llu", (unsigned long long)x->case_seq);
			struct case_rec c;
			if (case_get(st, ref, &c, err, sizeof err) != 0)
				continue;
			int breached = c.status != CASE_CLOSED && case_sla_breached(&c, now);
			case_rec_free(&c);
			if (!breached)
				continue;
			snprintf(what, sizeof what, "case #%s", ref);
		}
		if (sla_claim(st, x, now, err, sizeof err) == 1)
			act(d, x, what);
	}
	sla_watch_free(w, n);
}
