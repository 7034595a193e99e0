/* colour.c - see colour.h. */
#include "colour.h"

#include <stdlib.h>
#include <unistd.h>

int colour_wanted(FILE *out)
{
	const char *no = getenv("NO_COLOR");
	return (!no || !*no) && isatty(fileno(out));
}
