/* colour.h - whether to colour what goes to a stream (logs, the CLI's tables). */
#ifndef SOAR_COLOUR_H
#define SOAR_COLOUR_H

#include <stdio.h>

/* 1 when `out` is a terminal and $NO_COLOR is unset or empty (no-color.org). */
int colour_wanted(FILE *out);

#endif
