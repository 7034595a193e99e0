/* fuzz_edl.c - EDL entry validation and normalisation (edl.c) for each list
 * type, and list names. Input: one byte choosing the type, then the value.
 * Properties: a refusal says why; an accepted entry fits EDL_MAX_VALUE, is one
 * line without spaces or controls (a firewall reads one entry a line), and
 * normalising it again changes nothing. */
#include "edl.h"
#include "fuzz.h"

#include <string.h>

static void check_entry(int type, const char *v, const char *out)
{
	size_t n = strlen(out);
	FUZZ_CHECK(n > 0 && n <= EDL_MAX_VALUE, "%s: length %zu", edl_type_name(type), n);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)out[i] > 0x20 && out[i] != 0x7f,
			   "%s: byte 0x%02x in '%s'", edl_type_name(type), (unsigned char)out[i], out);
	char again[EDL_MAX_VALUE + 1], err[512] = "";
	FUZZ_CHECK(edl_normalise(type, out, again, err, sizeof err) == 0,
		   "%s: '%s' normalised to '%s', which is refused: %s", edl_type_name(type), v, out, err);
	FUZZ_CHECK(strcmp(out, again) == 0, "%s: '%s' -> '%s' -> '%s'", edl_type_name(type), v,
		   out, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int type = data[0] % 5;                 /* 0 and 4: unknown types */
	char *v = fuzz_cstr(data + 1, size - 1);
	if (!v)
		return 0;
	char out[EDL_MAX_VALUE + 1], err[512] = "";
	if (edl_normalise(type, v, out, err, sizeof err) != 0)
		FUZZ_CHECK(err[0], "%s refused without a message", edl_type_name(type));
	else
		check_entry(type, v, out);
	int guess = edl_guess_type(v);
	FUZZ_CHECK(guess == 0 || (guess >= EDL_IP && guess <= EDL_URL), "guess %d", guess);
	if (edl_name_ok(v)) {
		FUZZ_CHECK(strlen(v) <= EDL_MAX_NAME && !strchr(v, '/') && strcmp(v, ".") != 0 &&
			   strcmp(v, "..") != 0, "list name '%s' accepted", v);
		FUZZ_CHECK(edl_type_parse(v) == 0 || strcmp(edl_type_name(edl_type_parse(v)), v) == 0,
			   "type name '%s'", v);
	}
	free(v);
	return 0;
}
