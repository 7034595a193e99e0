/* lineedit.h - line editing at a terminal for the interactive commands (repl,
 * debug): libedit's readline with history kept in the data directory and tab
 * completion through a callback. One session at a time per process. */
#ifndef SOAR_LINEEDIT_H
#define SOAR_LINEEDIT_H

/* Completes `word` (which starts at byte `start` of `line`) by calling
 * lineedit_add for each candidate. */
typedef void (*lineedit_complete_fn)(void *ud, const char *line, int start, const char *word);

/* Starts a session: history from DATADIR/history_name (when the data directory
 * exists), completion by fn. word_breaks: characters that end a word (NULL:
 * blanks). */
void lineedit_open(const char *history_name, const char *word_breaks, lineedit_complete_fn fn,
		   void *ud);
/* A line (malloc'd, no newline), or NULL at end of input. */
char *lineedit_read(const char *prompt);
/* Adds an input to the history (a caller that joins lines adds the whole). */
void lineedit_remember(const char *line);
/* A completion candidate, from the callback. */
void lineedit_add(const char *cand);
/* Writes the history back and ends the session. */
void lineedit_close(void);

#endif
