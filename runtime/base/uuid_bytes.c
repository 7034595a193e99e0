/* uuid_bytes.c - UUID text <-> 16 bytes (see uuid.h), for keys in the store. */
#include "uuid.h"

#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int uuid_parse(const char *s, unsigned char out[16])
{
	if (!s || strlen(s) != UUID_STR_LEN || !uuid_valid(s, UUID_STR_LEN))
		return -1;
	int j = 0;
	for (int i = 0; i < UUID_STR_LEN; i++) {
		if (s[i] == '-')
			continue;
		out[j / 2] = (unsigned char)((j % 2 ? out[j / 2] : 0) | hexval(s[i]) << (j % 2 ? 0 : 4));
		j++;
	}
	return 0;
}

void uuid_format(const unsigned char in[16], char out[UUID_STR_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	int j = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hexd[in[i] >> 4];
		out[j++] = hexd[in[i] & 15];
	}
	out[j] = 0;
}
