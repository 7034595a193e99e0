/* punycode.h - RFC 3492 Punycode, and internationalised domain names to their
 * ASCII form ("bücher.de" -> "xn--bcher-kva.de") for indicator keys.
 *
 * Not full IDNA2008/UTS 46: labels are lower-cased (Unicode simple case
 * mapping) but not NFC-normalised, and only code points that can never be in a
 * host name are refused (controls, spaces, symbols and punctuation, private use,
 * noncharacters). Enough that one domain has one key however it was typed in
 * either case; a name given in a decomposed form keys apart from its composed one.
 */
#ifndef SOAR_PUNYCODE_H
#define SOAR_PUNYCODE_H

#include <stddef.h>
#include <stdint.h>

/* Encodes n code points as Punycode (no "xn--" prefix) into out (outlen bytes
 * with the NUL). Returns the length, or -1 when out is too small or a code
 * point is beyond U+10FFFF. Basic (ASCII) code points are copied as they are. */
int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t outlen);

/* Converts the UTF-8 domain `in` to lower-case ASCII: each label with non-ASCII
 * characters becomes "xn--" + Punycode of its lower-cased code points; ASCII
 * labels are lower-cased; the ideographic full stops (U+3002, U+FF0E, U+FF61)
 * separate labels like '.'. Returns 0, or -1 with the reason in err (invalid
 * UTF-8, a character not allowed in a domain name, a label over 63 bytes once
 * encoded). Label syntax beyond that is left to the caller. */
int punycode_domain(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif
