/* daemon_pb.c - loading the playbooks directory for the daemon: each file is
 * evaluated once in a sandbox (the same restricted environment runs get) to read
 * name, description, schedule (+ tz, overlap, missed, grace), triggers and
 * preprocess. A file that does not load fails the whole set, so that a reload
 * keeps the old, working one. */
#include "daemon.h"
#include "daemon_selfservice.h"

#include <dirent.h>
#include <lauxlib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct meta_job {
	struct pb_meta *m;
	char err[512];
};

static int fail_meta(lua_State *L, struct meta_job *j, const char *fmt, const char *a)
{
	snprintf(j->err, sizeof j->err, fmt, a);
	return luaL_error(L, "%s", j->err);
}

static char *dup_field(lua_State *L, int t, const char *k, struct meta_job *j)
{
	lua_getfield(L, t, k);
	char *v = NULL;
	if (lua_type(L, -1) == LUA_TSTRING)
		v = strdup(lua_tostring(L, -1));
	else if (!lua_isnil(L, -1))
		fail_meta(L, j, "%s must be a string", k);
	lua_pop(L, 1);
	return v;
}

/* A scalar as text, for match values. */
static char *scalar(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TBOOLEAN)
		return strdup(lua_toboolean(L, idx) ? "true" : "false");
	if (lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TSTRING)
		return strdup(lua_tostring(L, idx));
	return NULL;
}

/* {field = "v" | {"a","b"} | true (present) | false (absent)} at idx. */
static void read_match(lua_State *L, int idx, struct pp_match *m, struct meta_job *j,
		       const char *what)
{
	if (!lua_istable(L, idx))
		fail_meta(L, j, "%s must be a table of field = value", what);
	lua_pushnil(L);
	while (lua_next(L, idx)) {                     /* stack: key, value */
		if (lua_type(L, -2) != LUA_TSTRING)
			fail_meta(L, j, "%s: field names must be strings", what);
		struct pp_cond *c = realloc(m->c, (size_t)(m->n + 1) * sizeof *c);
		if (!c)
			fail_meta(L, j, "%s: out of memory", what);
		m->c = c;
		c = &m->c[m->n++];
		memset(c, 0, sizeof *c);
		c->field = strdup(lua_tostring(L, -2));
		int vt = lua_type(L, -1);
		if (vt == LUA_TBOOLEAN) {
			c->want_present = lua_toboolean(L, -1);
		} else if (vt == LUA_TTABLE) {
			int n = (int)lua_objlen(L, -1);
			c->values = calloc((size_t)n + 1, sizeof *c->values);
			for (int i = 1; i <= n; i++) {
				lua_rawgeti(L, -1, i);
				char *s = scalar(L, -1);
				lua_pop(L, 1);
				if (!s)
					fail_meta(L, j, "%s: a list of strings or numbers", what);
				c->values[c->nvalues++] = s;
			}
		} else {
			char *s = scalar(L, -1);
			if (!s)
				fail_meta(L, j, "%s: values are strings, numbers, lists or true/false",
					  what);
			c->values = calloc(1, sizeof *c->values);
			c->values[c->nvalues++] = s;
		}
		lua_pop(L, 1);                         /* stack: key */
	}
}

static char **strlist(lua_State *L, int idx, int *n, struct meta_job *j, const char *what)
{
	*n = 0;
	if (lua_type(L, idx) == LUA_TSTRING) {
		char **v = calloc(1, sizeof *v);
		v[(*n)++] = strdup(lua_tostring(L, idx));
		return v;
	}
	if (!lua_istable(L, idx))
		fail_meta(L, j, "%s must be a field name or a list of them", what);
	int count = (int)lua_objlen(L, idx);
	char **v = calloc((size_t)count + 1, sizeof *v);
	for (int i = 1; i <= count; i++) {
		lua_rawgeti(L, idx, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			fail_meta(L, j, "%s: field names are strings", what);
		v[(*n)++] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	return v;
}

static void read_rule(lua_State *L, int idx, struct pp_rule *r, struct meta_job *j)
{
	r->owner = strdup(j->m->name);
	lua_getfield(L, idx, "match");
	if (!lua_isnil(L, -1))
		read_match(L, lua_gettop(L), &r->match, j, "preprocess.match");
	lua_pop(L, 1);
	lua_getfield(L, idx, "drop");
	r->drop = lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, idx, "dedupe");                /* {key=, window=} or "field" */
	if (lua_istable(L, -1)) {
		int t = lua_gettop(L);
		lua_getfield(L, t, "key");
		r->dedupe_fields = strlist(L, lua_gettop(L), &r->ndedupe, j, "preprocess.dedupe.key");
		lua_pop(L, 1);
		lua_getfield(L, t, "window");
		r->window_s = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : 3600;
		lua_pop(L, 1);
	} else if (!lua_isnil(L, -1)) {
		r->dedupe_fields = strlist(L, lua_gettop(L), &r->ndedupe, j, "preprocess.dedupe");
		r->window_s = 3600;
	}
	lua_pop(L, 1);
	lua_getfield(L, idx, "link");                  /* "field", {"f1","f2"}, {key=, case=} */
	if (lua_istable(L, -1) && lua_objlen(L, -1) == 0) {
		int t = lua_gettop(L);
		lua_getfield(L, t, "key");
		if (!lua_isnil(L, -1))
			r->link_fields = strlist(L, lua_gettop(L), &r->nlink, j, "preprocess.link.key");
		lua_pop(L, 1);
		r->link_case = dup_field(L, t, "case", j);
		if (!r->nlink && !r->link_case)
			fail_meta(L, j, "%s", "preprocess.link needs key = \"field\" (or a list) "
				  "and/or case = \"field\"");
	} else if (!lua_isnil(L, -1)) {
		r->link_fields = strlist(L, lua_gettop(L), &r->nlink, j, "preprocess.link");
	}
	lua_pop(L, 1);
	if ((r->nlink || r->link_case) && r->ndedupe)
		fail_meta(L, j, "%s", "preprocess: a rule dedupes or links, not both");
	r->close_reason = dup_field(L, idx, "close", j);
	r->playbook = dup_field(L, idx, "playbook", j);
	lua_getfield(L, idx, "set");
	if (lua_istable(L, -1)) {
		int t = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, t)) {
			char *v = scalar(L, -1);
			if (lua_type(L, -2) != LUA_TSTRING || !v)
				fail_meta(L, j, "%s", "preprocess.set: field = string");
			r->set_k = realloc(r->set_k, (size_t)(r->nset + 1) * sizeof *r->set_k);
			r->set_v = realloc(r->set_v, (size_t)(r->nset + 1) * sizeof *r->set_v);
			r->set_k[r->nset] = strdup(lua_tostring(L, -2));
			r->set_v[r->nset++] = v;
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
}

static int noop(lua_State *L)
{
	(void)L;
	return 0;
}

/* The inputs as text lines for the dashboard (what `run` checks is elsewhere;
 * this only describes). Never raises: a field of an odd type is left out. */
static void read_inputs(lua_State *L, int pb, struct pb_meta *m)
{
	char buf[4096];
	size_t o = 0;
	lua_getfield(L, pb, "inputs");
	int t = lua_gettop(L);
	if (lua_istable(L, t)) {
		lua_pushnil(L);
		while (lua_next(L, t)) {                      /* stack: inputs, name, spec */
			if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1)) {
				int sp = lua_gettop(L);
				lua_getfield(L, sp, "type");
				lua_getfield(L, sp, "default");
				lua_getfield(L, sp, "description"); /* stack: ..., spec, type, default, desc */
				const char *ty = lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : "any";
				const char *def = lua_type(L, -2) == LUA_TSTRING || lua_type(L, -2) == LUA_TNUMBER
						  ? lua_tostring(L, -2) : lua_type(L, -2) == LUA_TBOOLEAN
						  ? (lua_toboolean(L, -2) ? "true" : "false") : NULL;
				const char *desc = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
				int w = snprintf(buf + o, sizeof buf - o, "%s%s (%s%s%s)%s%s", o ? "\n" : "",
						 lua_tostring(L, -5), ty, def ? " = " : "", def ? def : "",
						 desc ? ": " : "", desc ? desc : "");
				if (w > 0)
					o = o + (size_t)w < sizeof buf ? o + (size_t)w : sizeof buf - 1;
				lua_pop(L, 3);
			}
			lua_pop(L, 1);                            /* stack: inputs, name */
		}
	}
	lua_pop(L, 1);
	m->inputs_text = o ? strdup(buf) : NULL;
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct meta_job *j = ud;
	struct pb_meta *m = j->m;
	playbook_push_chunk(L, &m->src);               /* stack: chunk */
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	lua_call(L, 0, 1);                             /* stack: pb */
	if (!lua_istable(L, -1))
		fail_meta(L, j, "%s", "a playbook must return a table");
	int pb = lua_gettop(L);
	if (!(m->name = dup_field(L, pb, "name", j)) || !*m->name)
		fail_meta(L, j, "%s", "the returned table needs name = \"...\"");
	m->description = dup_field(L, pb, "description", j);
	m->schedule = dup_field(L, pb, "schedule", j);
	m->tz = dup_field(L, pb, "tz", j);
	char *s = dup_field(L, pb, "overlap", j);
	m->overlap = OVERLAP_SKIP;
	if (s && strcmp(s, "queue") == 0)
		m->overlap = OVERLAP_QUEUE;
	else if (s && strcmp(s, "allow") == 0)
		m->overlap = OVERLAP_ALLOW;
	else if (s && strcmp(s, "skip") != 0)
		fail_meta(L, j, "overlap must be \"skip\", \"queue\" or \"allow\", not \"%s\"", s);
	free(s);
	s = dup_field(L, pb, "missed", j);
	m->missed = MISSED_RUN_ONCE;
	if (s && strcmp(s, "skip") == 0)
		m->missed = MISSED_SKIP;
	else if (s && strcmp(s, "run_once") != 0)
		fail_meta(L, j, "missed must be \"run_once\" or \"skip\", not \"%s\"", s);
	free(s);
	lua_getfield(L, pb, "minutes_saved");
	m->minutes_saved = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
	lua_getfield(L, pb, "minutes_to_build");
	m->minutes_to_build = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
	lua_pop(L, 2);
	read_inputs(L, pb, m);
	lua_getfield(L, pb, "grace");
	m->grace_s = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : 3600;
	lua_pop(L, 1);
	if (m->schedule) {
		char err[256];
		if (cron_parse(m->schedule, &m->cron, err, sizeof err) != 0) {
			snprintf(j->err, sizeof j->err, "schedule \"%s\" refused: %s", m->schedule, err);
			return luaL_error(L, "%s", j->err);
		}
		if (m->tz && !cron_tz_ok(m->tz))
			fail_meta(L, j, "tz: unknown time zone '%s'", m->tz);
	}
	lua_getfield(L, pb, "triggers");
	if (lua_istable(L, -1)) {
		int t = lua_gettop(L), n = (int)lua_objlen(L, t);
		m->triggers = calloc((size_t)n + 1, sizeof *m->triggers);
		for (int i = 1; i <= n; i++) {
			lua_rawgeti(L, t, i);
			read_match(L, lua_gettop(L), &m->triggers[m->ntriggers++], j, "triggers[i]");
			lua_pop(L, 1);
		}
	} else if (!lua_isnil(L, -1)) {
		fail_meta(L, j, "%s", "triggers must be a list of {field = value} tables");
	}
	lua_pop(L, 1);
	lua_getfield(L, pb, "preprocess");
	if (lua_istable(L, -1)) {
		int t = lua_gettop(L), n = (int)lua_objlen(L, t);
		m->rules = calloc((size_t)n + 1, sizeof *m->rules);
		for (int i = 1; i <= n; i++) {
			lua_rawgeti(L, t, i);
			if (!lua_istable(L, -1))
				fail_meta(L, j, "%s", "preprocess must be a list of rule tables");
			read_rule(L, lua_gettop(L), &m->rules[m->nrules++], j);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	if (pb_read_form(L, pb, m, j->err, sizeof j->err) != 0)  /* inputs and form */
		return luaL_error(L, "%s", j->err);
	lua_pop(L, 1);
	lua_pushcfunction(L, noop);                    /* the body: nothing to run */
	return 0;
}

static int finish(lua_State *L, int nres, void *ud)
{
	(void)L;
	(void)nres;
	(void)ud;
	return 0;
}

static void meta_free(struct pb_meta *m)
{
	free(m->name);
	free(m->description);
	free(m->inputs_text);
	free(m->path);
	free(m->schedule);
	free(m->tz);
	playbook_src_free(&m->src);
	for (int i = 0; i < m->ntriggers; i++)
		pp_match_free(&m->triggers[i]);
	free(m->triggers);
	for (int i = 0; i < m->nrules; i++)
		pp_rule_free(&m->rules[i]);
	free(m->rules);
	pb_form_free(m);
}

static void set_free(struct pb_set *s)
{
	for (int i = 0; i < s->n; i++)
		meta_free(&s->pb[i]);
	free(s->pb);
	free(s->rules);
	free(s);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct pb_set *pb_set_load(const char *dir, char *err, size_t errlen)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		snprintf(err, errlen, "cannot open playbooks directory %s", dir);
		return NULL;
	}
	char **names = NULL;
	size_t nn = 0;
	for (struct dirent *de; (de = readdir(dh));) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".lua") != 0 || de->d_name[0] == '.' ||
		    (l > 9 && strcmp(de->d_name + l - 9, "_test.lua") == 0))
			continue;
		names = realloc(names, (nn + 1) * sizeof *names);
		names[nn++] = strdup(de->d_name);
	}
	closedir(dh);
	if (nn > 1)
		qsort(names, nn, sizeof *names, by_name);
	struct pb_set *s = calloc(1, sizeof *s);
	s->pb = calloc(nn + 1, sizeof *s->pb);
	s->refs = 1;
	char lerr[512];
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), lerr, sizeof lerr);
	int ok = sb != NULL;
	if (!sb)
		snprintf(err, errlen, "%s", lerr);
	for (size_t i = 0; ok && i < nn; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct pb_meta *m = &s->pb[s->n++];
		m->path = strdup(path);
		if (playbook_load_file(path, &m->src, lerr, sizeof lerr) != 0) {
			snprintf(err, errlen, "%s: %s", path, lerr);
			ok = 0;
			break;
		}
		struct meta_job j = {m, ""};
		struct sandbox_job job = {prepare, finish, &j};
		struct sandbox_limits lim;
		sandbox_limits_default(&lim);
		lim.wall_seconds = 5;
		struct sandbox_outcome out;
		memset(&out, 0, sizeof out);
		if (sandbox_exec(sb, &job, &lim, &out) != SANDBOX_OK) {
			snprintf(err, errlen, "%s: %s", path,
				 j.err[0] ? j.err : out.message ? out.message : "does not load");
			ok = 0;
		}
		sandbox_outcome_clear(&out);
		for (int k = 0; ok && k < s->n - 1; k++)
			if (strcmp(s->pb[k].name, m->name) == 0) {
				snprintf(err, errlen, "%s: name \"%s\" is also %s's", path, m->name,
					 s->pb[k].path);
				ok = 0;
			}
	}
	if (sb)
		sandbox_free(sb);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (!ok) {
		set_free(s);
		return NULL;
	}
	int nr = 0;
	for (int i = 0; i < s->n; i++)
		nr += s->pb[i].nrules;
	s->rules = calloc((size_t)nr + 1, sizeof *s->rules);
	for (int i = 0; i < s->n; i++)
		for (int k = 0; k < s->pb[i].nrules; k++)
			s->rules[s->nrules++] = &s->pb[i].rules[k];
	return s;
}

const struct pb_meta *pb_set_find(const struct pb_set *s, const char *name)
{
	for (int i = 0; s && i < s->n; i++)
		if (strcmp(s->pb[i].name, name) == 0)
			return &s->pb[i];
	return NULL;
}

void pb_set_ref(struct pb_set *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
}

void pb_set_unref(struct pb_set *s)
{
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		set_free(s);
}
