/* cli_flags.c - see cli_flags.h. */
#include "cli_flags.h"
#include "cli.h"

#include <stdarg.h>
#include <string.h>

#define DJ "data= json "
#define RUNOPTS "max-memory= max-cpu= max-wall= max-result= log-level= log-json "

/* When a command gains an option, add it here too (the e2e test
 * cli_conventions.sh runs every command with its options' spelling). */
static const struct cli_flags table[] = {
	{ "init", "", DJ },
	{ "run", "", DJ "input= input-json= case= mock " RUNOPTS },
	{ "test", "", "data= filter= junit= " RUNOPTS },
	{ "case", "list show new update close note attach link children check attachment export import",
	  DJ "status= severity= type= owner= role= label= labels= dedupe-key= parent= "
	  "created-since= created-before= updated-since= updated-before= sort= asc limit= "
	  "cursor= entries= title= custom= source= sla-due= sla-pause-pending= close-reason= "
	  "reason= kind= name= relation= breached -o= since= until= format= out= data-json=" },
	{ "indicator", "get set list",
	  DJ "verdict= score= source= tag= seen= expires= case= type= min-score= limit= cursor=" },
	{ "runs", "list show resume cancel", DJ "status= limit=" },
	{ "prompt", "list show answer", DJ "all choice= field= no-resume" },
	{ "secret", "set list rm rotate-key rotate-master grant ungrant grants",
	  DJ "raw to= playbook=" },
	{ "user", "whoami add list role disable enable remove roles define-role token tokens "
	  "revoke token-check set", DJ "role= expires= label= slack-id= email=" },
	{ "audit", "list verify checkpoint", DJ "last= from= checkpoint=" },
	{ "edl", "list show add rm export", DJ "ttl= comment= type= cap= out=" },
	{ "integration", "list show test new record import-xsoar",
	  DJ "filter= junit= dir= fixture= out= name= " RUNOPTS },
	{ "lint", "", "data= no-luacheck" },
	{ "report", "", DJ "since= html= playbooks=" },
	{ "cron", "next", "json from= count= tz=" },
	{ "serve", "", "data= listen= workers= playbooks= mock log-json queue= tls-cert= tls-key= "
	  "public-url=" },
	{ "job", "list run pause resume", DJ },
	{ "repl", "", DJ "case= mock eval= -e= " RUNOPTS },
	{ "debug", "", "data= input= input-json= case= mock dry run= dap " RUNOPTS },
	{ "backup", "", DJ "compact with-key" },
	{ "restore", "", DJ },
	{ "store", "check stats compact retain", DJ },
};

const struct cli_flags *cli_flags_find(const char *cmd)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].cmd, cmd) == 0)
			return &table[i];
	return NULL;
}

/* Whether `flags` lists option `name` (length n): 0 no, 1 boolean, 2 with a value. */
static int lookup(const char *flags, const char *name, size_t n)
{
	for (const char *p = flags; *p;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (!len)
			break;
		int val = p[len - 1] == '=';
		if (len - (size_t)val == n && strncmp(p, name, n) == 0)
			return 1 + val;
		p += len;
	}
	return 0;
}

/* The refusal: the message, the command's usage line(s), where to read more. */
__attribute__((format(printf, 3, 4)))
static int refuse(const char *cmd, const char *usage, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* "Usage: ..." and its continuation lines, up to the first blank line */
	const char *end = usage ? strstr(usage, "\n\n") : NULL;
	if (usage && strncmp(usage, "Usage:", 6) == 0)
		fprintf(stderr, "%.*s\n", (int)(end ? end - usage : (long)strcspn(usage, "\n")), usage);
	return cli_usage(cmd, "%s", msg);
}

int cli_flags_check(const char *cmd, const char *usage, int argc, char **argv)
{
	const struct cli_flags *f = cli_flags_find(cmd);
	if (!f)
		return 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue;  /* an argument, or "-" (standard input) */
		if (a[1] != '-' && (a[1] < 'a' || a[1] > 'z') && (a[1] < 'A' || a[1] > 'Z'))
			continue;  /* a negative number */
		const char *name = a[1] == '-' ? a + 2 : a;  /* "-e" is listed as "-e" */
		size_t n = strcspn(name, "=");
		int kind = lookup(f->flags, name, n);
		if (!kind)
			return refuse(cmd, usage, "unknown option '%.*s'", (int)(name - a + (long)n), a);
		if (kind == 1 && name[n] == '=')
			return refuse(cmd, usage, "option '%.*s' takes no value", (int)(name - a + (long)n), a);
		if (kind == 2 && name[n] != '=' && ++i >= argc)
			return refuse(cmd, usage, "option '%s' needs a value", a);
	}
	return 0;
}

void cli_flags_print(FILE *out)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const char *s = table[i].subs;
		if (!*s)
			fprintf(out, "%s - %s\n", table[i].cmd, table[i].flags);
		while (*s) {
			size_t len = strcspn(s, " ");
			fprintf(out, "%s %.*s %s\n", table[i].cmd, (int)len, s, table[i].flags);
			s += len;
			while (*s == ' ')
				s++;
		}
	}
}
