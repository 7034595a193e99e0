/* cligen.c - man pages and completions from the command table (cligen.h).
 * Everything is read from the help text: the "Usage:" lines are the synopsis and
 * name the subcommands ("soarctl job run|pause|resume NAME"), a help text whose
 * synopsis says SUBCOMMAND lists them as two-space-indented words, and every
 * "--flag" written anywhere in it is a flag the completion offers. */
#include "cligen.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 128

struct words {
	char *w[MAX_WORDS];
	size_t n;
};

static void words_add(struct words *ws, const char *s, size_t len)
{
	for (size_t i = 0; i < ws->n; i++)
		if (strlen(ws->w[i]) == len && memcmp(ws->w[i], s, len) == 0)
			return;
	if (ws->n < MAX_WORDS)
		ws->w[ws->n++] = strndup(s, len);
}

static void words_free(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i]);
	ws->n = 0;
}

static int is_word_char(int c)
{
	return islower(c) || isdigit(c) || c == '-';
}

/* Every --flag in the help text (lower case: --FIELD is a placeholder), then --help. */
static void flags_of(const struct cli_command *c, struct words *ws)
{
	const char *u = c->usage;
	for (size_t i = 0; u[i]; i++) {
		if (u[i] != '-' || u[i + 1] != '-' || !islower((unsigned char)u[i + 2]))
			continue;
		if (i > 0 && (isalnum((unsigned char)u[i - 1]) || u[i - 1] == '-'))
			continue;
		size_t len = 2;
		while (is_word_char((unsigned char)u[i + len]))
			len++;
		while (u[i + len - 1] == '-')
			len--;
		words_add(ws, u + i, len);
		i += len - 1;
	}
	words_add(ws, "--help", 6);
}

/* The synopsis: from "Usage: " to the first empty line. Returns its length. */
static size_t synopsis_len(const char *u)
{
	if (strncmp(u, "Usage: ", 7) != 0)
		return 0;
	const char *end = strstr(u, "\n\n");
	return end ? (size_t)(end - u) + 1 : strlen(u);
}

/* Subcommands: "soarctl NAME word|word ..." in the synopsis, and, when it says
 * SUBCOMMAND, the lines of the text that start with two spaces and a word. */
static void subcommands_of(const struct cli_command *c, struct words *ws)
{
	const char *u = c->usage;
	size_t syn = synopsis_len(u);
	char prefix[64];
	int plen = snprintf(prefix, sizeof prefix, "soarctl %s ", c->name);
	for (const char *p = u; p && p < u + syn; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *s = strstr(p, prefix);
		const char *eol = strchr(p, '\n');
		if (!s || (eol && s > eol))
			continue;
		s += plen;
		while (islower((unsigned char)*s)) {
			size_t len = 0;
			while (is_word_char((unsigned char)s[len]))
				len++;
			words_add(ws, s, len);
			s += len;
			if (*s != '|')
				break;
			s++;
		}
	}
	if (!strstr(u, "SUBCOMMAND") || strstr(u, "SUBCOMMAND") > u + syn)
		return;
	for (const char *p = u + syn; *p; ) {
		const char *eol = strchr(p, '\n');
		if (p[0] == ' ' && p[1] == ' ' && islower((unsigned char)p[2])) {
			size_t len = 0;
			while (is_word_char((unsigned char)p[2 + len]))
				len++;
			if (p[2 + len] == ' ' || p[2 + len] == '\n' || p[2 + len] == '\0')
				words_add(ws, p + 2, len);
		}
		if (!eol)
			break;
		p = eol + 1;
	}
}

/* ---- man pages ---- */

/* Text for roff in no-fill mode: backslashes and dashes escaped, a line that
 * starts with a control character made literal. */
static void man_text(FILE *out, const char *s, size_t len)
{
	int bol = 1;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (bol && (ch == '.' || ch == '\''))
			fputs("\\&", out);
		bol = ch == '\n';
		if (ch == '\\')
			fputs("\\e", out);
		else if (ch == '-')
			fputs("\\-", out);
		else
			fputc(ch, out);
	}
	if (len && s[len - 1] != '\n')
		fputc('\n', out);
}

/* The same for a piece of one line (no newline added). */
static void man_inline(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			fputs("\\e", out);
		else if (s[i] == '-')
			fputs("\\-", out);
		else
			fputc(s[i], out);
	}
}

static const char environment_section[] =
	".SH ENVIRONMENT\n"
	".TP\n.B SOARCTL_DATA\n"
	"The data directory when \\fB\\-\\-data\\fR is not given.\n"
	".TP\n.B SOARCTL_SHARE_DIR\n"
	"The folder holding \\fIlua/\\fR, \\fIintegrations/\\fR and \\fIplaybooks/\\fR; "
	"by default \\fIBINDIR/../share/soarctl\\fR, found from the running binary.\n"
	".TP\n.B SOARCTL_LUA_DIR\n"
	"The Lua library folder alone (default: \\fISHARE/lua\\fR); the bundled integrations "
	"are then looked for beside it, in \\fI../integrations\\fR.\n"
	".TP\n.B SOARCTL_INTEGRATIONS_DIR\n"
	"A folder of the deployment's own integrations, looked in before the bundled ones.\n"
	".TP\n.B SOARCTL_INTEGRATIONS_CONFIG\n"
	"The integrations' settings (a JSON file).\n"
	".TP\n.B SOARCTL_LOG_LEVEL\n"
	"debug, info, warn or error.\n"
	".TP\n.B NO_COLOR\n"
	"Set: no colour on a terminal.\n"
	".SH FILES\n"
	".TP\n.I /usr/share/soarctl\n"
	"The Lua library, the bundled integrations and playbooks (of a package install).\n"
	".TP\n.I /etc/soarctl/soarctl.env\n"
	"The daemon's options under systemd (soarctl.service).\n"
	".TP\n.I /var/lib/soarctl\n"
	"The daemon's data directory under systemd.\n";

void cligen_man(FILE *out, const struct cligen_table *t, const struct cli_command *cmd)
{
	char page[64];
	const char *summary, *text;
	size_t syn = 0;
	if (cmd) {
		snprintf(page, sizeof page, "soarctl-%s", cmd->name);
		summary = cmd->summary;
		text = cmd->usage;
		syn = synopsis_len(text);
	} else {
		snprintf(page, sizeof page, "soarctl");
		/* The overview's first line is "soarctl - SUMMARY". */
		const char *dash = strstr(t->overview, " - ");
		const char *eol = strchr(t->overview, '\n');
		summary = dash && eol && dash < eol ? dash + 3 : "";
		text = eol ? eol + 1 : t->overview;
		while (*text == '\n')
			text++;
	}
	char upper[80];
	size_t i = 0;
	for (; page[i] && i + 1 < sizeof upper; i++)
		upper[i] = (char)toupper((unsigned char)page[i]);
	upper[i] = '\0';
	fprintf(out, ".\\\" Generated by `soarctl help --man` from the command table and help text.\n");
	fprintf(out, ".TH \"%s\" \"1\" \"\" \"soarctl %s\" \"soarctl manual\"\n", upper, SOAR_VERSION);
	fputs(".SH NAME\n", out);
	man_inline(out, page, strlen(page));
	fputs(" \\- ", out);
	const char *eos = strchr(summary, '\n');
	man_text(out, summary, eos ? (size_t)(eos - summary) : strlen(summary));
	if (syn) {
		fputs(".SH SYNOPSIS\n.nf\n", out);
		/* "Usage: " off the first line, the same indent off the ones after it. */
		const char *p = text + 7, *end = text + syn;
		while (p < end) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			size_t len = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);
			man_text(out, p, len);
			p += len;
			for (int k = 0; k < 7 && p < end && *p == ' '; k++)
				p++;
		}
		fputs(".fi\n", out);
		text += syn;
		while (*text == '\n')
			text++;
	} else if (cmd) {
		fprintf(out, ".SH SYNOPSIS\n.B soarctl %s\n[\\fIARGS\\fR...]\n", cmd->name);
	}
	fputs(".SH DESCRIPTION\n.nf\n", out);
	man_text(out, text, strlen(text));
	fputs(".fi\n", out);
	if (!cmd)
		fputs(environment_section, out);
	fputs(".SH SEE ALSO\n", out);
	if (cmd) {
		fputs(".BR soarctl (1)\n", out);
		return;
	}
	for (size_t k = 0; k < t->n; k++)
		fprintf(out, ".BR soarctl\\-%s (1)%s\n", t->cmds[k]->name, k + 1 < t->n ? "," : "");
}

int cligen_man_dir(const char *dir, const struct cligen_table *t, char *err, size_t errlen)
{
	for (size_t k = 0; k <= t->n; k++) {
		const struct cli_command *c = k < t->n ? t->cmds[k] : NULL;
		char path[4096];
		snprintf(path, sizeof path, "%s/soarctl%s%s.1", dir, c ? "-" : "", c ? c->name : "");
		FILE *f = fopen(path, "w");
		if (!f) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		cligen_man(f, t, c);
		if (fclose(f) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---- completions ---- */

static void put_words(FILE *out, const struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		fprintf(out, "%s%s", i ? " " : "", ws->w[i]);
}

/* The arms of the scripts' `case` on the command: its subcommands and flags as
 * words between `open` and `close` (bash: a quoted string, zsh: an array). */
static void case_arms(FILE *out, const struct cligen_table *t, const char *open, const char *close)
{
	for (size_t k = 0; k < t->n; k++) {
		struct words subs = { 0 }, flags = { 0 };
		subcommands_of(t->cmds[k], &subs);
		flags_of(t->cmds[k], &flags);
		fprintf(out, "\t%s) subs=%s", t->cmds[k]->name, open);
		put_words(out, &subs);
		fprintf(out, "%s flags=%s", close, open);
		put_words(out, &flags);
		fprintf(out, "%s ;;\n", close);
		words_free(&subs);
		words_free(&flags);
	}
	fprintf(out, "\thelp) subs=%s", open);
	for (size_t k = 0; k < t->n; k++)
		fprintf(out, "%s%s", k ? " " : "", t->cmds[k]->name);
	fprintf(out, "%s ;;\n\tcompletion) subs=%sbash zsh%s ;;\n", close, open, close);
}

static void bash_completion(FILE *out, const struct cligen_table *t)
{
	fputs("# bash completion for soarctl; generated by `soarctl completion bash` from\n"
	      "# the command table and each command's help text.\n"
	      "_soarctl() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} subs='' flags=''\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"", out);
	for (size_t k = 0; k < t->n; k++)
		fprintf(out, "%s ", t->cmds[k]->name);
	fputs("help completion --help --version\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase $cmd in\n", out);
	case_arms(out, t, "'", "'");
	fputs("\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
	      "\telif [ \"$COMP_CWORD\" -eq 2 ] && [ -n \"$subs\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
	      "\telse\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\tfi\n"
	      "}\n"
	      "complete -o filenames -F _soarctl soarctl\n", out);
}

/* A zsh single-quoted word: ' is written '\'' and ':' (the _describe separator)
 * is escaped. */
static void zsh_quoted(FILE *out, const char *s)
{
	for (; *s && *s != '\n'; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else if (*s == ':')
			fputs("\\:", out);
		else
			fputc(*s, out);
	}
}

static void zsh_completion(FILE *out, const struct cligen_table *t)
{
	fputs("#compdef soarctl\n"
	      "# zsh completion for soarctl; generated by `soarctl completion zsh` from the\n"
	      "# command table and each command's help text.\n"
	      "_soarctl() {\n"
	      "\tlocal -a cmds subs flags\n"
	      "\tcmds=(\n", out);
	for (size_t k = 0; k < t->n; k++) {
		fprintf(out, "\t\t'%s:", t->cmds[k]->name);
		zsh_quoted(out, t->cmds[k]->summary);
		fputs("'\n", out);
	}
	fputs("\t\t'help:details of one command'\n"
	      "\t\t'completion:print the bash or zsh completion script'\n"
	      "\t)\n"
	      "\tif (( CURRENT == 2 )); then\n"
	      "\t\t_describe 'soarctl command' cmds\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase $words[2] in\n", out);
	case_arms(out, t, "(", ")");
	fputs("\tesac\n"
	      "\tif [[ $words[CURRENT] == -* ]]; then\n"
	      "\t\tcompadd -a flags\n"
	      "\telif (( CURRENT == 3 && ${#subs} )); then\n"
	      "\t\tcompadd -a subs\n"
	      "\telse\n"
	      "\t\t_files\n"
	      "\tfi\n"
	      "}\n"
	      "_soarctl \"$@\"\n", out);
}

int cligen_completion(FILE *out, const struct cligen_table *t, const char *shell)
{
	if (strcmp(shell, "bash") == 0)
		bash_completion(out, t);
	else if (strcmp(shell, "zsh") == 0)
		zsh_completion(out, t);
	else
		return -1;
	return 0;
}

int cligen_completion_main(const struct cligen_table *t, int argc, char **argv)
{
	if (argc == 2 && cli_is_help(argv[1])) {
		fputs("Usage: soarctl completion bash|zsh\n\n"
		      "Prints the shell completion script, generated from the command table:\n"
		      "  source <(soarctl completion bash)     # in ~/.bashrc\n"
		      "  soarctl completion zsh > ~/.zfunc/_soarctl   # a folder in $fpath\n"
		      "Installed copies: share/bash-completion/completions/soarctl and\n"
		      "share/zsh/site-functions/_soarctl (vendor-completions in the package).\n",
		      stdout);
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage("completion", "takes one SHELL: bash or zsh (soarctl completion bash)");
	if (cligen_completion(stdout, t, argv[1]) != 0)
		return cli_usage("completion", "no completion for '%s': bash or zsh", argv[1]);
	return EXIT_OK;
}

int cligen_help_main(const struct cligen_table *t, int argc, char **argv)
{
	if (strcmp(argv[1], "--man-dir") == 0) {
		if (argc != 3)
			return cli_usage("help", "--man-dir takes one DIR");
		char err[4200];
		if (cligen_man_dir(argv[2], t, err, sizeof err) != 0)
			return cli_fail("help", EXIT_FAIL, "%s", err);
		return EXIT_OK;
	}
	/* --man [CMD] */
	if (argc > 3)
		return cli_usage("help", "--man takes at most one COMMAND");
	const struct cli_command *c = NULL;
	if (argc == 3) {
		for (size_t k = 0; k < t->n && !c; k++)
			if (strcmp(t->cmds[k]->name, argv[2]) == 0)
				c = t->cmds[k];
		if (!c)
			return cli_usage("help", "no command '%s' (soarctl --help lists them)", argv[2]);
	}
	cligen_man(stdout, t, c);
	return EXIT_OK;
}
