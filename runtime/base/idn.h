/* idn.h - internationalised domain names to their one ASCII form, with libidn2:
 * IDNA2008, UTS #46 mapping, non-transitional, NFC input. Every place that
 * normalises a domain name goes through here (indicators, EDL entries, URL
 * hosts, the egress allow-list), so "café.com" typed in NFC, in NFD or in
 * full-width letters is one name, "xn--caf-dma.com", wherever it is compared
 * or listed (docs/security.md "Domain names").
 *
 * Labels are converted one by one: a label that is plain ASCII and not an
 * A-label ("xn--...") is only lower-cased, so ASCII host names that IDNA2008
 * would refuse but DNS serves ("r3---sn-abc.googlevideo.com", "_dmarc") keep
 * working; a label with non-ASCII characters, or an A-label, goes through
 * libidn2 and must be a valid IDNA2008 label (an A-label is decoded and checked,
 * so "xn--n3h" (a snowman) is refused like "☃" itself). '.', U+3002, U+FF0E and
 * U+FF61 separate labels. Label syntax beyond that (which ASCII characters, label
 * and name lengths) is the caller's.
 */
#ifndef SOAR_IDN_H
#define SOAR_IDN_H

#include <stddef.h>

/* 1 when s holds a non-ASCII byte or an "xn--" label (any case): a name that
 * idn_to_ascii would change beyond lower-casing or may refuse. */
int idn_needed(const char *s);

/* Converts the UTF-8 name `in` into out (outlen bytes with the NUL): lower-case
 * ASCII, A-labels for internationalised labels; a trailing dot is kept. Returns
 * 0, or -1 with err saying which label and why, e.g. "'☃.com': label '☃' is not
 * a valid internationalised domain name (string contains a disallowed
 * character)". */
int idn_to_ascii(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif
