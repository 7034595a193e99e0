/* lineedit.c - see lineedit.h. */
#include "lineedit.h"
#include "datadir.h"

#include <editline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static lineedit_complete_fn complete_fn;
static void *complete_ud;
static char history_file[4200];
static char **cands;
static int ncands;

void lineedit_add(const char *s)
{
	for (int i = 0; i < ncands; i++)
		if (!strcmp(cands[i], s))
			return;
	char **grown = realloc(cands, (size_t)(ncands + 1) * sizeof *cands);
	if (!grown)
		return;
	cands = grown;
	if ((cands[ncands] = strdup(s)) != NULL)
		ncands++;
}

static void clear_cands(void)
{
	for (int i = 0; i < ncands; i++)
		free(cands[i]);
	free(cands);
	cands = NULL;
	ncands = 0;
}

static char *generator(const char *text, int state)
{
	(void)text;
	if (state < 0 || state >= ncands)
		return NULL;
	return strdup(cands[state]);
}

static char **attempt(const char *text, int start, int end)
{
	(void)end;
	clear_cands();
	if (complete_fn)
		complete_fn(complete_ud, rl_line_buffer, start, text);
	rl_attempted_completion_over = 1;
	if (!ncands)
		return NULL;
	/* "name=" wants its value next, not a space. */
	if (ncands == 1 && cands[0][strlen(cands[0]) - 1] == '=')
		rl_completion_append_character = '\0';
	return rl_completion_matches(text, generator);
}

void lineedit_open(const char *history_name, const char *word_breaks, lineedit_complete_fn fn,
		   void *ud)
{
	complete_fn = fn;
	complete_ud = ud;
	rl_readline_name = "soarctl";
	rl_attempted_completion_function = attempt;
	if (word_breaks)
		rl_basic_word_break_characters = word_breaks;
	using_history();
	stifle_history(1000);
	history_file[0] = 0;
	const char *dir = datadir_get();
	struct stat sb;
	if (dir && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(history_file, sizeof history_file, "%s/%s", dir, history_name);
		read_history(history_file);
	}
}

char *lineedit_read(const char *prompt)
{
	return readline(prompt);
}

void lineedit_remember(const char *line)
{
	add_history(line);
}

void lineedit_close(void)
{
	if (history_file[0])
		write_history(history_file);
	clear_cands();
	complete_fn = NULL;
}
