/* fuzz_indicator.c - indicator normalisation (indicator_norm.c) on any value of
 * any type. Input: one byte choosing the type, then the value.
 * Properties: a refusal says why; an accepted value fits IND_MAX_VALUE, has no
 * control character, and normalising it again changes nothing (one indicator,
 * one key, however it was written). */
#include "fuzz.h"
#include "indicator.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int type = data[0] % (IND__MAX + 1);  /* 0 and IND__MAX: unknown types */
	char *v = fuzz_cstr(data + 1, size - 1);
	if (!v)
		return 0;
	char out[IND_MAX_VALUE + 1], again[IND_MAX_VALUE + 1], err[512] = "";
	if (indicator_normalise(type, v, out, err, sizeof err) != 0) {
		FUZZ_CHECK(err[0], "type %d refused without a message", type);
	} else {
		size_t n = strlen(out);
		FUZZ_CHECK(n > 0 && n <= IND_MAX_VALUE, "type %d: length %zu", type, n);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)out[i] > 0x20 && out[i] != 0x7f,
				   "type %d: byte 0x%02x in '%s'", type, (unsigned char)out[i], out);
		FUZZ_CHECK(indicator_normalise(type, out, again, err, sizeof err) == 0,
			   "type %s: '%s' normalised to '%s', which is refused: %s",
			   indicator_type_name(type), v, out, err);
		FUZZ_CHECK(strcmp(out, again) == 0, "type %s: '%s' -> '%s' -> '%s'",
			   indicator_type_name(type), v, out, again);
	}
	free(v);
	return 0;
}
