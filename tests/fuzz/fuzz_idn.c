/* fuzz_idn.c - internationalised domain names through the normalisation entry
 * points that key indicators and EDL entries (indicator_normalise and
 * edl_normalise for domains, URL hosts and email domains), whatever converts
 * them underneath (punycode.c today, libidn2 later). Input: UTF-8 or any bytes,
 * the name.
 * Properties: an accepted name comes out ASCII, lower-case, within 253 bytes,
 * and normalising it again changes nothing; the same name is accepted and
 * written alike as a domain indicator, the host of a URL, the domain of an email
 * address and an EDL domain entry. */
#include "edl.h"
#include "fuzz.h"
#include "indicator.h"

#include <ctype.h>
#include <string.h>

static void ascii_lower(const char *what, const char *in, const char *s)
{
	for (const char *p = s; *p; p++)
		FUZZ_CHECK((unsigned char)*p < 0x80 && !isupper((unsigned char)*p),
			   "%s: '%s' -> '%s' is not lower-case ASCII", what, in, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024)
		return 0;
	char *name = fuzz_cstr(data, size);
	if (!name)
		return 0;
	char dom[IND_MAX_VALUE + 1], again[IND_MAX_VALUE + 1], err[512] = "";
	int dom_ok = indicator_normalise(IND_DOMAIN, name, dom, err, sizeof err) == 0;
	if (dom_ok) {
		ascii_lower("domain", name, dom);
		FUZZ_CHECK(strlen(dom) <= 253, "domain '%s' -> %zu bytes", name, strlen(dom));
		FUZZ_CHECK(indicator_normalise(IND_DOMAIN, dom, again, err, sizeof err) == 0 &&
			   strcmp(dom, again) == 0, "domain '%s' -> '%s' -> '%s' (%s)", name, dom,
			   again, err);
	}

	/* the same name as a URL's host and an email's domain */
	char buf[IND_MAX_VALUE + 64], out[IND_MAX_VALUE + 1];
	if (!strpbrk(name, "/?#@:[ \t") && size + 20 < sizeof buf) {
		snprintf(buf, sizeof buf, "https://%s/p", name);
		if (indicator_normalise(IND_URL, buf, out, err, sizeof err) == 0) {
			ascii_lower("url", buf, out);
			if (dom_ok) {
				char want[IND_MAX_VALUE + 64];
				snprintf(want, sizeof want, "https://%s/p", dom);
				FUZZ_CHECK(strcmp(out, want) == 0, "'%s': url host '%s', domain '%s'",
					   name, out, dom);
			}
		}
		snprintf(buf, sizeof buf, "a@%s", name);
		if (indicator_normalise(IND_EMAIL, buf, out, err, sizeof err) == 0) {
			ascii_lower("email", buf, out);
			FUZZ_CHECK(!dom_ok || strcmp(out + 2, dom) == 0,
				   "'%s': email domain '%s', domain '%s'", name, out + 2, dom);
		}
	}

	char entry[EDL_MAX_VALUE + 1];
	if (edl_normalise(EDL_DOMAIN, name, entry, err, sizeof err) == 0) {
		ascii_lower("edl", name, entry);
		if (dom_ok)
			FUZZ_CHECK(strcmp(entry, dom) == 0, "'%s': edl entry '%s', domain '%s'", name,
				   entry, dom);
		char e2[EDL_MAX_VALUE + 1];
		FUZZ_CHECK(edl_normalise(EDL_DOMAIN, entry, e2, err, sizeof err) == 0 &&
			   strcmp(entry, e2) == 0, "edl '%s' -> '%s' -> '%s'", name, entry, e2);
	}
	free(name);
	return 0;
}
