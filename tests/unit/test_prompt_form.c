/* test_prompt_form.c - the one check of a prompt's answer: every field type,
 * the same message from a form post and from JSON, defaults, specs refused
 * with a message, and the HTML page (labels bound, no script, no asset). */
#include "check.h"
#include "json.h"
#include "prompt_form.h"

#include <stdlib.h>
#include <string.h>

static const char *fields_json =
	"[{\"name\":\"who\",\"type\":\"string\",\"label\":\"Requester\",\"help\":\"Full name\"},"
	"{\"name\":\"why\",\"type\":\"text\",\"required\":false},"
	"{\"name\":\"budget\",\"type\":\"number\",\"default\":\"12.5\"},"
	"{\"name\":\"count\",\"type\":\"integer\",\"label\":\"How many\"},"
	"{\"name\":\"urgent\",\"type\":\"boolean\",\"default\":true},"
	"{\"name\":\"env\",\"type\":\"choice\",\"options\":[\"dev\",\"prod\"]},"
	"{\"name\":\"tools\",\"type\":\"choices\",\"options\":[\"edr\",\"siem\",\"waf\"]},"
	"{\"name\":\"start\",\"type\":\"date\"}]";

static int spec(struct pform *pf, const char *opts, const char *fields, char *err, size_t n)
{
	char *s = pform_normalize(opts, fields, err, n);
	if (!s)
		return -1;
	int rc = pform_parse(pf, s, err, n);
	free(s);
	return rc;
}

static int by_urlenc(const struct pform *pf, const char *body, struct pform_result *r)
{
	struct pform_urlenc *u = malloc(sizeof *u);
	u->body = body;
	u->len = strlen(body);
	int rc = pform_validate(pf, pform_get_urlenc, u, 1, r);
	free(u);
	return rc;
}

static int by_json(const struct pform *pf, const char *json, struct pform_result *r)
{
	struct json_doc d;
	if (json_parse(&d, json, strlen(json), 0, NULL, 0) != 0)
		return -2;
	struct pform_jsonsrc src = { &d, &d.n[0], "" };
	int rc = pform_validate(pf, pform_get_json, &src, 0, r);
	json_doc_free(&d);
	return rc;
}

int main(void)
{
	char err[512];
	struct pform pf;
	struct pform_result r;
	CHECK(spec(&pf, NULL, fields_json, err, sizeof err) == 0);
	CHECK(pf.nf == 8);
	CHECK(pf.f[2].default_json && strcmp(pf.f[2].default_json, "12.5") == 0); /* typed */
	CHECK(pf.f[4].required == 0 && pf.f[3].required == 1 && pf.f[1].required == 0);

	/* A whole form, every type. */
	CHECK(by_urlenc(&pf, "_form=1&who=Ada+L&why=line1%0D%0Aline2&budget=3&count=42&urgent=true"
			"&env=prod&tools=edr&tools=waf&start=2026-12-24", &r) == 0);
	CHECK_STR(r.answer_json, "{\"who\":\"Ada L\",\"why\":\"line1\\nline2\",\"budget\":3,"
		  "\"count\":42,\"urgent\":true,\"env\":\"prod\",\"tools\":[\"edr\",\"waf\"],"
		  "\"start\":\"2026-12-24\"}");
	pform_result_free(&r);

	/* An integer "x": the same message from the form and from JSON. */
	CHECK(by_urlenc(&pf, "who=a&count=x&env=dev&start=2026-01-01&budget=1", &r) == -1);
	CHECK_HAS(r.err, "How many: must be a whole number, got \"x\"");
	CHECK(r.field_err[3] != NULL && r.field_err[0] == NULL);
	char form_msg[512];
	snprintf(form_msg, sizeof form_msg, "%s", r.err);
	pform_result_free(&r);
	CHECK(by_json(&pf, "{\"who\":\"a\",\"count\":\"x\",\"env\":\"dev\",\"start\":\"2026-01-01\"}", &r) == -1);
	CHECK_STR(r.err, form_msg);
	pform_result_free(&r);
	CHECK(by_json(&pf, "{\"who\":\"a\",\"count\":1.5,\"env\":\"dev\",\"start\":\"2026-01-01\"}", &r) == -1);
	CHECK_HAS(r.err, "must be a whole number, got \"1.5\"");
	pform_result_free(&r);

	/* JSON: left out takes the default; an unticked box in a form is false. */
	CHECK(by_json(&pf, "{\"who\":\"a\",\"count\":\"7\",\"env\":\"dev\",\"start\":\"2026-01-01\"}", &r) == 0);
	CHECK_STR(r.answer_json, "{\"who\":\"a\",\"budget\":12.5,\"count\":7,\"urgent\":true,"
		  "\"env\":\"dev\",\"tools\":[],\"start\":\"2026-01-01\"}");
	pform_result_free(&r);
	CHECK(by_urlenc(&pf, "who=a&count=7&env=dev&start=2026-01-01&budget=1", &r) == 0);
	CHECK_HAS(r.answer_json, "\"urgent\":false");
	pform_result_free(&r);

	/* Every other message. */
	CHECK(by_urlenc(&pf, "who=&count=1&env=qa&tools=x&start=2026-02-30&budget=nan", &r) == -1);
	CHECK_HAS(r.err, "Requester: is required");
	CHECK_HAS(r.err, "env: \"qa\" is not one of: dev, prod");
	CHECK_HAS(r.err, "tools: \"x\" is not one of: edr, siem, waf");
	CHECK_HAS(r.err, "start: must be a date as YYYY-MM-DD, got \"2026-02-30\"");
	CHECK_HAS(r.err, "budget: must be a number, got \"nan\"");
	pform_result_free(&r);
	CHECK(by_json(&pf, "{\"who\":\"a\",\"count\":1,\"env\":\"dev\",\"start\":\"2024-02-29\",\"urgent\":\"maybe\"}", &r) == -1);
	CHECK_HAS(r.err, "urgent: must be true or false, got \"maybe\"");
	pform_result_free(&r);

	/* The page. */
	struct store_buf b = { 0 };
	CHECK(by_urlenc(&pf, "who=%3Cb%3E&count=x", &r) == -1);
	struct pform_urlenc *u = malloc(sizeof *u);
	u->body = "who=%3Cb%3E&count=x";
	u->len = strlen(u->body);
	pform_render_html(&pf, "Approve <this>?", "/api/v1/prompts/X/answer?t=a&b", pform_get_urlenc, u,
			  &r, &b);
	free(u);
	const char *h = store_buf_cstr(&b);
	CHECK_HAS(h, "<label for=\"f-count\">How many");
	CHECK_HAS(h, "id=\"f-count\" name=\"count\"");
	CHECK_HAS(h, "aria-describedby=\"e-count\" aria-invalid=\"true\" value=\"x\"");
	CHECK_HAS(h, "<p class=error id=\"e-count\">must be a whole number, got &quot;x&quot;</p>");
	CHECK_HAS(h, "value=\"&lt;b&gt;\"");
	CHECK_HAS(h, "Approve &lt;this&gt;?");
	CHECK_HAS(h, "<textarea");
	CHECK_HAS(h, "type=date");
	CHECK_HAS(h, "type=radio id=\"f-env-1\" name=\"env\" value=\"prod\"");
	CHECK_HAS(h, "<label for=\"f-tools-2\">waf</label>");
	CHECK_HAS(h, "action=\"/api/v1/prompts/X/answer?t=a&amp;b\"");
	CHECK_HAS(h, "<button type=submit>Submit answer</button>");
	CHECK(strstr(h, "<script") == NULL && strstr(h, "http") == NULL && strstr(h, "src=") == NULL);
	store_buf_free(&b);
	pform_result_free(&r);
	/* Defaults fill a fresh page. */
	pform_render_html(&pf, "Q", "/a", NULL, NULL, NULL, &b);
	h = store_buf_cstr(&b);
	CHECK_HAS(h, "name=\"budget\" aria-required=\"true\" value=\"12.5\"");
	CHECK_HAS(h, "name=\"urgent\" value=true checked");
	store_buf_free(&b);
	pform_free(&pf);

	/* A choice prompt. */
	CHECK(spec(&pf, "[\"approve\",\"deny\"]", NULL, err, sizeof err) == 0);
	CHECK(by_urlenc(&pf, "choice=deny", &r) == 0);
	CHECK_STR(r.answer_json, "\"deny\"");
	pform_result_free(&r);
	CHECK(by_json(&pf, "{\"choice\":\"maybe\"}", &r) == -1);
	CHECK_HAS(r.err, "choice: \"maybe\" is not one of: approve, deny");
	pform_result_free(&r);
	pform_free(&pf);

	/* Specs refused, saying what is wrong. */
	CHECK(spec(&pf, NULL, "{\"n\":{\"type\":\"integer\",\"lable\":\"x\"}}", err, sizeof err) == -1);
	CHECK_HAS(err, "fields.n: unknown key 'lable'");
	pform_free(&pf);
	CHECK(spec(&pf, NULL, "{\"n\":\"float\"}", err, sizeof err) == -1);
	CHECK_HAS(err, "type must be one of string, text, number, integer, boolean, choice, choices, date");
	pform_free(&pf);
	CHECK(spec(&pf, NULL, "{\"n\":\"choice\"}", err, sizeof err) == -1);
	CHECK_HAS(err, "fields.n.options must be a list");
	pform_free(&pf);
	CHECK(spec(&pf, NULL, "{\"n\":{\"type\":\"integer\",\"default\":\"x\"}}", err, sizeof err) == -1);
	CHECK_HAS(err, "fields.n: the default must be a whole number, got \"x\"");
	pform_free(&pf);
	CHECK(spec(&pf, "[\"a\"]", "{\"n\":\"string\"}", err, sizeof err) == -1);
	pform_free(&pf);
	/* The old stored shape still reads. */
	CHECK(pform_parse(&pf, "{\"fields\":{\"n\":\"integer\",\"ok\":\"boolean\"}}", err, sizeof err) == 0);
	CHECK(by_json(&pf, "{\"n\":3}", &r) == 0);
	CHECK_STR(r.answer_json, "{\"n\":3,\"ok\":false}");
	pform_result_free(&r);
	pform_free(&pf);
	char *t = pform_answer_text("{\"a\":1,\"b\":\"x\"}");
	CHECK_STR(t, "a=1, b=x");
	free(t);
	return CHECK_DONE();
}
