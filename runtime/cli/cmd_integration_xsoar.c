/* cmd_integration_xsoar.c - `soarctl integration import-xsoar FILE.yml
 * [--out FILE] [--name NAME]`: an XSOAR integration YAML becomes a soarctl
 * manifest skeleton, so a team keeps what it already described:
 *
 *   configuration[]  type 4 (encrypted) -> a secret; type 9 (credentials) ->
 *                    two secrets NAME_username, NAME_password; type 8 ->
 *                    boolean config; others -> string config; the first URL
 *                    (a default starting http, or a name like url/server)
 *                    becomes base_url, its host the manifest's hosts
 *   script.commands[] name (xsoar-style-name -> xsoar_style_name),
 *                    description, arguments (name, required, defaultValue,
 *                    auto: PREDEFINED + predefined -> enum, isArray -> table),
 *                    outputs (contextPath A.B.C -> nested fields, type String,
 *                    Number, Boolean, Date, Unknown -> string, number, boolean,
 *                    string, any; all optional: XSOAR promises none of them)
 *
 * Each command's `run` raises "not written yet" until its author writes it;
 * its mock is generated from the typed outputs, so the skeleton loads, lints
 * and runs --mock at once. The YAML is read with libyaml (document API). */
#include "cli.h"
#include "integration.h"
#include "integration_cmds.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CMD "integration"

/* ---- the YAML document ---- */

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = get(d, map, key);
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int truthy(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "yes") == 0);
}

/* ---- writing Lua ---- */

static void lua_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", o);
		else if (c < 0x20 || c == 0x7f)
			fprintf(o, "\\%03d", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

/* A Lua name from an XSOAR one: [A-Za-z0-9_], '-' ' ' '.' -> '_', not starting
 * with a digit; `lower` for command names. */
static void ident(const char *in, char *out, size_t len, int lower)
{
	size_t j = 0;
	if (in && isdigit((unsigned char)in[0]) && j + 1 < len)
		out[j++] = '_';
	for (; in && *in && j + 1 < len; in++) {
		unsigned char c = (unsigned char)*in;
		out[j++] = isalnum(c) ? (char)(lower ? tolower(c) : c) : '_';
	}
	if (j == 0 && len > 1)
		out[j++] = 'x';
	out[j] = 0;
}

static const char *output_type(const char *xs)
{
	if (!xs)
		return "any";
	if (strcasecmp(xs, "String") == 0 || strcasecmp(xs, "Date") == 0)
		return "string";
	if (strcasecmp(xs, "Number") == 0)
		return "number";
	if (strcasecmp(xs, "Boolean") == 0)
		return "boolean";
	return "any";
}

/* Outputs as a tree of names: a leaf has a type; a node with children is an
 * object (a leaf that also has children becomes an open object). */
struct onode {
	char name[128];
	const char *type, *desc;
	struct onode *kids;
	struct onode *next;
};

static struct onode *child(struct onode *parent, const char *name)
{
	for (struct onode *k = parent->kids; k; k = k->next)
		if (strcmp(k->name, name) == 0)
			return k;
	struct onode *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	snprintf(k->name, sizeof k->name, "%s", name);
	struct onode **tail = &parent->kids;
	while (*tail)
		tail = &(*tail)->next;
	*tail = k;
	return k;
}

static void onode_free(struct onode *n)
{
	while (n) {
		struct onode *next = n->next;
		onode_free(n->kids);
		free(n);
		n = next;
	}
}

static void indent(FILE *o, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", o);
}

static int lua_keyword(const char *s)
{
	static const char *const kw[] = { "and", "break", "do", "else", "elseif", "end", "false",
		"for", "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return",
		"then", "true", "until", "while" };
	for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
		if (strcmp(s, kw[i]) == 0)
			return 1;
	return 0;
}

static void emit_outputs(FILE *o, struct onode *n, int depth)
{
	for (struct onode *k = n->kids; k; k = k->next) {
		indent(o, depth);
		fprintf(o, lua_keyword(k->name) ? "[\"%s\"] = " : "%s = ", k->name);
		if (k->kids) {
			fputs("{ type = \"object\", optional = true, fields = {\n", o);
			emit_outputs(o, k, depth + 1);
			indent(o, depth);
			fputs("} },\n", o);
		} else {
			fprintf(o, "{ type = \"%s\", optional = true", k->type ? k->type : "any");
			if (k->desc) {
				fputs(", description = ", o);
				lua_str(o, k->desc);
			}
			fputs(" },\n", o);
		}
	}
}

/* ---- the manifest ---- */

struct import {
	yaml_document_t *d;
	FILE *o;
	const char *name, *file;
	char base_url[1024], host[256];
};

static void emit_config(struct import *im, yaml_node_t *conf, int secrets)
{
	if (!conf || conf->type != YAML_SEQUENCE_NODE)
		return;
	int url_done = 0;
	for (yaml_node_item_t *it = conf->data.sequence.items.start; it < conf->data.sequence.items.top; it++) {
		yaml_node_t *p = yaml_document_get_node(im->d, *it);
		const char *pname = scalar(im->d, p, "name"), *type = scalar(im->d, p, "type");
		const char *display = scalar(im->d, p, "display");
		const char *def = scalar(im->d, p, "defaultvalue");
		if (!pname)
			continue;
		char id[128];
		ident(pname, id, sizeof id, 0);
		int t = type ? atoi(type) : 0;
		if (secrets) {
			if (t == 4)
				fprintf(im->o, " \"%s\",", id);
			else if (t == 9)
				fprintf(im->o, " \"%s_username\", \"%s_password\",", id, id);
			continue;
		}
		if (t == 4 || t == 9)
			continue;
		char desc[1200];
		snprintf(desc, sizeof desc, "%s (XSOAR parameter %s%s)", display ? display : pname, pname,
			 truthy(scalar(im->d, p, "required")) ? ", required there" : "");
		int is_url = !url_done && ((def && (strncmp(def, "http://", 7) == 0 ||
						    strncmp(def, "https://", 8) == 0)) ||
					  strcasecmp(pname, "url") == 0 || strcasecmp(pname, "server") == 0 ||
					  strcasecmp(pname, "base_url") == 0);
		fputs("    ", im->o);
		if (is_url) {
			url_done = 1;
			fputs("base_url = { type = \"url\"", im->o);
			if (def && (strncmp(def, "http://", 7) == 0 || strncmp(def, "https://", 8) == 0)) {
				fputs(", default = ", im->o);
				lua_str(im->o, def);
			}
		} else if (t == 8) {
			fprintf(im->o, "%s = { type = \"boolean\"", id);
			if (def)
				fprintf(im->o, ", default = %s", truthy(def) ? "true" : "false");
		} else {
			fprintf(im->o, "%s = { type = \"string\"", id);
			if (def) {
				fputs(", default = ", im->o);
				lua_str(im->o, def);
			}
		}
		fputs(", description = ", im->o);
		lua_str(im->o, desc);
		fputs(" },\n", im->o);
	}
}

/* The host of the first http(s) default of the configuration. */
static void find_host(struct import *im, yaml_node_t *conf)
{
	if (!conf || conf->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = conf->data.sequence.items.start; it < conf->data.sequence.items.top; it++) {
		const char *def = scalar(im->d, yaml_document_get_node(im->d, *it), "defaultvalue");
		const char *h = def && strncmp(def, "https://", 8) == 0 ? def + 8
				: def && strncmp(def, "http://", 7) == 0 ? def + 7 : NULL;
		if (!h)
			continue;
		size_t auth = strcspn(h, "/?#");
		const char *at = memchr(h, '@', auth);
		if (at)
			h = at + 1;                     /* user:password@ is not the host */
		size_t n = strcspn(h, "/:?#");
		if (n == 0 || n >= sizeof im->host || strspn(h, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") < n)
			continue;                       /* not a plain host name: left to the author */
		memcpy(im->host, h, n);
		im->host[n] = 0;
		return;
	}
}

static void emit_args(struct import *im, yaml_node_t *args)
{
	if (!args || args->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = args->data.sequence.items.start; it < args->data.sequence.items.top; it++) {
		yaml_node_t *a = yaml_document_get_node(im->d, *it);
		const char *aname = scalar(im->d, a, "name");
		if (!aname)
			continue;
		char id[128];
		ident(aname, id, sizeof id, 1);
		int array = truthy(scalar(im->d, a, "isArray"));
		fprintf(im->o, lua_keyword(id) ? "        [\"%s\"] = { type = \"%s\"" : "        %s = { type = \"%s\"",
			id, array ? "any" : "string");
		if (truthy(scalar(im->d, a, "required")))
			fputs(", required = true", im->o);
		const char *def = scalar(im->d, a, "defaultValue");
		if (def) {
			fputs(", default = ", im->o);
			lua_str(im->o, def);
		}
		const char *autov = scalar(im->d, a, "auto");
		yaml_node_t *pre = get(im->d, a, "predefined");
		if (autov && strcasecmp(autov, "PREDEFINED") == 0 && pre && pre->type == YAML_SEQUENCE_NODE &&
		    pre->data.sequence.items.top > pre->data.sequence.items.start && !array) {
			fputs(", enum = {", im->o);
			for (yaml_node_item_t *e = pre->data.sequence.items.start; e < pre->data.sequence.items.top; e++) {
				yaml_node_t *v = yaml_document_get_node(im->d, *e);
				if (v && v->type == YAML_SCALAR_NODE) {
					fputc(' ', im->o);
					lua_str(im->o, (const char *)v->data.scalar.value);
					fputc(',', im->o);
				}
			}
			fputs(" }", im->o);
		}
		const char *desc = scalar(im->d, a, "description");
		if (desc) {
			fputs(", description = ", im->o);
			lua_str(im->o, desc);
		}
		fputs(" },\n", im->o);
	}
}

static int emit_outputs_of(struct import *im, yaml_node_t *outs)
{
	struct onode root;
	memset(&root, 0, sizeof root);
	if (outs && outs->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *it = outs->data.sequence.items.start; it < outs->data.sequence.items.top; it++) {
			yaml_node_t *n = yaml_document_get_node(im->d, *it);
			const char *path = scalar(im->d, n, "contextPath");
			if (!path)
				continue;
			struct onode *cur = &root;
			char part[128];
			const char *p = path;
			while (cur && *p) {
				size_t len = strcspn(p, ".");
				char raw[128];
				snprintf(raw, sizeof raw, "%.*s", (int)(len < 127 ? len : 127), p);
				ident(raw, part, sizeof part, 0);
				cur = child(cur, part);
				p += len;
				if (*p == '.')
					p++;
			}
			if (!cur)
				break;
			cur->type = output_type(scalar(im->d, n, "type"));
			cur->desc = scalar(im->d, n, "description");
		}
	if (root.kids) {
		fputs("      outputs = {\n", im->o);
		emit_outputs(im->o, &root, 4);
		fputs("      },\n", im->o);
	} else {
		fputs("      outputs = {},\n", im->o);
	}
	onode_free(root.kids);
	return 0;
}

static int emit(struct import *im, yaml_node_t *root)
{
	FILE *o = im->o;
	yaml_node_t *conf = get(im->d, root, "configuration");
	yaml_node_t *cmds = get(im->d, get(im->d, root, "script"), "commands");
	if (!cmds || cmds->type != YAML_SEQUENCE_NODE || cmds->data.sequence.items.top == cmds->data.sequence.items.start)
		return -1;
	find_host(im, conf);
	const char *display = scalar(im->d, root, "display");
	const char *desc = scalar(im->d, root, "description");
	const char *base = strrchr(im->file, '/');
	base = base ? base + 1 : im->file;
	/* XSOAR's descriptions are long lines: kept whole, so the limit is off here */
	fputs("-- luacheck: no max line length\n", o);
	fprintf(o, "-- %s: imported from the XSOAR integration %s by `soarctl integration import-xsoar`.\n"
		"-- Each command's run raises \"not written yet\" until you write it (docs/integrations.md,\n"
		"-- cookbook); its mock is generated from the typed outputs. Check hosts and api_version.\n",
		im->name, base);
	fprintf(o, "return {\n  name = \"%s\",\n  version = \"0.1.0\",\n  api_version = \"v1\",\n", im->name);
	fputs("  description = ", o);
	lua_str(o, desc ? desc : display ? display : im->name);
	fputs(",\n", o);
	if (im->host[0])
		fprintf(o, "  hosts = { \"%s\" },\n", im->host);
	else
		fputs("  hosts = {},\n", o);
	fputs("  secrets = {", o);
	emit_config(im, conf, 1);
	fputs(" },\n  config = {\n", o);
	emit_config(im, conf, 0);
	fputs("  },\n  commands = {\n", o);
	for (yaml_node_item_t *it = cmds->data.sequence.items.start; it < cmds->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(im->d, *it);
		const char *cname = scalar(im->d, c, "name");
		if (!cname)
			continue;
		char id[128];
		ident(cname, id, sizeof id, 1);
		if (!isalpha((unsigned char)id[0]))
			id[0] = 'x';
		if (lua_keyword(id))                    /* `end = {...}` would not compile */
			snprintf(id + strlen(id), sizeof id - strlen(id), "_cmd");
		fprintf(o, "    %s = {\n      description = ", id);
		const char *cd = scalar(im->d, c, "description");
		lua_str(o, cd ? cd : cname);
		fputs(",\n      args = {\n", o);
		emit_args(im, get(im->d, c, "arguments"));
		fputs("      },\n", o);
		emit_outputs_of(im, get(im->d, c, "outputs"));
		fprintf(o, "      run = function()\n"
			"        error(\"%s.%s: run is not written yet (XSOAR command ", im->name, id);
		for (const char *q = cname; *q; q++)
			if (*q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
				fputc(*q, o);
		fputs(")\", 0)\n      end,\n    },\n", o);
	}
	fputs("  },\n}\n", o);
	return 0;
}

int integration_import_xsoar_main(int argc, char **argv)
{
	const char *file = NULL, *outpath = NULL, *name_opt = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			outpath = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name_opt = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage(CMD, "import-xsoar: unknown option or missing value: %s", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return cli_usage(CMD, "import-xsoar takes one FILE.yml");
	}
	if (!file)
		return cli_usage(CMD, "import-xsoar takes an XSOAR integration FILE.yml");
	FILE *in = fopen(file, "rb");
	if (!in)
		return cli_fail(CMD, EXIT_USAGE, "cannot read %s", file);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, in);
	int ok = yaml_parser_load(&parser, &doc);
	fclose(in);
	if (!ok) {
		int rc = cli_fail(CMD, EXIT_USAGE, "%s: not YAML: %s at line %zu", file,
				  parser.problem ? parser.problem : "parse error", parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return rc;
	}
	yaml_parser_delete(&parser);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	char name[64];
	const char *src_name = name_opt;
	if (!src_name) {
		src_name = scalar(&doc, get(&doc, root, "commonfields"), "id");
		if (!src_name)
			src_name = scalar(&doc, root, "name");
	}
	ident(src_name ? src_name : "", name, sizeof name, 1);
	int rc = EXIT_OK;
	if (!root || root->type != YAML_MAPPING_NODE || !integration_name_ok(name)) {
		rc = cli_fail(CMD, EXIT_USAGE, "%s: not an XSOAR integration (no commonfields.id or name; "
			      "or give --name NAME)", file);
		goto done;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	if (!o) {
		rc = cli_fail(CMD, EXIT_FAIL, "out of memory");
		goto done;
	}
	struct import im = { &doc, o, name, file, "", "" };
	int erc = emit(&im, root);
	fclose(o);
	if (erc != 0) {
		rc = cli_fail(CMD, EXIT_USAGE, "%s: no script.commands: an XSOAR integration lists its "
			      "commands there", file);
	} else if (outpath) {
		char err[512];
		if (integration_write_file(outpath, buf, len, err, sizeof err) != 0)
			rc = cli_fail(CMD, EXIT_FAIL, "%s", err);
		else
			fprintf(stderr, "wrote %s (integration %s)\n", outpath, name);
	} else {
		fwrite(buf, 1, len, stdout);
	}
	free(buf);
done:
	yaml_document_delete(&doc);
	return rc;
}
