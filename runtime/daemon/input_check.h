/* input_check.h - checking a value given for a playbook's declared input
 * (struct pb_input, daemon.h) before a run starts, so that the API and the
 * self-service form answer 400 naming the input instead of starting a run that
 * fails. Kept small and apart: one validation routine for every answer path
 * (prompts included) may replace it. */
#ifndef SOAR_INPUT_CHECK_H
#define SOAR_INPUT_CHECK_H

#include "daemon.h"
#include "json.h"
#include "store_buf.h"

/* A JSON value for input `in`: its type (integer: a whole number; table: an
 * object or array; any: anything) and, when it has options, one of them.
 * 0, or -1 with err like "input 'count' must be an integer, got \"x\"". */
int input_check_json(const struct pb_input *in, const struct json_node *v, char *err,
		     size_t errlen);

/* Text from an HTML form for input `in`, as JSON appended to out (a number, a
 * boolean, a string, or the JSON text of a table). 0, or -1 with err. */
int input_from_text(const struct pb_input *in, const char *text, struct store_buf *out,
		    char *err, size_t errlen);

#endif
